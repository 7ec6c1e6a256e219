/**
 * RSAES-OAEP with one hash for OAEP and MGF1 and an empty label (RFC 8017 §7.1): the
 * `RSAES_OAEP_SHA_1` / `RSAES_OAEP_SHA_256` of AWS KMS, and of the BYOK wrapping algorithms.
 *
 * @example
 * ```ts
 * const ct = oaepEncrypt(publicKey, 'sha256', cek)
 * oaepDecrypt(privateKey, 'sha256', ct) // cek
 * ```
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto'

/**
 * Encrypts with RSAES-OAEP.
 *
 * @example
 * ```ts
 * oaepEncrypt(key.publicKey, 'sha1', Buffer.from('x')).length // modulus bytes
 * ```
 */
export function oaepEncrypt(
  publicKey: KeyObject,
  hash: 'sha1' | 'sha256',
  plaintext: Uint8Array,
): Buffer {
  return publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
    plaintext,
  )
}

/**
 * Decrypts with RSAES-OAEP. Every failure (wrong length, bad padding, wrong key or hash) is
 * `undefined`, with no detail, against padding oracles (Manger's attack).
 *
 * @example
 * ```ts
 * oaepDecrypt(privateKey, 'sha256', Buffer.alloc(256)) // undefined
 * ```
 */
export function oaepDecrypt(
  privateKey: KeyObject,
  hash: 'sha1' | 'sha256',
  ciphertext: Uint8Array,
): Buffer | undefined {
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength
  if (modulusBits === undefined || ciphertext.length !== Math.ceil(modulusBits / 8))
    return undefined
  try {
    return privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
      ciphertext,
    )
  } catch {
    return undefined
  }
}
