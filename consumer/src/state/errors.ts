/**
 * The errors of the consumer's shared state (`consumer/src/state/`): one class, {@link StateError},
 * with a stable `code`. Caller bugs (an empty device id, a sequence number that is not a safe
 * integer, an epoch id that is not 16 hex digits) are `TypeError` / `RangeError`, never one of
 * these (STYLE §3.2).
 *
 * @example
 * ```ts
 * try {
 *   await state.markDelivered(deviceId, seq)
 * } catch (err) {
 *   if (err instanceof StateError && err.code === 'ERR_STATE_UNAVAILABLE') holdAck()
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/** Every code this folder throws. */
export type StateErrorCode =
  'ERR_CONFIG' | 'ERR_STATE_UNAVAILABLE' | 'ERR_STATE_WINDOW_MISMATCH' | 'ERR_STATE_CLOSED'

/**
 * The shared state failed.
 *
 * | code | when |
 * |---|---|
 * | `ERR_CONFIG` | `--state` is neither `memory` nor a `redis://` / `rediss://` URL, or an option is out of range (exit 78) |
 * | `ERR_STATE_UNAVAILABLE` | Redis did not answer or refused a command: nothing was changed, or the change is unknown (retry) |
 * | `ERR_STATE_WINDOW_MISMATCH` | a device's replay window was created by an instance with another `windowSize` |
 * | `ERR_STATE_CLOSED` | a call after `close()` |
 *
 * @example
 * ```ts
 * // error ERR_STATE_UNAVAILABLE: redis://127.0.0.1:6379/: connect ECONNREFUSED 127.0.0.1:6379
 * ```
 */
export class StateError extends CodedError<StateErrorCode> {}
