/**
 * The errors of `hsm/`: one {@link HsmError} class (platform's `CodedError` convention) whose
 * `code` says what the caller can do. A decryption that fails for any reason is never an
 * `HsmError`: it is the envelope's opaque `DecryptionFailedError`, with one fixed message.
 *
 * @example
 * ```ts
 * try {
 *   await hsm.generateAes256('fleet-2026')
 * } catch (err) {
 *   if (err instanceof HsmError && err.code === 'ERR_HSM_KEY_EXISTS') pickAnotherLabel()
 * }
 * ```
 */
import { CodedError } from '../../platform/src/index.ts'

/**
 * Codes of {@link HsmError}:
 * - `ERR_HSM_UNAVAILABLE`: the HSM could not be used from here: the PKCS#11 module does not load,
 *   no token has the label, the HTTP API does not answer (connection refused, TLS failure,
 *   timeout, a 5xx answer).
 * - `ERR_HSM_LOGIN`: the token refused the PIN, or the HTTP API refused the API token.
 * - `ERR_HSM_KEY_NOT_FOUND`: no key with that label (alias).
 * - `ERR_HSM_KEY_EXISTS`: a key with that label exists already (generation never overwrites).
 * - `ERR_HSM_UNSUPPORTED`: the HSM cannot do what was asked (a mechanism it lacks, an operation
 *   the HTTP API does not have).
 * - `ERR_HSM_OPERATION`: the HSM refused an operation for another reason (the PKCS#11 `CKR_*`
 *   name, or the HTTP API's error code, is in the message).
 */
export type HsmErrorCode =
  | 'ERR_HSM_UNAVAILABLE'
  | 'ERR_HSM_LOGIN'
  | 'ERR_HSM_KEY_NOT_FOUND'
  | 'ERR_HSM_KEY_EXISTS'
  | 'ERR_HSM_UNSUPPORTED'
  | 'ERR_HSM_OPERATION'

/**
 * An HSM operation failed. Messages name labels, mechanisms and `CKR_*` codes, never key bytes
 * or a PIN.
 *
 * @example
 * ```ts
 * throw new HsmError('ERR_HSM_KEY_NOT_FOUND', 'no key labelled "fleet" on token "station"')
 * ```
 */
export class HsmError extends CodedError<HsmErrorCode> {}

/** Every concrete error class of this component. */
export type AnyHsmError = HsmError
