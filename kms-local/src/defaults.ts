/**
 * Every default and fixed limit of kms-local, in one place. Options are merged once with
 * {@link defaultKmsLocalOptions}; the limits mirror the AWS KMS documentation where one exists.
 *
 * @example
 * ```ts
 * const server = await startKmsLocal({ ...defaultKmsLocalOptions, port: CLI_DEFAULT_PORT })
 * ```
 */

/** Defaults of the library's `KmsLocalOptions` (the CLI listens on {@link CLI_DEFAULT_PORT}). */
export const defaultKmsLocalOptions = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  region: 'us-east-1',
  accountId: '111122223333',
})

/** The port the CLI listens on when `--port` is not given. */
export const CLI_DEFAULT_PORT = 4599

/** Mode of the state file: it holds private keys. */
export const STATE_FILE_MODE = 0o600

/** Largest state file read at start (about 10,000 keys with their import parameters). */
export const STATE_FILE_MAX_BYTES = 64 * 1024 * 1024

/** Mode of the audit log (it holds encryption contexts and key ids, never key material). */
export const AUDIT_LOG_MODE = 0o600

/** Largest request body accepted (a KMS request, at most a 6 KiB blob in base64, is far below). */
export const MAX_REQUEST_BYTES = 1024 * 1024

/** `ScheduleKeyDeletion`: default, minimum and maximum waiting period, in days. */
export const PENDING_WINDOW_DAYS = Object.freeze({ default: 30, min: 7, max: 30 })

/** `GetParametersForImport`: a wrapping key and its import token are valid this long (24 h). */
export const IMPORT_PARAMETERS_TTL_MS = 24 * 60 * 60 * 1000

/** `ImportKeyMaterial`: `ValidTo` may be at most this far ahead (365 days). */
export const MAX_VALID_TO_MS = 365 * 24 * 60 * 60 * 1000

/** `ListAliases` and `ListKeys`: the page size when `Limit` is absent. */
export const DEFAULT_LIST_LIMIT = Object.freeze({ ListAliases: 50, ListKeys: 100 })

/** The largest page the list operations return, whatever `Limit` says (AWS: 100 and 1000). */
export const MAX_LIST_LIMIT = Object.freeze({ ListAliases: 100, ListKeys: 1000 })

/** How long `close()` waits for requests in flight before it drops their connections. */
export const CLOSE_GRACE_MS = 2000
