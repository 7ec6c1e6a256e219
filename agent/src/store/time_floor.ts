/**
 * The time floor (issue 8, point 5): boards without a real-time clock boot in 1970, so the agent
 * keeps a last-known-good wall time in `agent.db` and never stamps a record earlier than it, across
 * reboots too. {@link TimeFloor.raiseFloor} moves the floor up (never down) in memory at once and
 * writes it at most once per `minWriteIntervalMs` (default one minute) to spare flash; the write
 * that is due is the highest value seen. So after a crash the floor read at the next start is at
 * most one interval (plus the time the agent was down) behind the last raise. That alone is not
 * enough on a board without an RTC, whose wall clock after the reboot is back in 1970: a record
 * committed after the last write would then be followed by earlier stamps. So the floor also
 * **rides along with every group commit** ({@link TimeFloor.rideAlong}): when it is above the
 * stored value, the commit's transaction writes it too (one row, no extra sync). Every committed
 * record's time is then at or below the durable floor, whatever happens next. A clean close
 * writes the latest value.
 *
 * @example
 * ```ts
 * const floor = TimeFloor.open(db, clock)
 * const stamp = Math.max(clock.now(), floor.floor)
 * floor.raiseFloor(stamp)
 * ```
 */
import type { Clock, SqliteStatement } from '../../../platform/src/index.ts'
import type { StateDatabase } from './database.ts'
import { storeDefaults } from './defaults.ts'
import { StoreError } from './errors.ts'
import type { GroupCommit } from './_group_commit.ts'

/** Options of {@link TimeFloor.open}. */
export interface TimeFloorOptions {
  /** At most one durable write per this many milliseconds (monotonic clock). */
  readonly minWriteIntervalMs?: number
}

/**
 * A persisted, never decreasing wall-time floor.
 *
 * @example
 * ```ts
 * floor.floor // 1717171717000, as stored by the previous run
 * ```
 */
export class TimeFloor {
  readonly #db: StateDatabase
  readonly #clock: Clock
  readonly #interval: number
  readonly #write: SqliteStatement
  #floor: number
  #stored: number
  #lastWrite = Number.NEGATIVE_INFINITY
  #writes = 0

  private constructor(db: StateDatabase, clock: Clock, interval: number, stored: number) {
    this.#db = db
    this.#clock = clock
    this.#interval = interval
    this.#write = db.sqlite.prepare(
      'UPDATE time_floor SET floor_ms = max(coalesce(floor_ms, 0), ?) WHERE id = 1',
    )
    this.#floor = stored
    this.#stored = stored
  }

  /**
   * Reads the stored floor (0 when none was ever written).
   *
   * @example
   * ```ts
   * TimeFloor.open(db, systemClock, { minWriteIntervalMs: 60_000 }).floor
   * ```
   */
  static open(db: StateDatabase, clock: Clock, options: TimeFloorOptions = {}): TimeFloor {
    const interval = options.minWriteIntervalMs ?? storeDefaults.timeFloor.minWriteIntervalMs
    if (!Number.isSafeInteger(interval) || interval < 0) {
      throw new RangeError(`minWriteIntervalMs must be an integer ≥ 0, got ${String(interval)}`)
    }
    const row = db.sqlite
      .prepare<{ floor_ms: number | null }>('SELECT floor_ms FROM time_floor WHERE id = 1')
      .get()
    return new TimeFloor(db, clock, interval, row?.floor_ms ?? 0)
  }

  /** The floor: ms since 1970, the highest value raised (0 when none ever was). */
  get floor(): number {
    return this.#floor
  }

  /** The floor as last written to disk (what a restart after a crash would read). */
  get storedFloor(): number {
    return this.#stored
  }

  /** Durable writes since open. */
  get writes(): number {
    return this.#writes
  }

  /**
   * Raises the floor to `ms` when higher; writes it when the last write is at least
   * `minWriteIntervalMs` old. Returns whether the floor moved.
   *
   * @throws {StoreError} `ERR_STORE_WRITE` when a due write fails (the floor in memory is raised
   *   anyway, and the next raise tries the write again).
   * @example
   * ```ts
   * floor.raiseFloor(Date.now()) // true the first time
   * ```
   */
  raiseFloor(ms: number): boolean {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(`raiseFloor: ms must be an integer ≥ 0, got ${String(ms)}`)
    }
    if (ms <= this.#floor) return false
    this.#floor = ms
    if (this.#clock.monotonic() - this.#lastWrite >= this.#interval) this.flush()
    return true
  }

  /**
   * Writes the floor inside every transaction of `commit` in which it is above the stored value
   * (the outbox's group commits), so what a commit makes durable never outruns the floor.
   *
   * @example
   * ```ts
   * floor.rideAlong(groupCommit)
   * ```
   */
  rideAlong(commit: GroupCommit): void {
    let written: number | undefined
    commit.onBeforeCommit(() => {
      written = undefined
      if (this.#floor <= this.#stored) return
      written = this.#floor
      this.#write.run(written)
    })
    commit.onCommit(() => {
      if (written === undefined) return
      this.#stored = Math.max(this.#stored, written)
      this.#lastWrite = this.#clock.monotonic()
      this.#writes++
    })
    commit.onRollback(() => {
      written = undefined
    })
  }

  /**
   * Writes the floor now if it is above the stored one (a clean stop calls it).
   *
   * @example
   * ```ts
   * floor.flush()
   * ```
   */
  flush(): void {
    if (this.#floor <= this.#stored) return
    const value = this.#floor
    try {
      this.#db.transaction(() => this.#write.run(value))
    } catch (err) {
      if (err instanceof StoreError) throw err
      throw new StoreError('ERR_STORE_WRITE', 'cannot write the time floor', { cause: err })
    }
    this.#stored = value
    this.#lastWrite = this.#clock.monotonic()
    this.#writes++
  }
}
