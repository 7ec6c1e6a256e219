/**
 * Typed errors of kms-local.
 *
 * Two families share one base class, {@link KmsLocalError}:
 * - failures of the local process itself (state file, audit log, listening socket), each with a
 *   stable `code`;
 * - {@link KmsApiError}: a failure answered on the wire in the AWS JSON 1.1 error shape. Its
 *   `type` is the AWS error shape name (`NotFoundException`…) that becomes the body's `__type`,
 *   and the SDK maps it back to its own exception class.
 *
 * Caller bugs in the options (wrong type, port out of range) are plain `TypeError`/`RangeError`.
 *
 * @example
 * ```ts
 * try {
 *   await startKmsLocal({ stateFile: '/etc/kms.json' })
 * } catch (err) {
 *   if (err instanceof KmsLocalError && err.code === 'ERR_KMS_LOCAL_STATE_INVALID') process.exit(1)
 *   throw err
 * }
 * ```
 */

import { CodedError, shown } from '../../platform/src/index.ts'

/** Every code a {@link KmsLocalError} can carry; a `switch` over it can be exhaustive. */
export type KmsLocalErrorCode =
  | 'ERR_KMS_LOCAL_STATE_INVALID'
  | 'ERR_KMS_LOCAL_STATE_IO'
  | 'ERR_KMS_LOCAL_AUDIT_LOG'
  | 'ERR_KMS_LOCAL_LISTEN'
  | 'ERR_KMS_LOCAL_API'

/**
 * Base class of every kms-local error: a platform {@link CodedError} whose `code` (on the
 * instance) is one of {@link KmsLocalErrorCode}.
 *
 * @example
 * ```ts
 * if (err instanceof KmsLocalError) console.error(err.code, err.message)
 * ```
 */
export class KmsLocalError<C extends KmsLocalErrorCode = KmsLocalErrorCode> extends CodedError<C> {}

/**
 * The state file cannot be used: unreadable or unwritable (`ERR_KMS_LOCAL_STATE_IO`), or not a
 * kms-local state document (`ERR_KMS_LOCAL_STATE_INVALID`). The message is `<file>: <detail>`,
 * the file name quoted; it never shows the file's content (it holds private keys).
 *
 * @example
 * ```ts
 * throw new KmsStateError('ERR_KMS_LOCAL_STATE_INVALID', '/tmp/kms.json', 'unsupported version 9')
 * // message: "/tmp/kms.json": unsupported version 9
 * ```
 */
export class KmsStateError extends KmsLocalError<
  'ERR_KMS_LOCAL_STATE_INVALID' | 'ERR_KMS_LOCAL_STATE_IO'
> {
  /** The state file. */
  readonly file: string

  constructor(
    code: 'ERR_KMS_LOCAL_STATE_INVALID' | 'ERR_KMS_LOCAL_STATE_IO',
    file: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${shown(file, 200)}: ${detail}`, options)
    this.file = file
  }
}

/**
 * The error shapes of the KMS model (`kms-2014-11-01`) that kms-local answers with. Tests check
 * that each one is an error shape of the model.
 */
export const MODEL_ERROR_TYPES = [
  'AlreadyExistsException',
  'DisabledException',
  'DryRunOperationException',
  'ExpiredImportTokenException',
  'IncorrectKeyException',
  'IncorrectKeyMaterialException',
  'InvalidAliasNameException',
  'InvalidArnException',
  'InvalidCiphertextException',
  'InvalidImportTokenException',
  'InvalidKeyUsageException',
  'InvalidMarkerException',
  'KMSInternalException',
  'KMSInvalidStateException',
  'NotFoundException',
  'UnsupportedOperationException',
] as const

/**
 * Errors that every AWS JSON service answers but that no service model lists (they come from the
 * common request layer): the SDK raises them as its base `KMSServiceException` with this `name`.
 */
export const COMMON_ERROR_TYPES = [
  'ValidationException',
  'SerializationException',
  'UnknownOperationException',
  'ThrottlingException',
] as const

/** Every `__type` kms-local can put in an error body. */
export type KmsErrorType = (typeof MODEL_ERROR_TYPES)[number] | (typeof COMMON_ERROR_TYPES)[number]

/**
 * A KMS API error, answered as HTTP 400 (500 for `KMSInternalException`) with body
 * `{"__type": type, "message": message}` and header `x-amzn-ErrorType: type`. Messages never hold
 * key material, plaintext or ciphertext.
 *
 * @example
 * ```ts
 * throw new KmsApiError('NotFoundException', `Key '${arn}' does not exist`)
 * ```
 */
export class KmsApiError extends KmsLocalError<'ERR_KMS_LOCAL_API'> {
  static readonly code = 'ERR_KMS_LOCAL_API' as const
  /** The AWS error shape name, sent as `__type`. */
  readonly type: KmsErrorType
  /** The HTTP status of the answer. */
  readonly status: number

  constructor(type: KmsErrorType, message: string, options?: { cause?: unknown }) {
    super('ERR_KMS_LOCAL_API', message, options)
    this.type = type
    this.status = type === 'KMSInternalException' ? 500 : 400
  }
}

/** Every error class this component throws. */
export type AnyKmsLocalError = KmsLocalError | KmsStateError | KmsApiError
