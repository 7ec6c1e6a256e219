/**
 * Errors of the entropy feature: one class, {@link EntropyError}, with a stable `code` from
 * {@link EntropyErrorCode} and a `latched` flag. Messages say what happened (which test, the count
 * and the cutoff, how many samples arrived in how long) and never carry a sample or output byte.
 * Caller bugs (a request length that is not an integer in range) are plain `RangeError`s.
 *
 * @example
 * ```ts
 * try {
 *   cek = entropy.randomBytes(32)
 * } catch (err) {
 *   if (err instanceof EntropyError && err.latched) raiseAlarm(err.code) // never clears
 *   throw err // the agent starts no epoch without a CEK
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/**
 * Every code an {@link EntropyError} can carry.
 *
 * - `ERR_ENTROPY_HEALTH_RCT`: the Repetition Count Test (SP 800-90B §4.4.1) failed. Latched.
 * - `ERR_ENTROPY_HEALTH_APT`: the Adaptive Proportion Test (SP 800-90B §4.4.2) failed. Latched.
 * - `ERR_ENTROPY_STARVED`: latched when the source gave too few samples within the starvation
 *   timeout; not latched when the ready-output pool is momentarily empty.
 * - `ERR_ENTROPY_NOT_READY`: not started yet (or its start-up test is still running), or stopped.
 * - `ERR_ENTROPY_SOURCE`: the source cannot be used: the device cannot be opened or read, the
 *   generator threw or misbehaved, the stream ended. Latched.
 *
 * @example
 * ```ts
 * const code: EntropyErrorCode = 'ERR_ENTROPY_HEALTH_RCT'
 * ```
 */
export type EntropyErrorCode =
  | 'ERR_ENTROPY_HEALTH_RCT'
  | 'ERR_ENTROPY_HEALTH_APT'
  | 'ERR_ENTROPY_STARVED'
  | 'ERR_ENTROPY_NOT_READY'
  | 'ERR_ENTROPY_SOURCE'

/**
 * The entropy source refused to give bytes, or failed. When `latched` is true the source is in
 * state `'failed'` for good: every later request throws the same code, and nothing falls back to
 * another source.
 *
 * @example
 * ```ts
 * throw new EntropyError('ERR_ENTROPY_NOT_READY', 'entropy source "os" is not started')
 * ```
 */
export class EntropyError extends CodedError<EntropyErrorCode> {
  /** True when the failure is latched (the source will never give bytes again). */
  readonly latched: boolean

  constructor(
    code: EntropyErrorCode,
    message: string,
    options?: { readonly cause?: unknown; readonly latched?: boolean },
  ) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.latched = options?.latched ?? false
  }
}
