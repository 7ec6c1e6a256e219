/**
 * BYOK (`GetParametersForImport` / `ImportKeyMaterial`): the wrapping algorithms in one table,
 * the import token, and unwrapping of the encrypted key material.
 *
 * - `RSAES_OAEP_SHA_*`: the material is RSAES-OAEP encrypted under the wrapping key (only small
 *   material fits: a 32-byte symmetric key).
 * - `RSA_AES_KEY_WRAP_SHA_*` (PKCS #11 `CKM_RSA_AES_KEY_WRAP`): RSAES-OAEP of a fresh 256-bit AES
 *   key (modulus-length bytes), followed by the material wrapped under that key with AES Key Wrap
 *   with Padding (RFC 5649). Required for RSA private keys (PKCS #8 DER).
 *
 * The import token is a handle, not a secret: `'K' 'L' 'I' 0x01 | key id (36) | token id (16)`;
 * the wrapping private key stays on the server with the key, valid for 24 hours.
 *
 * @example
 * ```ts
 * const token = encodeImportToken(key.keyId, tokenId)
 * decodeImportToken(token) // { keyId, tokenId }
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { table } from './_table.ts'
import { aesKeyUnwrapPad } from './aes_key_wrap.ts'
import { oaepDecrypt } from './rsa_oaep.ts'

/** One supported wrapping algorithm. */
export interface WrappingAlgorithmInfo {
  readonly kind: 'rsa-oaep' | 'rsa-aes-key-wrap'
  readonly hash: 'sha1' | 'sha256'
}

/**
 * Supported wrapping algorithms. `RSAES_PKCS1_V1_5` (refused by AWS since 2023-10-10) and
 * `SM2PKE` (China Regions only) are well-formed but unsupported.
 */
export const WRAPPING_ALGORITHMS = table({
  RSAES_OAEP_SHA_1: { kind: 'rsa-oaep', hash: 'sha1' },
  RSAES_OAEP_SHA_256: { kind: 'rsa-oaep', hash: 'sha256' },
  RSA_AES_KEY_WRAP_SHA_1: { kind: 'rsa-aes-key-wrap', hash: 'sha1' },
  RSA_AES_KEY_WRAP_SHA_256: { kind: 'rsa-aes-key-wrap', hash: 'sha256' },
} satisfies Record<string, WrappingAlgorithmInfo>)

/** Supported wrapping key specs, by modulus length. */
export const WRAPPING_KEY_SPECS = table({ RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 })

/** Length of the ephemeral AES key of `RSA_AES_KEY_WRAP_SHA_*` (AES-256). */
const EPHEMERAL_AES_BYTES = 32

const TOKEN_MAGIC = Buffer.from([0x4b, 0x4c, 0x49, 0x01])
const KEY_ID_BYTES = 36
const TOKEN_ID_BYTES = 16
const TOKEN_BYTES = TOKEN_MAGIC.length + KEY_ID_BYTES + TOKEN_ID_BYTES

/**
 * Encodes an import token.
 *
 * @example
 * ```ts
 * encodeImportToken(keyId, randomBytes(16).toString('hex')).length // 56
 * ```
 */
export function encodeImportToken(keyId: string, tokenIdHex: string): Buffer {
  return Buffer.concat([TOKEN_MAGIC, Buffer.from(keyId, 'ascii'), Buffer.from(tokenIdHex, 'hex')])
}

/**
 * Decodes an import token, or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * decodeImportToken(Buffer.alloc(3)) // undefined
 * ```
 */
export function decodeImportToken(
  token: Uint8Array,
): { keyId: string; tokenId: string } | undefined {
  if (token.length !== TOKEN_BYTES) return undefined
  const bytes = Buffer.from(token)
  if (!TOKEN_MAGIC.equals(bytes.subarray(0, TOKEN_MAGIC.length))) return undefined
  const keyId = bytes
    .subarray(TOKEN_MAGIC.length, TOKEN_MAGIC.length + KEY_ID_BYTES)
    .toString('latin1')
  const tokenId = bytes.subarray(TOKEN_MAGIC.length + KEY_ID_BYTES).toString('hex')
  return { keyId, tokenId }
}

/**
 * Unwraps `EncryptedKeyMaterial`, or returns `undefined` for every failure alike.
 *
 * @example
 * ```ts
 * const algorithm = WRAPPING_ALGORITHMS.RSA_AES_KEY_WRAP_SHA_256
 * const material = unwrapKeyMaterial(algorithm, wrappingKey, bytes)
 * ```
 */
export function unwrapKeyMaterial(
  algorithm: WrappingAlgorithmInfo,
  wrappingPrivateKey: KeyObject,
  encrypted: Uint8Array,
): Buffer | undefined {
  if (algorithm.kind === 'rsa-oaep')
    return oaepDecrypt(wrappingPrivateKey, algorithm.hash, encrypted)
  const modulusBits = wrappingPrivateKey.asymmetricKeyDetails?.modulusLength
  if (modulusBits === undefined) return undefined
  const k = modulusBits / 8
  if (encrypted.length <= k) return undefined
  const aesKey = oaepDecrypt(wrappingPrivateKey, algorithm.hash, encrypted.subarray(0, k))
  if (aesKey === undefined || aesKey.length !== EPHEMERAL_AES_BYTES) return undefined
  try {
    return aesKeyUnwrapPad(aesKey, encrypted.subarray(k))
  } finally {
    aesKey.fill(0)
  }
}
