/**
 * Parse and check the recipient's RSA public key (the KMS key's public half), and compute its pin.
 *
 * KMS `GetPublicKey` returns a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, RFC 8017 A.1.1). The
 * profile accepts exactly the KMS encryption key specs RSA_2048, RSA_3072 and RSA_4096, with
 * e = 65537, in canonical DER. The pin is SHA-256 of those SPKI bytes; the pin id (the COSE `kid`
 * of the full form's recipient) is its first 8 bytes. The key is parsed once into a `KeyObject`
 * (node:crypto wraps about 7× faster with one than with a PEM per call).
 *
 * @example
 * ```ts
 * const key = parseRecipientKey(spkiDer)
 * console.log(key.modulusBits, toHex(key.pin))
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { abytes, equalBytes } from '../_bytes.ts'
import { KeyRejectedError } from '../errors.ts'
import { nodeCrypto } from '../crypto/_node_crypto.ts'
import { parseRsaSpki } from './_spki.ts'

/** Modulus sizes the profile accepts (the KMS RSA key specs for ENCRYPT_DECRYPT). */
export const ALLOWED_MODULUS_BITS: readonly number[] = Object.freeze([2048, 3072, 4096])

/** The only public exponent the profile accepts. */
export const REQUIRED_PUBLIC_EXPONENT = 65537n

/** A checked recipient key, ready to wrap data keys. */
export interface RecipientKey {
  /** The DER SubjectPublicKeyInfo, exactly as checked and pinned. */
  readonly spki: Uint8Array
  /** SHA-256 of {@link spki}. */
  readonly pin: Uint8Array
  /** The first 8 bytes of {@link pin}: the full form's recipient `kid`. */
  readonly pinId: Uint8Array
  /** 2048, 3072 or 4096. */
  readonly modulusBits: number
  /** The parsed key, when node:crypto is present. */
  readonly keyObject: KeyObject | undefined
}

/**
 * Checks a DER SPKI against the profile and returns the parsed, pinned key.
 *
 * @throws {KeyRejectedError} `ERR_KEY_UNSUPPORTED` (not a canonical DER RSA SPKI, or RSA-PSS),
 *   `ERR_KEY_SIZE` (modulus not 2048/3072/4096 bits), `ERR_KEY_EXPONENT` (e ≠ 65537).
 * @example
 * ```ts
 * const key = parseRecipientKey(new Uint8Array(getPublicKeyResponse.PublicKey))
 * ```
 */
export function parseRecipientKey(spki: Uint8Array): RecipientKey {
  abytes(spki, 'spki')
  const { modulusBits, publicExponent } = parseRsaSpki(spki)
  if (!ALLOWED_MODULUS_BITS.includes(modulusBits)) {
    throw new KeyRejectedError(
      'ERR_KEY_SIZE',
      `RSA modulus of ${modulusBits} bits; the profile accepts 2048, 3072 or 4096`,
    )
  }
  if (publicExponent !== REQUIRED_PUBLIC_EXPONENT) {
    throw new KeyRejectedError(
      'ERR_KEY_EXPONENT',
      `RSA public exponent ${publicExponent < 2n ** 64n ? publicExponent : `of ${publicExponent.toString(2).length} bits`}; the profile requires 65537`,
    )
  }
  let keyObject: KeyObject | undefined
  if (nodeCrypto) {
    try {
      keyObject = nodeCrypto.createPublicKey({
        key: Buffer.from(spki),
        format: 'der',
        type: 'spki',
      })
    } catch {
      throw new KeyRejectedError('ERR_KEY_UNSUPPORTED', 'the SubjectPublicKeyInfo does not parse')
    }
    const details = keyObject.asymmetricKeyDetails
    if (keyObject.asymmetricKeyType !== 'rsa' || details?.modulusLength !== modulusBits) {
      throw new KeyRejectedError('ERR_KEY_UNSUPPORTED', 'the key is not an rsaEncryption key')
    }
    const canonical = keyObject.export({ format: 'der', type: 'spki' })
    if (!equalBytes(canonical, spki)) {
      throw new KeyRejectedError(
        'ERR_KEY_UNSUPPORTED',
        'the SubjectPublicKeyInfo is not canonical DER',
      )
    }
  }
  const copy = Uint8Array.from(spki)
  const pin = sha256(copy)
  return Object.freeze({
    spki: copy,
    pin,
    pinId: pin.slice(0, 8),
    modulusBits,
    keyObject,
  })
}
