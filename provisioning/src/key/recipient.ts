/**
 * The envelope's key check, with its refusals as provisioning errors.
 *
 * `parseRecipientKey` is the very check the device agent runs at start (RSA, modulus 2048, 3072 or
 * 4096 bits, e = 65537, canonical DER); the station runs it before it pins anything, so a bundle it
 * writes is one the agent accepts. Its `KeyRejectedError` codes pass through 1:1.
 *
 * @example
 * ```ts
 * const key = checkRecipientSpki(spki) // throws KeyRefusedError ERR_KEY_EXPONENT for e = 3
 * ```
 */
import { KeyRejectedError, parseRecipientKey } from '../../../envelope/src/index.ts'
import type { RecipientKey } from '../../../envelope/src/index.ts'
import { KeyRefusedError } from '../errors.ts'

/**
 * Parses and checks a DER SubjectPublicKeyInfo with the envelope's `parseRecipientKey`.
 *
 * @throws {KeyRefusedError} `ERR_KEY_UNSUPPORTED`, `ERR_KEY_SIZE` or `ERR_KEY_EXPONENT`, with the
 *   envelope's message; the envelope's error is the `cause`.
 * @example
 * ```ts
 * const { pin, modulusBits } = checkRecipientSpki(new Uint8Array(resp.PublicKey))
 * ```
 */
export function checkRecipientSpki(spki: Uint8Array): RecipientKey {
  try {
    return parseRecipientKey(spki)
  } catch (err) {
    if (err instanceof KeyRejectedError) {
      const code = err.code
      if (
        code === 'ERR_KEY_SIZE' ||
        code === 'ERR_KEY_EXPONENT' ||
        code === 'ERR_KEY_UNSUPPORTED'
      ) {
        throw new KeyRefusedError(code, err.message, { cause: err })
      }
    }
    throw err
  }
}
