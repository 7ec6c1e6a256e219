/**
 * The agent's durable state, opened once at start: the `agent.db` database, the sequence
 * allocator, the outbox (with its group commit and TTL sweeps), the time floor and the status
 * fields. It has the agent features' lifecycle (`name`, `start()`, `stop()`): `start()` runs the
 * TTL sweeps; `stop()` commits what is waiting, writes the time floor and closes the database.
 *
 * @example
 * ```ts
 * const store = await openAgentStore({ stateDir: '/var/lib/sealwire', durability: 'full' })
 * store.start()
 * const sealer = new Sealer({ wrapper, deviceId, random, bootCount: store.sequence.bootCount })
 * const { announcement, message } = sealer.seal(reading, () => store.sequence.next())
 * await store.outbox.enqueue(items) // then answer 200
 * await store.stop()
 * ```
 */
import type { Clock, SqliteStatement } from '../../../platform/src/index.ts'
import { PLAIN_MAX_CHARS, plain, systemClock } from '../../../platform/src/index.ts'
import { StateDatabase } from './database.ts'
import { storeDefaults } from './defaults.ts'
import type { Durability } from './defaults.ts'
import { Outbox } from './outbox.ts'
import type { OutboxOptions } from './outbox.ts'
import { SequenceAllocator } from './sequence_allocator.ts'
import type { SequenceOptions } from './sequence_allocator.ts'
import { statusOf } from './status.ts'
import type { StoreStatus } from './status.ts'
import { TimeFloor } from './time_floor.ts'
import type { TimeFloorOptions } from './time_floor.ts'
import { GroupCommit } from './_group_commit.ts'
import type { GroupCommitStats } from './_group_commit.ts'

/** Outbox settings: limits and policies, group commit bounds, sweep interval. */
export interface AgentOutboxOptions extends Partial<OutboxOptions> {
  readonly maxBatch?: number
  readonly maxDelayMs?: number
  readonly sweepIntervalMs?: number
}

/** Options of {@link openAgentStore}; anything left out takes `storeDefaults`. */
export interface AgentStoreOptions {
  /** The state folder (created 0700); the database is `<stateDir>/agent.db`. */
  readonly stateDir: string
  /** Wall time (enqueue stamps, TTL) and monotonic time (group commit delay, rate limits). */
  readonly clock?: Clock
  readonly durability?: Durability
  readonly walSizeLimitBytes?: number
  readonly sequence?: SequenceOptions
  readonly outbox?: AgentOutboxOptions
  readonly timeFloor?: TimeFloorOptions
}

/**
 * Opens the agent's state: creates or migrates `agent.db`, increments the boot count, loads the
 * outbox and the time floor.
 *
 * @throws {StoreError} `ERR_STORE_SCHEMA_NEWER`; {@link IoError} `ERR_IO`; `RangeError` for a bad
 *   option.
 * @example
 * ```ts
 * const store = await openAgentStore({ stateDir, outbox: { policy: 'drop-oldest' } })
 * ```
 */
export async function openAgentStore(options: AgentStoreOptions): Promise<AgentStore> {
  if (typeof options?.stateDir !== 'string' || options.stateDir === '') {
    throw new TypeError('openAgentStore: stateDir must be a non-empty path')
  }
  const clock = options.clock ?? systemClock
  const o = { ...storeDefaults.outbox, ...options.outbox }
  const sweepIntervalMs = o.sweepIntervalMs
  if (!Number.isSafeInteger(sweepIntervalMs) || sweepIntervalMs < 1) {
    throw new RangeError(
      `sweepIntervalMs must be a positive integer, got ${String(sweepIntervalMs)}`,
    )
  }
  const db = await StateDatabase.open(options.stateDir, {
    durability: options.durability,
    walSizeLimitBytes: options.walSizeLimitBytes,
  })
  try {
    const commit = new GroupCommit(db, clock, { maxBatch: o.maxBatch, maxDelayMs: o.maxDelayMs })
    const sequence = SequenceAllocator.open(db, options.sequence)
    const outbox = new Outbox(db, commit, clock, o)
    const timeFloor = TimeFloor.open(db, clock, options.timeFloor)
    timeFloor.rideAlong(commit)
    return new AgentStore(db, commit, clock, sequence, outbox, timeFloor, sweepIntervalMs)
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * The agent's open state. Made by {@link openAgentStore}.
 *
 * @example
 * ```ts
 * store.status().outbox.pending
 * ```
 */
export class AgentStore {
  readonly name = 'store'
  readonly database: StateDatabase
  readonly sequence: SequenceAllocator
  readonly outbox: Outbox
  readonly timeFloor: TimeFloor
  readonly #commit: GroupCommit
  readonly #clock: Clock
  readonly #sweepIntervalMs: number
  readonly #writeError: SqliteStatement
  #sweeps: AbortController | undefined
  #lastError: { message: string; at: number } | undefined
  #errorQueued = false
  #stopped = false

  /** @internal Use {@link openAgentStore}. */
  constructor(
    database: StateDatabase,
    commit: GroupCommit,
    clock: Clock,
    sequence: SequenceAllocator,
    outbox: Outbox,
    timeFloor: TimeFloor,
    sweepIntervalMs: number,
  ) {
    this.database = database
    this.#commit = commit
    this.#clock = clock
    this.sequence = sequence
    this.outbox = outbox
    this.timeFloor = timeFloor
    this.#sweepIntervalMs = sweepIntervalMs
    this.#writeError = database.sqlite.prepare(
      'UPDATE agent_state SET last_error = ?, last_error_at = ? WHERE id = 1',
    )
  }

  /** Group commit counters: transactions and requests (see also `database.commits`). */
  get commitStats(): GroupCommitStats {
    return this.#commit.stats
  }

  /**
   * Records the agent's last error for `status`: one line, control characters escaped, at most
   * 200 characters. Written with the next group commit (at most one write per commit, the
   * latest wins); never throws. Pass messages without secrets (no keys, no passwords in URLs).
   *
   * @example
   * ```ts
   * store.recordError(`broker: ${err.message}`)
   * ```
   */
  recordError(message: string): void {
    this.#lastError = { message: plain(message, PLAIN_MAX_CHARS), at: this.#clock.now() }
    if (this.#errorQueued || this.#stopped) return
    this.#errorQueued = true
    const write = this.#writeError
    this.#commit
      .submit(
        0,
        () => {
          this.#errorQueued = false
          const e = this.#lastError!
          write.run(e.message, e.at)
          return { ok: true, value: undefined }
        },
        { sync: 'normal' }, // a status field: losing it in a power cut is harmless
      )
      .catch(() => {
        this.#errorQueued = false
      })
  }

  /** The status snapshot, from this process's connection. */
  status(): StoreStatus {
    const s = statusOf(this.database.sqlite, this.#clock.now())
    // Not yet committed values are newer than the table's.
    return this.#lastError === undefined ? s : { ...s, lastError: { ...this.#lastError } }
  }

  /** Starts the TTL sweeps (every `sweepIntervalMs` on the store's clock). Idempotent. */
  start(): void {
    if (this.#sweeps !== undefined || this.#stopped) return
    const controller = new AbortController()
    this.#sweeps = controller
    const loop = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        try {
          await this.#clock.sleep(this.#sweepIntervalMs, controller.signal)
        } catch {
          return
        }
        await this.outbox.expire().catch((err: unknown) => {
          if (!controller.signal.aborted) this.recordError(`outbox sweep: ${String(err)}`)
        })
      }
    }
    void loop()
  }

  /**
   * Stops the sweeps, commits every waiting request, writes the time floor and closes the
   * database. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#sweeps?.abort()
    this.#commit.close()
    try {
      this.timeFloor.flush()
    } finally {
      this.database.close()
    }
  }
}
