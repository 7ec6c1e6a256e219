/**
 * The error of a failed KMS call: one {@link KmsError} class (platform's `CodedError` convention)
 * whose `code` says what the caller can do about it.
 *
 * A key that KMS serves but that may not be a `sealwire/1` recipient is not a KMS failure: it is
 * the envelope's `KeyRejectedError` (`ERR_KEY_*`), thrown by the key checks of this component.
 *
 * @example
 * ```ts
 * try {
 *   await fetchPublicKey(kms, 'alias/fleet')
 * } catch (err) {
 *   if (err instanceof KmsError && err.code === 'ERR_KMS_UNAVAILABLE') scheduleRetry()
 *   else throw err
 * }
 * ```
 */
import { CodedError } from '../../platform/src/index.ts'

/**
 * Codes of {@link KmsError}:
 * - `ERR_KMS_UNAVAILABLE`: KMS could not be used from here: unreachable, timed out or throttled
 *   after every retry, or the endpoint answered something that is not KMS (an HTML page).
 * - `ERR_KMS_DENIED`: no credentials, or KMS refused them or the permission.
 * - `ERR_KMS_REQUEST`: KMS answered and refused the request (unknown key or alias, bad request).
 */
export type KmsErrorCode = 'ERR_KMS_UNAVAILABLE' | 'ERR_KMS_DENIED' | 'ERR_KMS_REQUEST'

/**
 * A KMS call failed. `operation` is the KMS operation (`DescribeKey`, `Decrypt`…), `awsCode` the
 * service's exception name when there was one (`NotFoundException`, `ThrottlingException`…).
 * The message never holds key material or a password from the endpoint URL.
 *
 * @example
 * ```ts
 * throw new KmsError('ERR_KMS_REQUEST', 'DescribeKey', 'KMS DescribeKey refused: NotFoundException', {
 *   awsCode: 'NotFoundException',
 * })
 * ```
 */
export class KmsError extends CodedError<KmsErrorCode> {
  /** The KMS operation that failed. */
  readonly operation: string
  /** The service's exception name (`__type`), when KMS answered with one. */
  readonly awsCode: string | undefined

  constructor(
    code: KmsErrorCode,
    operation: string,
    message: string,
    options?: { readonly cause?: unknown; readonly awsCode?: string | undefined },
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.operation = operation
    this.awsCode = options?.awsCode
  }
}
