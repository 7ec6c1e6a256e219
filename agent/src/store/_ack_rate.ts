/**
 * The recent acknowledgement rate of the outbox, for the retry-after hint of `ERR_OUTBOX_FULL`:
 * how long until the transport has freed the room a refused call needs. Two buckets of
 * `windowMs` on the monotonic clock; no acknowledgement in the last two windows (the broker is
 * away) means the longest hint.
 *
 * @example
 * ```ts
 * rate.record(100, clock.monotonic())
 * rate.retryAfterMs(50, clock.monotonic(), 1_000, 60_000) // ≥ 1000
 * ```
 */
export class AckRate {
  readonly #windowMs: number
  #start = Number.NaN
  #current = 0
  #previous = 0

  constructor(windowMs = 10_000) {
    this.#windowMs = windowMs
  }

  #roll(now: number): void {
    if (Number.isNaN(this.#start)) {
      this.#start = now
      return
    }
    const elapsed = now - this.#start
    if (elapsed < this.#windowMs) return
    this.#previous = elapsed < 2 * this.#windowMs ? this.#current : 0
    this.#current = 0
    this.#start = now - (elapsed % this.#windowMs)
  }

  /** Counts `n` acknowledged messages at monotonic time `now`. */
  record(n: number, now: number): void {
    this.#roll(now)
    this.#current += n
  }

  /** Acknowledged messages per millisecond over the last one to two windows. */
  perMs(now: number): number {
    this.#roll(now)
    const span = now - this.#start + (this.#previous > 0 ? this.#windowMs : 0)
    return span > 0 ? (this.#previous + this.#current) / span : 0
  }

  /** Milliseconds until `messages` more are acknowledged at the recent rate, within [min, max]. */
  retryAfterMs(messages: number, now: number, min: number, max: number): number {
    const rate = this.perMs(now)
    if (!(rate > 0)) return max
    return Math.min(max, Math.max(min, Math.ceil(messages / rate)))
  }
}
