/**
 * The device sequence number (envelope README §3): one counter, strictly increasing over the
 * device's whole life, that is both the AES-GCM nonce's Partial IV and the consumer's replay and
 * gap key. It is reserved ahead in blocks of K in `agent.db`, as RFC 8613 Appendix B.1.1 does for
 * OSCORE's Sender Sequence Number: when {@link SequenceAllocator.next} reaches the stored bound, it
 * first commits bound + K (fsynced, whatever the database's durability), then hands out the number.
 * So every number ever handed out is ≤ the stored bound, and a restart after any crash resumes at
 * bound + 1, skipping the unused rest of the last block (at most K − 1 numbers per restart).
 *
 * It also counts boots: {@link SequenceAllocator.open} increments `boot_count` durably, and the
 * key announcement carries it.
 *
 * @example
 * ```ts
 * const seq = SequenceAllocator.open(db, { reserveAhead: 1000 })
 * seq.bootCount // 1 on a new device
 * sealer.seal(reading, () => seq.next())
 * ```
 */
import { MAX_SEQUENCE } from '../../../envelope/src/index.ts'
import type { SqliteStatement } from '../../../platform/src/index.ts'
import type { StateDatabase } from './database.ts'
import { storeDefaults } from './defaults.ts'
import { StoreError } from './errors.ts'

/** Options of {@link SequenceAllocator.open}. */
export interface SequenceOptions {
  /** K: numbers reserved per durable write (1 … 2^32). */
  readonly reserveAhead?: number
}

/**
 * Hands out device sequence numbers, synchronously, reserved ahead in `agent.db`.
 *
 * @example
 * ```ts
 * const a = seq.next()
 * const b = seq.next() // b > a, also across restarts
 * ```
 */
export class SequenceAllocator {
  readonly #db: StateDatabase
  readonly #writeBound: SqliteStatement
  readonly #reserveAhead: number
  readonly #bootCount: number
  #bound: number
  #next: number
  #reservations = 0

  private constructor(db: StateDatabase, reserveAhead: number, bound: number, bootCount: number) {
    this.#db = db
    this.#writeBound = db.sqlite.prepare('UPDATE sequence SET bound = ? WHERE id = 1')
    this.#reserveAhead = reserveAhead
    this.#bound = bound
    this.#next = bound + 1
    this.#bootCount = bootCount
  }

  /**
   * Reads the stored bound and increments the boot count (one fsynced commit). The first number
   * handed out is the stored bound + 1 (1 on a new device).
   *
   * @example
   * ```ts
   * const seq = SequenceAllocator.open(db)
   * ```
   */
  static open(db: StateDatabase, options: SequenceOptions = {}): SequenceAllocator {
    const k = options.reserveAhead ?? storeDefaults.sequence.reserveAhead
    if (!Number.isSafeInteger(k) || k < 1 || k > 2 ** 32) {
      throw new RangeError(`reserveAhead must be an integer from 1 to 2^32, got ${String(k)}`)
    }
    const bump = db.sqlite.prepare('UPDATE sequence SET boot_count = boot_count + 1 WHERE id = 1')
    const read = db.sqlite.prepare<{ bound: number; boot_count: number }>(
      'SELECT bound, boot_count FROM sequence WHERE id = 1',
    )
    const row = db.transaction(
      () => {
        bump.run()
        return read.get()!
      },
      { sync: 'full' },
    )
    return new SequenceAllocator(db, k, row.bound, row.boot_count)
  }

  /** This boot's number: 1 on the first start of a device, incremented at every open. */
  get bootCount(): number {
    return this.#bootCount
  }

  /** The highest number that may have been handed out (the durable bound). */
  get reservedThrough(): number {
    return this.#bound
  }

  /** The number the next call returns (nothing is reserved by reading it). */
  get peekNext(): number {
    return this.#next
  }

  /** Durable writes of a new bound since open. */
  get reservations(): number {
    return this.#reservations
  }

  /**
   * The next sequence number: strictly greater than every number handed out before, in this
   * process or any earlier one. Commits a new bound first when the reserved block is used up.
   *
   * @throws {StoreError} `ERR_SEQUENCE_EXHAUSTED` past 2^53 − 1; `ERR_STORE_WRITE` when the new
   *   bound cannot be committed (no number is handed out then; the next call tries again).
   * @example
   * ```ts
   * const n = seq.next()
   * ```
   */
  next(): number {
    const n = this.#next
    if (n > MAX_SEQUENCE) {
      throw new StoreError(
        'ERR_SEQUENCE_EXHAUSTED',
        `the device sequence number is exhausted (every number up to ${MAX_SEQUENCE} is used)`,
      )
    }
    if (n > this.#bound) this.#reserve(Math.min(this.#bound + this.#reserveAhead, MAX_SEQUENCE))
    this.#next = n + 1
    return n
  }

  #reserve(bound: number): void {
    try {
      this.#db.transaction(() => this.#writeBound.run(bound), { sync: 'full' })
    } catch (err) {
      if (err instanceof StoreError) throw err
      throw new StoreError('ERR_STORE_WRITE', 'cannot reserve sequence numbers', { cause: err })
    }
    this.#bound = bound
    this.#reservations++
  }
}
