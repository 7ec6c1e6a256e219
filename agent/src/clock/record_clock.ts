/**
 * Record times on a board that may have no RTC: it boots in 1970, and its clock jumps when NTP
 * (or a person) sets it. Record times must **never go backwards** and must say whether the clock
 * was trusted when they were taken.
 *
 * - The floor: the highest time the agent ever stamped or learnt, persisted across reboots (the
 *   store's time floor, written at most once a minute to spare flash). At start the floor is the
 *   persisted one, so a board booting in 1970 stamps at least its last known time.
 * - `stamp()` = max(wall clock, floor, last stamp): non-decreasing across the process's life and
 *   across reboots (up to the floor's write interval, which is why a restart only raises it).
 * - `clock` flag: 1 ("not yet synced") until the configured trusted source confirms the wall
 *   clock, then 0. Sources: `system` (trusted from the start: an RTC, or NTP before the agent
 *   started), `ntp` (trusted once systemd-timesyncd's `/run/systemd/timesync/synchronized`
 *   exists), `broker` (trusted once a broker connection succeeded — over TLS the certificate
 *   check already needed a plausible clock). A stamp that had to use the floor because the wall
 *   clock was behind it is flagged 1 whatever the source says.
 * - A reading that carries its own `time` keeps it verbatim, flagged 0: the time is the sender's
 *   assertion, not this clock's, and it neither reads nor raises the floor (a sender's wrong
 *   future time must not hold the agent's own stamps hostage).
 *
 * @example
 * ```ts
 * const rc = new RecordClock({ clock: systemClock, floorMs: store.timeFloor.value, trust: 'system' })
 * rc.stamp() // { time: 1764489600000, clock: 0 }
 * ```
 */
import type { ClockState } from '../../../envelope/src/index.ts'
import { existsSync } from 'node:fs'
import type { Clock } from '../../../platform/src/index.ts'

/** The flag file systemd-timesyncd creates once the clock is synchronised. */
const TIMESYNC_FLAG_FILE = '/run/systemd/timesync/synchronized'

/** Which source makes the wall clock trusted. */
export type ClockTrust = 'system' | 'ntp' | 'broker'

/** Options of {@link RecordClock}. */
export interface RecordClockOptions {
  readonly clock: Clock
  /** The persisted floor, ms since 1970 (0 when none). */
  readonly floorMs: number
  readonly trust: ClockTrust
  /** Tells whether the `ntp` source has confirmed (default: the systemd-timesyncd flag file). */
  readonly ntpSynchronized?: () => boolean
}

/** A stamped time. */
export interface Stamp {
  readonly time: number
  readonly clock: ClockState
}

/** Stamps record times. */
export class RecordClock {
  readonly trust: ClockTrust
  readonly #clock: Clock
  readonly #ntp: () => boolean
  #floor: number
  #synced: boolean

  constructor(options: RecordClockOptions) {
    this.trust = options.trust
    this.#clock = options.clock
    this.#floor = Math.max(0, options.floorMs)
    this.#ntp = options.ntpSynchronized ?? (() => existsSync(TIMESYNC_FLAG_FILE))
    this.#synced = options.trust === 'system'
  }

  /** True once the trusted source confirmed the wall clock. */
  get synced(): boolean {
    if (!this.#synced && this.trust === 'ntp' && this.#ntp()) this.#synced = true
    return this.#synced
  }

  /** The highest time stamped or learnt so far: what to persist as the floor. */
  get floor(): number {
    return this.#floor
  }

  /** The broker connection succeeded: the `broker` source confirms. */
  brokerConnected(): void {
    if (this.trust === 'broker') this.#synced = true
  }

  /**
   * The time for a new record: never below any earlier stamp. A reading's own `time` is kept.
   *
   * @example
   * ```ts
   * rc.stamp(reading.time)
   * ```
   */
  stamp(given?: number): Stamp {
    if (given !== undefined) return { time: given, clock: 0 }
    const wall = this.#clock.now()
    const behind = wall < this.#floor
    const time = behind ? this.#floor : wall
    this.#floor = time
    return { time, clock: this.synced && !behind ? 0 : 1 }
  }
}
