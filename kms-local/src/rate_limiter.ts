/**
 * A token bucket per operation family, to play AWS KMS request quotas (for example 500
 * cryptographic requests per second for RSA keys). The bucket holds one second of requests and
 * refills continuously; a request that finds it empty gets `ThrottlingException`.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(50, Date.now())
 * if (!bucket.tryTake(Date.now())) throw new KmsApiError('ThrottlingException', THROTTLING_MESSAGE)
 * ```
 */

/** The message AWS KMS answers when a request quota is exceeded. */
export const THROTTLING_MESSAGE =
  'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.'

/**
 * A token bucket of `ratePerSecond` tokens, refilled at that rate.
 *
 * @example
 * ```ts
 * const b = new TokenBucket(1, 0)
 * b.tryTake(0) // true
 * b.tryTake(0) // false
 * b.tryTake(1000) // true
 * ```
 */
export class TokenBucket {
  readonly ratePerSecond: number
  #tokens: number
  #last: number

  constructor(ratePerSecond: number, now: number) {
    if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
      throw new RangeError('TokenBucket: ratePerSecond must be a positive number')
    }
    this.ratePerSecond = ratePerSecond
    this.#tokens = ratePerSecond
    this.#last = now
  }

  /** Takes a token if there is one. `now`: epoch milliseconds (a clock going back is ignored). */
  tryTake(now: number): boolean {
    const elapsed = Math.max(0, now - this.#last)
    this.#last = Math.max(this.#last, now)
    this.#tokens = Math.min(
      this.ratePerSecond,
      this.#tokens + (elapsed * this.ratePerSecond) / 1000,
    )
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
