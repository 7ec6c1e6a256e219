/**
 * Exit codes of `sealwire-file`, one per class of failure (README, "Exit codes"). The type below
 * makes the compiler check that every code any component can throw here is mapped.
 *
 * @example
 * ```ts
 * reportError(err, io, exitCodeOf) // 'error ERR_DECRYPTION_FAILED: decryption failed', returns 6
 * ```
 */
import type { DeviceBundleErrorCode } from '../../device-bundle/src/index.ts'
import type {
  EnvelopeErrorCode,
  KeyRejectedCode,
  SealRefusedCode,
} from '../../envelope/src/index.ts'
import type { KmsErrorCode } from '../../kms-client/src/index.ts'
import type { ExitCodeOf } from '../../platform/src/index.ts'
import { EXIT, exitCodeTable } from '../../platform/src/index.ts'
import type { FilesErrorCode } from './errors.ts'

/** Exit codes by class. */
export const FILE_EXIT = Object.freeze({
  ok: EXIT.ok,
  internal: EXIT.internal,
  usage: EXIT.usage,
  keyRefused: 3,
  pinMismatch: 4,
  bundle: 5,
  notOpened: 6,
  kmsUnavailable: 7,
  kmsRefused: 8,
  io: 9,
  s3: 10,
  interrupted: 130,
} as const)

type ExitClass = keyof typeof FILE_EXIT

type FileErrorCode =
  | 'ERR_USAGE'
  | 'ERR_IO'
  | KeyRejectedCode
  | DeviceBundleErrorCode
  | KmsErrorCode
  | FilesErrorCode
  | Extract<
      EnvelopeErrorCode,
      | 'ERR_ENVELOPE_INVALID'
      | 'ERR_DECRYPTION_FAILED'
      | 'ERR_UNWRAP_UNAVAILABLE'
      | 'ERR_NODE_CRYPTO_UNAVAILABLE'
    >
  | SealRefusedCode

const CLASS_OF: Readonly<Record<FileErrorCode, ExitClass>> = Object.freeze({
  ERR_USAGE: 'usage',
  ERR_KEY_SPEC: 'keyRefused',
  ERR_KEY_USAGE: 'keyRefused',
  ERR_KEY_ALGORITHM: 'keyRefused',
  ERR_KEY_STATE: 'keyRefused',
  ERR_KEY_SIZE: 'keyRefused',
  ERR_KEY_EXPONENT: 'keyRefused',
  ERR_KEY_UNSUPPORTED: 'keyRefused',
  ERR_NODE_CRYPTO_UNAVAILABLE: 'keyRefused',
  ERR_KEY_PIN_MISMATCH: 'pinMismatch',
  ERR_BUNDLE_MISSING: 'bundle',
  ERR_BUNDLE_CORRUPT: 'bundle',
  ERR_BUNDLE_CONFLICT: 'bundle',
  ERR_ENVELOPE_INVALID: 'notOpened',
  ERR_DECRYPTION_FAILED: 'notOpened',
  ERR_STREAM_LENGTH: 'notOpened',
  ERR_LEGACY_FORMAT: 'notOpened',
  ERR_LEGACY_DECRYPTION_FAILED: 'notOpened',
  ERR_UNWRAP_UNAVAILABLE: 'kmsUnavailable',
  ERR_KMS_UNAVAILABLE: 'kmsUnavailable',
  ERR_KMS_DENIED: 'kmsRefused',
  ERR_KMS_REQUEST: 'kmsRefused',
  ERR_IO: 'io',
  ERR_SEQUENCE_NOT_INCREASING: 'internal',
  ERR_KEY_USAGE_LIMIT: 'io',
  ERR_ENTROPY_SOURCE: 'internal',
  ERR_SYNC_WRAP_UNAVAILABLE: 'internal',
  ERR_SEALER_CLOSED: 'internal',
  ERR_PLAINTEXT_LENGTH: 'io',
  ERR_S3_NOT_FOUND: 's3',
  ERR_S3_DENIED: 's3',
  ERR_S3_UNAVAILABLE: 's3',
  ERR_S3_REQUEST: 's3',
  ERR_INTERRUPTED: 'interrupted',
})

const byExit: Record<number, FileErrorCode[]> = {}
for (const [code, cls] of Object.entries(CLASS_OF) as [FileErrorCode, ExitClass][]) {
  ;(byExit[FILE_EXIT[cls]] ??= []).push(code)
}

/**
 * The exit code of an error code, or `undefined` for one the CLI does not know (a bug).
 *
 * @example
 * ```ts
 * exitCodeOf('ERR_S3_NOT_FOUND') // 10
 * ```
 */
export const exitCodeOf: ExitCodeOf = exitCodeTable(byExit)
