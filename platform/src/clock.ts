/**
 * Time, injected: every component reads the time through a {@link Clock}, so tests move time by
 * hand and never wait on real elapsed time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_700_000_000_000)
 * const slept = clock.sleep(1_000)
 * clock.advance(1_000) // resolves `slept`
 * ```
 */

/** Wall time, monotonic time and sleeping. */
export interface Clock {
  /** Wall-clock milliseconds since 1970 (may jump: NTP, an RTC-less board booting in 1970). */
  now(): number
  /** Monotonic milliseconds from an arbitrary origin: for durations and timeouts. */
  monotonic(): number
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

/**
 * The real clock: `Date.now()`, `performance.now()` and timers.
 *
 * @example
 * ```ts
 * await systemClock.sleep(100)
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal))
      const onAbort = (): void => {
        clearTimeout(timer)
        reject(abortReason(signal!))
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
})

interface Sleeper {
  readonly at: number
  readonly resolve: () => void
}

/**
 * A clock that moves only when told: `advance(ms)` moves both times forward and resolves the
 * sleeps that are due, in order. For tests.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(0)
 * clock.advance(5_000)
 * clock.now() // 5000
 * ```
 */
export class ManualClock implements Clock {
  #wall: number
  #mono = 0
  #sleepers: Sleeper[] = []

  constructor(wallMs = 0) {
    this.#wall = wallMs
  }

  now(): number {
    return this.#wall
  }

  monotonic(): number {
    return this.#mono
  }

  /** Sets the wall clock only (a jump, as NTP or a user does); monotonic time is untouched. */
  setWall(ms: number): void {
    this.#wall = ms
  }

  /** How many sleeps are pending. */
  get pending(): number {
    return this.#sleepers.length
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal))
      const sleeper: Sleeper = { at: this.#mono + Math.max(0, ms), resolve }
      this.#sleepers.push(sleeper)
      signal?.addEventListener(
        'abort',
        () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper)
          reject(abortReason(signal))
        },
        { once: true },
      )
    })
  }

  /** Moves time forward by `ms` and resolves every sleep due by then, earliest first. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advance: ms must be ≥ 0')
    this.#wall += ms
    this.#mono += ms
    const due = this.#sleepers.filter((s) => s.at <= this.#mono).sort((a, b) => a.at - b.at)
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.#mono)
    for (const s of due) s.resolve()
  }
}
