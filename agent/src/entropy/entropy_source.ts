/**
 * The contract every entropy source of the agent meets (a contract suite in
 * `test/agent/entropy/entropy_source_contract.ts` runs it against each implementation).
 *
 * Lifecycle: `start()` once (a hardware source runs its start-up test and readies its first
 * output before it resolves), then `randomBytes(n)` synchronously as often as needed, then
 * `stop()`. A failure **latches**: state `'failed'`, every later `randomBytes` throws an
 * {@link EntropyError} with the failure's code and `latched: true`, each failure listener is
 * called exactly once, and nothing falls back to another source.
 *
 * @example
 * ```ts
 * const entropy: EntropySource = new OsEntropySource()
 * entropy.onFailure((err) => log.error({ code: err.code }, err.message))
 * await entropy.start()
 * const sealer = new Sealer({ wrapper, deviceId, random: (n) => entropy.randomBytes(n) })
 * ```
 */
import type { EntropyError, EntropyErrorCode } from './errors.ts'
import type { HealthTestStats } from './health_tester.ts'

/**
 * Where a source is in its life: `'starting'` until `start()` has resolved (not started yet, or
 * running its start-up test), `'ok'` while it gives bytes, `'failed'` for good after a latched
 * failure, `'stopped'` after `stop()` (unless it had failed: a failure stays visible).
 *
 * @example
 * ```ts
 * const up = entropy.health().state === 'ok' ? 1 : 0
 * ```
 */
export type EntropyState = 'starting' | 'ok' | 'failed' | 'stopped'

/**
 * The latched failure of a source.
 *
 * @example
 * ```ts
 * // { code: 'ERR_ENTROPY_HEALTH_RCT', message: 'repetition count test failed …', atMs: 1.7e12 }
 * ```
 */
export interface EntropyFailure {
  readonly code: EntropyErrorCode
  readonly message: string
  /** Wall-clock time of the failure, ms since 1970 (from the source's clock). */
  readonly atMs: number
}

/**
 * The ready-output pool of a source that keeps one (the hardware source).
 *
 * @example
 * ```ts
 * const { bytes, capacity } = entropy.health().pool ?? { bytes: 0, capacity: 0 }
 * ```
 */
export interface EntropyPoolStats {
  /** Bytes ready for `randomBytes` now. */
  readonly bytes: number
  /** Bytes the pool holds when full; also the largest single request. */
  readonly capacity: number
  /** Conditioned and mixed 32-byte blocks produced so far. */
  readonly blocks: number
}

/**
 * A snapshot of a source's health, for metrics and logs. It holds no random bytes.
 *
 * @example
 * ```ts
 * const h = entropy.health()
 * gauge.set({ source: h.name, state: h.state }, 1)
 * ```
 */
export interface EntropyHealth {
  readonly name: string
  readonly state: EntropyState
  /** The latched failure, or null. */
  readonly failure: EntropyFailure | null
  /** Bytes given out by `randomBytes`. */
  readonly bytesServed: number
  /** `randomBytes` calls that returned bytes. */
  readonly requestsServed: number
  /** `randomBytes` calls refused with an {@link EntropyError} (not ready, starved, failed). */
  readonly requestsRefused: number
  /** Ready-output pool, or null for a source without one (the OS CSPRNG). */
  readonly pool: EntropyPoolStats | null
  /** SP 800-90B health-test counters, or null for a source that runs none (the OS CSPRNG). */
  readonly tests: HealthTestStats | null
}

/**
 * Called once when a source latches a failure.
 *
 * @example
 * ```ts
 * const listener: EntropyFailureListener = (err) => alarm.set(1)
 * ```
 */
export type EntropyFailureListener = (error: EntropyError) => void

/**
 * An entropy source of the agent.
 *
 * @example
 * ```ts
 * await source.start()
 * const cek = source.randomBytes(32)
 * await source.stop()
 * ```
 */
export interface EntropySource {
  /** A short stable name for metrics labels and logs, e.g. `os` or `hwrng`. */
  readonly name: string
  /**
   * Starts the source. Resolves when `randomBytes` can give bytes (for the hardware source: the
   * start-up test has passed and the first output block is ready). Rejects with the latched
   * {@link EntropyError} if the source fails first, or `ERR_ENTROPY_NOT_READY` if stopped first
   * or started after `stop()`. Calling it again returns the same promise.
   */
  start(): Promise<void>
  /**
   * `n` fresh random bytes (a new array the caller owns), synchronously; never blocks or waits.
   *
   * @throws {RangeError} if `n` is not an integer in [0, `maxRequestBytes`].
   * @throws {EntropyError} `ERR_ENTROPY_NOT_READY` before `start()` has resolved or after
   *   `stop()`; the latched code once failed; `ERR_ENTROPY_STARVED` (not latched) when a pooled
   *   source has fewer than `n` bytes ready.
   */
  randomBytes(n: number): Uint8Array
  /** The largest `n` one `randomBytes` call accepts. */
  readonly maxRequestBytes: number
  /** A frozen snapshot of state, failure and counters. */
  health(): EntropyHealth
  /**
   * Registers `listener` for the latched failure. It is called exactly once: when the source
   * fails, or at once (synchronously) if it has already failed. A listener that throws is
   * ignored. Returns a function that unregisters it.
   */
  onFailure(listener: EntropyFailureListener): () => void
  /**
   * Stops background reading and zeroes any ready output. State becomes `'stopped'` unless the
   * source had failed. Idempotent.
   */
  stop(): Promise<void>
}
