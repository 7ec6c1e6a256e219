/**
 * A board without a real-time clock: its wall clock starts at `bootAt` (default 0, 1970-01-01)
 * when it powers up and runs from there on the base clock's monotonic time, until NTP arrives
 * (`sync()`), when it jumps to the base clock's wall time. Pass it as the agent's clock and
 * `() => clock.synced()` as its `ntpSynchronized` with `clock.trust` `ntp`: records stamped
 * before the sync carry clock flag 1. A reboot is a new `RtclessClock` (back to `bootAt`).
 * HARDWARE.md is normative.
 *
 * @example
 * ```ts
 * const clock = new RtclessClock()
 * clock.now() // ≈ 0 + ms since power-up
 * clock.sync()
 * clock.now() // Date.now()
 * ```
 */
import type { Clock } from '../../../platform/src/index.ts'
import { systemClock } from '../../../platform/src/index.ts'
import { hardwareDefaults } from './defaults.ts'

/** Options of {@link RtclessClock}. */
export interface RtclessClockOptions {
  /** The real time behind the board: monotonic time, sleeps, and the wall time NTP brings. */
  readonly base?: Clock
  /** Wall time at power-up, ms since 1970; default 0. */
  readonly bootAt?: number
  /** Synchronise by itself once this many ms (base monotonic) have passed since power-up. */
  readonly syncAfterMs?: number
}

/**
 * The clock of an RTC-less board. Implements platform's `Clock`.
 *
 * @example
 * ```ts
 * const clock = new RtclessClock({ base: manual, syncAfterMs: 30_000 })
 * ```
 */
export class RtclessClock implements Clock {
  readonly bootAt: number
  readonly #base: Clock
  readonly #bootMono: number
  readonly #syncAfterMs: number | undefined
  #synced = false

  constructor(options: RtclessClockOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('options: expected an object')
    }
    this.#base = options.base ?? systemClock
    this.bootAt = options.bootAt ?? hardwareDefaults.bootAt
    if (!Number.isSafeInteger(this.bootAt) || this.bootAt < 0) {
      throw new RangeError(
        `bootAt: expected an integer ≥ 0 (ms since 1970), got ${String(this.bootAt)}`,
      )
    }
    const after = options.syncAfterMs
    if (
      after !== undefined &&
      !(typeof after === 'number' && after >= 0 && Number.isFinite(after))
    ) {
      throw new RangeError(`syncAfterMs: expected a number ≥ 0, got ${String(after)}`)
    }
    this.#syncAfterMs = after
    this.#bootMono = this.#base.monotonic()
  }

  /** Wall time: `bootAt` + ms since power-up until synced, then the base clock's wall time. */
  now(): number {
    if (this.synced()) return this.#base.now()
    return this.bootAt + Math.floor(this.#base.monotonic() - this.#bootMono)
  }

  monotonic(): number {
    return this.#base.monotonic()
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#base.sleep(ms, signal)
  }

  /** NTP arrives: from now on `now()` is the base clock's wall time and `synced()` is true. */
  sync(): void {
    this.#synced = true
  }

  /** True once synchronised (by `sync()`, or `syncAfterMs` after power-up). */
  synced(): boolean {
    if (
      !this.#synced &&
      this.#syncAfterMs !== undefined &&
      this.#base.monotonic() - this.#bootMono >= this.#syncAfterMs
    ) {
      this.#synced = true
    }
    return this.#synced
  }
}
