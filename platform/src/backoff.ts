/**
 * Exponential backoff with full jitter: the delay before retry `attempt` (0-based) is uniform in
 * `[0, min(maxMs, initialMs · 2^attempt))` (the AWS Architecture Blog's "full jitter", which
 * spreads a fleet's retries instead of synchronising them). The random source is injected.
 *
 * @example
 * ```ts
 * await clock.sleep(fullJitterDelay(attempt, { initialMs: 100, maxMs: 20_000 }, Math.random))
 * ```
 */

/** The bounds of a backoff (STYLE §4.4). */
export interface BackoffBounds {
  /** The cap of the first delay, in milliseconds. */
  readonly initialMs: number
  /** No delay is longer than this. */
  readonly maxMs: number
}

/**
 * The delay before retry `attempt`.
 *
 * @example
 * ```ts
 * fullJitterDelay(3, { initialMs: 100, maxMs: 20_000 }, () => 0.5) // 400
 * ```
 */
export function fullJitterDelay(
  attempt: number,
  bounds: BackoffBounds,
  random: () => number,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError('fullJitterDelay: attempt must be an integer ≥ 0')
  }
  const cap = Math.min(bounds.maxMs, bounds.initialMs * 2 ** Math.min(attempt, 52))
  return Math.floor(random() * cap)
}
