/**
 * The consumer's client-side limit on KMS `Decrypt` requests: a token bucket that holds one
 * second of requests, refilled continuously, with waiters served in arrival order. It stays below
 * the account's quota (RSA `Decrypt`: 500 requests/s per account and region, shared by every RSA
 * key), and it is **adaptive** (AIMD, as TCP's congestion avoidance and the AWS SDK's adaptive
 * retry mode): a throttling answer halves the rate (at most once per `decreaseEveryMs`, down to
 * `minPerSecond`); after that each success adds `1 / rate`, so the rate climbs back by about one
 * request per second each second, and once no throttling was seen for `recoverAfterMs` each
 * success adds 1 (back to the configured rate within seconds). So several instances sharing one
 * quota, or another service spending it, settle just below it instead of hammering it.
 *
 * @example
 * ```ts
 * const limiter = new AdaptiveRateLimiter({ perSecond: 400 })
 * await limiter.take()
 * try { await decrypt(); limiter.succeeded() } catch (err) { if (throttled(err)) limiter.throttled() }
 * ```
 */
import { systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'

/** Options of {@link AdaptiveRateLimiter}. */
export interface RateLimiterOptions {
  /** The highest rate, requests per second. */
  readonly perSecond: number
  /** The rate never drops below this; default 1. */
  readonly minPerSecond?: number
  /** Time without throttling after which the rate climbs fast again, in ms; default 10,000. */
  readonly recoverAfterMs?: number
  /** At most one halving per this many ms (one burst of throttles is one signal); default 250. */
  readonly decreaseEveryMs?: number
  readonly clock?: Clock
}

/**
 * A token bucket whose rate follows throttling answers (see the module doc).
 *
 * @example
 * ```ts
 * const limiter = new AdaptiveRateLimiter({ perSecond: 2 })
 * await limiter.take() // at once
 * await limiter.take() // at once (a bucket holds one second)
 * await limiter.take() // about 500 ms later
 * ```
 */
export class AdaptiveRateLimiter {
  readonly maxPerSecond: number
  readonly minPerSecond: number
  readonly #recoverAfterMs: number
  readonly #decreaseEveryMs: number
  readonly #clock: Clock
  #rate: number
  #tokens: number
  #last: number
  #lastDecrease = -Infinity
  /** Takers in arrival order: each waits for the one before it. */
  #tail: Promise<void> = Promise.resolve()

  constructor(options: RateLimiterOptions) {
    const { perSecond } = options
    if (!(Number.isFinite(perSecond) && perSecond > 0)) {
      throw new RangeError('perSecond: expected a positive number')
    }
    const min = options.minPerSecond ?? Math.min(1, perSecond)
    if (!(min > 0 && min <= perSecond)) {
      throw new RangeError('minPerSecond: expected a positive number at most perSecond')
    }
    this.maxPerSecond = perSecond
    this.minPerSecond = min
    this.#recoverAfterMs = options.recoverAfterMs ?? 10_000
    this.#decreaseEveryMs = options.decreaseEveryMs ?? 250
    this.#clock = options.clock ?? systemClock
    this.#rate = perSecond
    this.#tokens = Math.max(1, perSecond)
    this.#last = this.#clock.monotonic()
  }

  /** The current rate, requests per second. */
  get rate(): number {
    return this.#rate
  }

  /** Resolves when a request may be sent; rejects only when `signal` aborts. */
  take(signal?: AbortSignal): Promise<void> {
    const mine = this.#tail.then(() => this.#takeOne(signal))
    // The next taker waits for this one whatever happens to it.
    this.#tail = mine.catch(() => undefined)
    return mine
  }

  /** A throttling answer: halve the rate (once per `decreaseEveryMs`) and empty the bucket. */
  throttled(): void {
    const now = this.#clock.monotonic()
    this.#tokens = Math.min(this.#tokens, 0)
    if (now - this.#lastDecrease < this.#decreaseEveryMs) return
    this.#lastDecrease = now
    this.#rate = Math.max(this.minPerSecond, this.#rate / 2)
  }

  /** A request that was not throttled: regain some rate. */
  succeeded(): void {
    const calm = this.#clock.monotonic() - this.#lastDecrease >= this.#recoverAfterMs
    this.#rate = Math.min(this.maxPerSecond, this.#rate + (calm ? 1 : 1 / this.#rate))
  }

  async #takeOne(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted()
      const now = this.#clock.monotonic()
      const capacity = Math.max(1, this.#rate)
      this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#last) * this.#rate) / 1000)
      this.#last = now
      if (this.#tokens >= 1) {
        this.#tokens -= 1
        return
      }
      await this.#clock.sleep(Math.ceil(((1 - this.#tokens) * 1000) / this.#rate), signal)
    }
  }
}
