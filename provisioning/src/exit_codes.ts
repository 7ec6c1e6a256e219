/**
 * Exit codes of `sealwire-provision`: one per class of failure, so a station script can tell a
 * refused key from an unreachable KMS without parsing text. Every code the station can meet is
 * listed, whichever component throws it; the table is the README's. A code missing here would be
 * reported as a bug (`ERR_INTERNAL`, exit 1), so the type below makes the compiler check that
 * every code of every union is mapped.
 *
 * @example
 * ```ts
 * reportError(err, io, exitCodeOf) // 'error ERR_KMS_UNAVAILABLE: …', returns 7
 * ```
 */
import type { DeviceBundleErrorCode } from '../../device-bundle/src/index.ts'
import type { KeyRejectedCode } from '../../envelope/src/index.ts'
import type { HsmErrorCode } from '../../hsm/src/index.ts'
import type { KmsErrorCode } from '../../kms-client/src/index.ts'
import type { ExitCodeOf } from '../../platform/src/index.ts'
import { EXIT, exitCodeTable } from '../../platform/src/index.ts'
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
  ok: EXIT.ok,
  internal: EXIT.internal,
  usage: EXIT.usage,
  keyRefused: 3,
  pinMismatch: 4,
  bundle: 5,
  csv: 6,
  kmsUnavailable: 7,
  kmsRefused: 8,
  io: 9,
  importTokenExpired: 10,
  importTokenForeign: 11,
  algorithmDeprecated: 12,
  validTo: 13,
  importKey: 14,
  hsmUnavailable: 15,
  hsmLogin: 16,
  hsmRefused: 17,
} as const)

/** One exit-code class. */
export type ExitClass = keyof typeof EXIT_CODES

/** Every error code `sealwire-provision` can meet. */
export type StationErrorCode =
  | 'ERR_USAGE'
  | 'ERR_IO'
  | KeyRejectedCode
  | DeviceBundleErrorCode
  | KmsErrorCode
  | HsmErrorCode
  | ProvisioningErrorCode

const CLASS_OF: Readonly<Record<StationErrorCode, ExitClass>> = Object.freeze({
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
  ERR_BYOK_TOKEN_EXPIRED: 'importTokenExpired',
  ERR_BYOK_TOKEN_FOREIGN: 'importTokenForeign',
  ERR_BYOK_ALGORITHM_DEPRECATED: 'algorithmDeprecated',
  ERR_BYOK_VALID_TO: 'validTo',
  ERR_BYOK_KEY: 'importKey',
  ERR_HSM_UNAVAILABLE: 'hsmUnavailable',
  ERR_HSM_LOGIN: 'hsmLogin',
  ERR_HSM_KEY_NOT_FOUND: 'hsmRefused',
  ERR_HSM_KEY_EXISTS: 'hsmRefused',
  ERR_HSM_UNSUPPORTED: 'hsmRefused',
  ERR_HSM_OPERATION: 'hsmRefused',
})

const byExit: Record<number, StationErrorCode[]> = {}
for (const [code, cls] of Object.entries(CLASS_OF) as [StationErrorCode, ExitClass][]) {
  ;(byExit[EXIT_CODES[cls]] ??= []).push(code)
}

/**
 * The exit code of an error code, or `undefined` for a code the station does not know (platform's
 * `reportError` then reports it as internal).
 *
 * @example
 * ```ts
 * exitCodeOf('ERR_KEY_PIN_MISMATCH') // 4
 * ```
 */
export const exitCodeOf: ExitCodeOf = exitCodeTable(byExit)
