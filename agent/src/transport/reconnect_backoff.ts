/**
 * When to reconnect: exponential backoff with full jitter (`platform/`'s `fullJitterDelay`: the
 * delay before attempt n is uniform in `[0, min(maxMs, initialMs · 2^n))`), so a fleet that loses
 * its broker at once does not come back at once. The attempt count resets once a connection has
 * stayed up for `stableMs`: a broker that accepts and then drops every connection at once keeps
 * the delays growing instead of being hammered at `initialMs`. Time and randomness are injected.
 *
 * @example
 * ```ts
 * const backoff = new ReconnectBackoff({ initialMs: 1_000, maxMs: 60_000, stableMs: 60_000 })
 * await clock.sleep(backoff.next())          // after a failed attempt
 * backoff.connectionEnded(upForMs)            // after a connection closes
 * ```
 */
import { fullJitterDelay } from '../../../platform/src/index.ts'

/** The bounds of the reconnect backoff (STYLE §4.4). */
export interface ReconnectBackoffOptions {
  /** Cap of the first delay, in milliseconds. */
  readonly initialMs: number
  /** No delay is longer than this. */
  readonly maxMs: number
  /** A connection up at least this long resets the attempt count. */
  readonly stableMs: number
}

/**
 * The state of one reconnect loop.
 *
 * @example
 * ```ts
 * const b = new ReconnectBackoff({ initialMs: 100, maxMs: 1_000, stableMs: 5_000 }, () => 0.5)
 * b.next() // 50, then 100, 200, 400, 500, 500…
 * ```
 */
export class ReconnectBackoff {
  readonly #options: ReconnectBackoffOptions
  readonly #random: () => number
  #attempt = 0

  constructor(options: ReconnectBackoffOptions, random: () => number = Math.random) {
    this.#options = options
    this.#random = random
  }

  /** Attempts since the last stable connection. */
  get attempt(): number {
    return this.#attempt
  }

  /** The delay before the next attempt; counts the attempt. */
  next(): number {
    const delay = fullJitterDelay(this.#attempt, this.#options, this.#random)
    this.#attempt++
    return delay
  }

  /** Records that a connection ended after `upMs`: a stable one resets the attempt count. */
  connectionEnded(upMs: number): void {
    if (upMs >= this.#options.stableMs) this.#attempt = 0
  }
}
