/**
 * RSA public keys between the two forms the HSM paths meet: a DER SubjectPublicKeyInfo (what KMS
 * and the envelope use) and PKCS#11's `CKA_MODULUS` / `CKA_PUBLIC_EXPONENT` big-endian integers.
 * Through node:crypto's JWK form, so one code path serves Node and Bun.
 *
 * @example
 * ```ts
 * const { modulus, publicExponent } = rsaSpkiParts(spki)
 * rsaSpkiOf(modulus, publicExponent) // the same SPKI bytes
 * ```
 */
import { createPublicKey } from 'node:crypto'

/** The integers of an RSA public key, big-endian without leading zeros. */
export interface RsaPublicParts {
  readonly modulus: Buffer
  readonly publicExponent: Buffer
}

/**
 * The modulus and exponent of an RSA SPKI.
 *
 * @throws {RangeError} when the bytes are not an RSA SubjectPublicKeyInfo.
 * @example
 * ```ts
 * rsaSpkiParts(spki).modulus.length // 256 for RSA-2048
 * ```
 */
export function rsaSpkiParts(spki: Uint8Array): RsaPublicParts {
  let jwk: { kty?: string; n?: string; e?: string }
  try {
    jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
      format: 'jwk',
    })
  } catch {
    throw new RangeError('not a DER SubjectPublicKeyInfo')
  }
  if (jwk.kty !== 'RSA' || jwk.n === undefined || jwk.e === undefined) {
    throw new RangeError('not an RSA public key')
  }
  return {
    modulus: Buffer.from(jwk.n, 'base64url'),
    publicExponent: Buffer.from(jwk.e, 'base64url'),
  }
}

/** Big-endian bytes without leading zeros (JWK's form; PKCS#11 may keep them). */
function stripZeros(b: Uint8Array): Buffer {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return Buffer.from(b.subarray(i))
}

/**
 * The DER SPKI of an RSA public key given by its integers.
 *
 * @example
 * ```ts
 * rsaSpkiOf(modulus, Buffer.from([1, 0, 1]))
 * ```
 */
export function rsaSpkiOf(modulus: Uint8Array, publicExponent: Uint8Array): Buffer {
  return createPublicKey({
    key: {
      kty: 'RSA',
      n: stripZeros(modulus).toString('base64url'),
      e: stripZeros(publicExponent).toString('base64url'),
    },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' })
}
