/**
 * Exit codes of `sealwire-provision`: one per class of failure, so a station script can tell a
 * refused key from an unreachable KMS without parsing text. The table is the one in the README.
 *
 * @example
 * ```ts
 * process.exitCode = exitCodeOf('ERR_KMS_UNAVAILABLE') // 7
 * ```
 */
import type { ProvisioningErrorCode } from './errors.ts'

/**
 * Exit codes by class. 1 is an unexpected internal failure (a bug), never a domain error.
 *
 * @example
 * ```ts
 * if (code === EXIT_CODES.kmsUnavailable) retryLater()
 * ```
 */
export const EXIT_CODES = Object.freeze({
  ok: 0,
  internal: 1,
  usage: 2,
  keyRefused: 3,
  pinMismatch: 4,
  bundle: 5,
  csv: 6,
  kmsUnavailable: 7,
  kmsRefused: 8,
  io: 9,
} as const)

/** One exit-code class. */
export type ExitClass = keyof typeof EXIT_CODES

const CLASS_OF: Readonly<Record<ProvisioningErrorCode, ExitClass>> = Object.assign(
  Object.create(null) as Record<ProvisioningErrorCode, ExitClass>,
  {
    ERR_USAGE: 'usage',
    ERR_KEY_SPEC: 'keyRefused',
    ERR_KEY_USAGE: 'keyRefused',
    ERR_KEY_ALGORITHM: 'keyRefused',
    ERR_KEY_STATE: 'keyRefused',
    ERR_KEY_SIZE: 'keyRefused',
    ERR_KEY_EXPONENT: 'keyRefused',
    ERR_KEY_UNSUPPORTED: 'keyRefused',
    ERR_KEY_PIN_MISMATCH: 'pinMismatch',
    ERR_BUNDLE_MISSING: 'bundle',
    ERR_BUNDLE_CORRUPT: 'bundle',
    ERR_BUNDLE_CONFLICT: 'bundle',
    ERR_CSV_INVALID: 'csv',
    ERR_KMS_UNAVAILABLE: 'kmsUnavailable',
    ERR_KMS_DENIED: 'kmsRefused',
    ERR_KMS_REQUEST: 'kmsRefused',
    ERR_IO: 'io',
  } satisfies Record<ProvisioningErrorCode, ExitClass>,
)

/**
 * The process exit code for an error code.
 *
 * @example
 * ```ts
 * exitCodeOf('ERR_KEY_PIN_MISMATCH') // 4
 * ```
 */
export function exitCodeOf(code: ProvisioningErrorCode): number {
  return EXIT_CODES[CLASS_OF[code]]
}
