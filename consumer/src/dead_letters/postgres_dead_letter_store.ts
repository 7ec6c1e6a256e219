/**
 * {@link DeadLetterStore} in PostgreSQL (`--dead-letters postgres://…`): one row per letter, the
 * message bytes as `bytea`. Several consumer instances can share the table.
 *
 * ```sql
 * CREATE TABLE IF NOT EXISTS sealwire_dead_letters (
 *   id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
 *   at_ms  bigint NOT NULL,   -- when the message was received, ms since 1970
 *   topic  text   NOT NULL,
 *   reason text   NOT NULL,
 *   detail text   NOT NULL,
 *   bytes  bytea  NOT NULL
 * );
 * CREATE INDEX IF NOT EXISTS sealwire_dead_letters_at ON sealwire_dead_letters (at_ms, id);
 * ```
 *
 * Ids are the identity as a decimal string. `list()` pages through `(at_ms, id)` with a keyset
 * (`WHERE (at_ms, id) > ($1, $2) ORDER BY at_ms, id LIMIT pageSize`), so it holds one page in
 * memory and never a long transaction.
 *
 * @example
 * ```ts
 * const letters = await PostgresDeadLetterStore.open('postgres://consumer@db/telemetry')
 * await letters.count() // { 'epoch-unknown': 3 }
 * ```
 */
import type pg from 'pg'
import { shown } from '../../../platform/src/index.ts'
import {
  describePgError,
  isConcurrentCreate,
  openPool,
  quoteTable,
  type ErrorOf,
} from '../sinks/_postgres.ts'
import { safeUrl } from '../sinks/_safe_url.ts'
import { assertDetail, assertNewLetter, assertReason, isReason } from './_checks.ts'
import type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
  NewDeadLetter,
} from './dead_letter_store.ts'
import { deadLetterDefaults } from './defaults.ts'
import { DeadLetterError } from './errors.ts'

/** Options of {@link PostgresDeadLetterStore.open}. */
export interface PostgresDeadLetterStoreOptions {
  /** Default `sealwire_dead_letters`; `schema.table` accepted (the schema must exist). */
  readonly table?: string
  /** Largest message kept; default 16 MiB. */
  readonly maxLetterBytes?: number
  /** Letters per page of `list()`; default 100. */
  readonly pageSize?: number
  readonly poolSize?: number
  readonly connectTimeoutMs?: number
  readonly statementTimeoutMs?: number
  /** Errors of idle connections (for a log); default ignored. */
  readonly onError?: (err: Error) => void
}

const errorOf: ErrorOf<DeadLetterError> = (code, message, cause) =>
  new DeadLetterError(code === 'UNAVAILABLE' ? 'ERR_DEAD_LETTERS_UNAVAILABLE' : code, message, {
    cause,
  })

const ID = /^[1-9][0-9]{0,17}$/

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new DeadLetterError('ERR_CONFIG', `${name}: expected an integer ≥ 1, got ${shown(v)}`)
  }
  return v
}

interface Row {
  id: string
  at_ms: string
  topic: string
  reason: string
  detail: string
  bytes: Buffer
}

/** The PostgreSQL {@link DeadLetterStore}. */
export class PostgresDeadLetterStore implements DeadLetterStore {
  readonly description: string
  /** The table, quoted as used in SQL. */
  readonly table: string
  readonly #pool: pg.Pool
  readonly #maxBytes: number
  readonly #pageSize: number
  readonly #inflight = new Set<Promise<unknown>>()
  #closed = false
  #closing: Promise<void> | undefined

  private constructor(
    pool: pg.Pool,
    url: string,
    table: string,
    maxBytes: number,
    pageSize: number,
  ) {
    this.#pool = pool
    this.table = table
    this.description = `${safeUrl(url)} (table ${table})`
    this.#maxBytes = maxBytes
    this.#pageSize = pageSize
  }

  /**
   * Connects and creates the table and its index if missing.
   *
   * @throws {DeadLetterError} `ERR_CONFIG` (bad URL or option), `ERR_DEAD_LETTERS_UNAVAILABLE`
   *   (no answer, or the table cannot be created or read).
   */
  static async open(
    url: string,
    options: PostgresDeadLetterStoreOptions = {},
  ): Promise<PostgresDeadLetterStore> {
    const d = deadLetterDefaults
    const table = quoteTable(options.table ?? d.table, errorOf)
    const maxBytes = positive('maxLetterBytes', options.maxLetterBytes ?? d.maxLetterBytes)
    const pageSize = positive('pageSize', options.pageSize ?? d.pageSize)
    const pool = await openPool(
      url,
      {
        poolSize: positive('poolSize', options.poolSize ?? d.poolSize),
        connectTimeoutMs: positive(
          'connectTimeoutMs',
          options.connectTimeoutMs ?? d.connectTimeoutMs,
        ),
        statementTimeoutMs: positive(
          'statementTimeoutMs',
          options.statementTimeoutMs ?? d.statementTimeoutMs,
        ),
        onError: options.onError,
      },
      errorOf,
    )
    const store = new PostgresDeadLetterStore(pool, url, table, maxBytes, pageSize)
    const bare = (options.table ?? d.table).split('.').pop()!
    try {
      await store.#createIfMissing(bare)
      await pool.query(`SELECT id, at_ms, topic, reason, detail, bytes FROM ${table} LIMIT 0`)
    } catch (err) {
      await pool.end().catch(() => undefined)
      throw err instanceof DeadLetterError ? err : store.#failed('open the table', err)
    }
    return store
  }

  async #createIfMissing(bare: string): Promise<void> {
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${this.table} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms bigint NOT NULL,
  topic text NOT NULL,
  reason text NOT NULL,
  detail text NOT NULL,
  bytes bytea NOT NULL
)`,
      `CREATE INDEX IF NOT EXISTS "${bare.slice(0, 60)}_at" ON ${this.table} (at_ms, id)`,
    ]
    for (const sql of statements) {
      try {
        await this.#pool.query(sql)
      } catch (err) {
        // Two instances creating it at once: the loser sees the winner's table, type or index.
        if (isConcurrentCreate(err)) continue
        throw this.#failed('create the table', err)
      }
    }
  }

  #failed(what: string, err: unknown): DeadLetterError {
    return new DeadLetterError(
      'ERR_DEAD_LETTERS_UNAVAILABLE',
      `${this.description}: cannot ${what}: ${describePgError(err)}`,
      { cause: err },
    )
  }

  /** Runs `op` unless closed, tracked so `close()` waits for it. */
  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new DeadLetterError(
        'ERR_DEAD_LETTERS_CLOSED',
        `${this.description}: the dead-letter store is closed`,
      )
    }
    const p = op()
    this.#inflight.add(p)
    try {
      return await p
    } catch (err) {
      throw err instanceof DeadLetterError ? err : this.#failed(what, err)
    } finally {
      this.#inflight.delete(p)
    }
  }

  #letter(row: Row): DeadLetter {
    if (!isReason(row.reason)) {
      throw new DeadLetterError(
        'ERR_DEAD_LETTER_INVALID',
        `${this.description}: letter ${row.id} has a reason this version does not know: ${shown(row.reason)}`,
      )
    }
    return {
      id: String(row.id),
      topic: row.topic,
      bytes: Uint8Array.from(row.bytes),
      reason: row.reason,
      detail: row.detail,
      at: Number(row.at_ms),
    }
  }

  async put(letter: NewDeadLetter): Promise<DeadLetter> {
    assertNewLetter(letter)
    if (letter.bytes.length > this.#maxBytes) {
      throw new DeadLetterError(
        'ERR_DEAD_LETTER_TOO_LARGE',
        `a ${letter.bytes.length}-byte message is over the ${this.#maxBytes}-byte limit`,
      )
    }
    const bytes = Buffer.from(letter.bytes.buffer, letter.bytes.byteOffset, letter.bytes.length)
    const { rows } = await this.#run('keep a letter', () =>
      this.#pool.query<{ id: string }>(
        `INSERT INTO ${this.table} (at_ms, topic, reason, detail, bytes) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [letter.at, letter.topic, letter.reason, letter.detail, bytes],
      ),
    )
    return {
      id: String(rows[0]!.id),
      topic: letter.topic,
      bytes: Uint8Array.from(letter.bytes),
      reason: letter.reason,
      detail: letter.detail,
      at: letter.at,
    }
  }

  async *list(): AsyncIterable<DeadLetter> {
    let after: [string, string] | undefined
    for (;;) {
      const { rows } = await this.#run('list letters', () =>
        after === undefined
          ? this.#pool.query<Row>(
              `SELECT id, at_ms, topic, reason, detail, bytes FROM ${this.table} ORDER BY at_ms, id LIMIT $1`,
              [this.#pageSize],
            )
          : this.#pool.query<Row>(
              `SELECT id, at_ms, topic, reason, detail, bytes FROM ${this.table}
               WHERE (at_ms, id) > ($1, $2) ORDER BY at_ms, id LIMIT $3`,
              [after[0], after[1], this.#pageSize],
            ),
      )
      for (const row of rows) yield this.#letter(row)
      if (rows.length < this.#pageSize) return
      const last = rows[rows.length - 1]!
      after = [String(last.at_ms), String(last.id)]
    }
  }

  async update(id: string, reason: DeadLetterReason, detail: string): Promise<void> {
    assertReason(reason)
    assertDetail(detail)
    if (typeof id !== 'string' || !ID.test(id)) return
    await this.#run('update a letter', () =>
      this.#pool.query(`UPDATE ${this.table} SET reason = $2, detail = $3 WHERE id = $1`, [
        id,
        reason,
        detail,
      ]),
    )
  }

  async remove(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !ID.test(id)) return false
    const result = await this.#run('remove a letter', () =>
      this.#pool.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]),
    )
    return (result.rowCount ?? 0) > 0
  }

  async count(): Promise<Readonly<Partial<Record<DeadLetterReason, number>>>> {
    const { rows } = await this.#run('count letters', () =>
      this.#pool.query<{ reason: string; n: string }>(
        `SELECT reason, count(*) AS n FROM ${this.table} GROUP BY reason`,
      ),
    )
    const out: Partial<Record<DeadLetterReason, number>> = {}
    for (const { reason, n } of rows) {
      if (!isReason(reason)) {
        throw new DeadLetterError(
          'ERR_DEAD_LETTER_INVALID',
          `${this.description}: letters with a reason this version does not know: ${shown(reason)}`,
        )
      }
      out[reason] = Number(n)
    }
    return out
  }

  /** Waits for the calls in flight, then closes the pool. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true
      this.#closing = Promise.allSettled([...this.#inflight]).then(() =>
        this.#pool.end().catch(() => undefined),
      )
    }
    return this.#closing
  }
}
