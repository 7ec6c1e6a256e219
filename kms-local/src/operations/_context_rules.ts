/**
 * The encryption-context rule of asymmetric keys: the RSAES-OAEP algorithms of KMS take no
 * encryption context (the model: "An encryption context is valid only for cryptographic
 * operations with a symmetric encryption KMS key"), so a non-empty one is refused rather than
 * silently ignored.
 *
 * @example
 * ```ts
 * checkNoContextForRsa(input.EncryptionContext)
 * ```
 */
import { KmsApiError } from '../errors.ts'

/**
 * Throws `ValidationException` when an encryption context with entries comes with an RSA key.
 *
 * @example
 * ```ts
 * checkNoContextForRsa({ a: 'b' }) // throws
 * ```
 */
export function checkNoContextForRsa(context: Readonly<Record<string, string>> | undefined): void {
  if (context !== undefined && Object.keys(context).length > 0) {
    throw new KmsApiError(
      'ValidationException',
      'EncryptionContext is not supported with asymmetric KMS keys.',
    )
  }
}
