/**
 * The errors of `files/` itself. Every other failure `sealwire-file` reports comes from the
 * component that found it, with that component's class and code: platform's `UsageError` and
 * `IoError`, the envelope's stream errors (`ERR_ENVELOPE_INVALID`, `ERR_DECRYPTION_FAILED`,
 * `ERR_UNWRAP_UNAVAILABLE`, `ERR_KEY_*`), device-bundle's, kms-client's `KmsError`.
 *
 * @example
 * ```ts
 * throw new FilesError('ERR_S3_NOT_FOUND', 's3://bucket/key: no such object')
 * ```
 */
import { CodedError } from '../../platform/src/index.ts'

/** Every code a {@link FilesError} can carry. */
export type FilesErrorCode =
  | 'ERR_S3_NOT_FOUND'
  | 'ERR_S3_DENIED'
  | 'ERR_S3_UNAVAILABLE'
  | 'ERR_S3_REQUEST'
  | 'ERR_STREAM_LENGTH'
  | 'ERR_LEGACY_FORMAT'
  | 'ERR_LEGACY_DECRYPTION_FAILED'
  | 'ERR_INTERRUPTED'

/**
 * The one error class of `files/`; `code` tells the cases apart (README, "Errors").
 *
 * @example
 * ```ts
 * if (err instanceof FilesError && err.code === 'ERR_S3_UNAVAILABLE') retryLater()
 * ```
 */
export class FilesError<C extends FilesErrorCode = FilesErrorCode> extends CodedError<C> {}

/** The one message of every failure to open a legacy file (no padding oracle). */
export const LEGACY_FAILED_MESSAGE =
  'the openssl file does not open: wrong KMS key, wrong KDF (try --pbkdf2 or without it), or damaged input'

/**
 * The one failure of `open-legacy` once a key is involved: KMS refused the wrapped key, the CBC
 * padding is wrong, or the input is damaged. Same message for all, never a cause.
 *
 * @example
 * ```ts
 * throw legacyFailed()
 * ```
 */
export function legacyFailed(): FilesError<'ERR_LEGACY_DECRYPTION_FAILED'> {
  return new FilesError('ERR_LEGACY_DECRYPTION_FAILED', LEGACY_FAILED_MESSAGE)
}

/**
 * The run was stopped (SIGINT, SIGTERM, or the caller's signal); partial output was removed.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw interrupted()
 * ```
 */
export function interrupted(): FilesError<'ERR_INTERRUPTED'> {
  return new FilesError('ERR_INTERRUPTED', 'interrupted; no partial output was kept')
}
