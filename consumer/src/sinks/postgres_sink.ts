/**
 * The PostgreSQL sink (`--sink postgres://…`): the exactly-once sink. Every reading is one row
 * keyed by `PRIMARY KEY (device_id, seq, idx)`; a batch is **one** `INSERT … SELECT FROM
 * unnest(…) ON CONFLICT (device_id, seq, idx) DO NOTHING` statement (nine array parameters,
 * whatever the batch size), so it is atomic: all its new rows are stored or none, and the row
 * count the server reports is the number inserted (the rest are duplicates). Any number of
 * consumer instances can write one table at once.
 *
 * The table (created if missing, unless `createTable: false`):
 *
 * ```sql
 * CREATE TABLE sealwire_readings (
 *   device_id      text     NOT NULL,
 *   seq            bigint   NOT NULL,  -- the message's device sequence number
 *   idx            integer  NOT NULL,  -- the reading's index in the message
 *   stream         text     NOT NULL,
 *   time_ms        bigint   NOT NULL,  -- the reading's time, ms since 1970 (exact)
 *   clock          smallint NOT NULL,  -- 0 synced, 1 not yet synced
 *   value          jsonb    NOT NULL,
 *   epoch_id       text     NOT NULL,  -- 16 hex digits
 *   received_at_ms bigint   NOT NULL,  -- when the consumer received the message
 *   PRIMARY KEY (device_id, seq, idx)
 * )
 * ```
 *
 * Times are integer milliseconds, not `timestamptz`, so every value round-trips exactly; query
 * with `to_timestamp(time_ms / 1000.0)`. PostgreSQL text cannot hold U+0000: a record with it in
 * its stream or value is refused before anything is sent (`ERR_SINK_RECORD_REJECTED`).
 *
 * @example
 * ```ts
 * const sink = await PostgresSink.open('postgres://consumer@db:5432/telemetry', { table: 'readings' })
 * await sink.write(records) // { inserted: 2, duplicates: 1 }
 * ```
 */
import type pg from 'pg'
import { shown } from '../../../platform/src/index.ts'
import {
  describePgError,
  isConcurrentCreate,
  jsonHasNul,
  openPool,
  quoteTable,
  sqlState,
  type ErrorOf,
} from './_postgres.ts'
import { safeUrl } from './_safe_url.ts'
import { assertOutputRecords } from './_output_record.ts'
import { sinkDefaults } from './defaults.ts'
import { SinkError } from './errors.ts'
import type { OutputRecord, Sink, SinkWriteResult } from './sink.ts'

/** Options of {@link PostgresSink.open}. */
export interface PostgresSinkOptions {
  /** Default `sealwire_readings`; `schema.table` accepted (the schema must exist). */
  readonly table?: string
  /** Default true: create the table when it is missing. */
  readonly createTable?: boolean
  /** Default 4 connections. */
  readonly poolSize?: number
  /** Defaults 10 s and 30 s. */
  readonly connectTimeoutMs?: number
  readonly statementTimeoutMs?: number
  /** Errors of idle connections (for a log); default ignored. */
  readonly onError?: (err: Error) => void
}

const COLUMNS = 'device_id, seq, idx, stream, time_ms, clock, value, epoch_id, received_at_ms'

const errorOf: ErrorOf<SinkError> = (code, message, cause) =>
  new SinkError(code === 'UNAVAILABLE' ? 'ERR_SINK_UNAVAILABLE' : code, message, { cause })

function createSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  device_id text NOT NULL,
  seq bigint NOT NULL,
  idx integer NOT NULL,
  stream text NOT NULL,
  time_ms bigint NOT NULL,
  clock smallint NOT NULL,
  value jsonb NOT NULL,
  epoch_id text NOT NULL,
  received_at_ms bigint NOT NULL,
  PRIMARY KEY (device_id, seq, idx)
)`
}

function insertSql(table: string): string {
  return `INSERT INTO ${table} (${COLUMNS})
SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[], $5::bigint[],
  $6::smallint[], $7::jsonb[], $8::text[], $9::bigint[])
ON CONFLICT (device_id, seq, idx) DO NOTHING`
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new SinkError('ERR_CONFIG', `${name}: expected an integer ≥ 1, got ${shown(v)}`)
  }
  return v
}

/** The PostgreSQL {@link Sink}. */
export class PostgresSink implements Sink {
  readonly description: string
  /** The table, quoted as used in SQL. */
  readonly table: string
  readonly #pool: pg.Pool
  readonly #insert: string
  #closed = false
  #closing: Promise<void> | undefined
  readonly #inflight = new Set<Promise<SinkWriteResult>>()

  private constructor(pool: pg.Pool, url: string, table: string) {
    this.#pool = pool
    this.table = table
    this.description = `${safeUrl(url)} (table ${table})`
    this.#insert = insertSql(table)
  }

  /**
   * Connects, creates the table if missing and checks that it has the columns and the unique key.
   *
   * @throws {SinkError} `ERR_CONFIG` (bad URL or option), `ERR_SINK_UNAVAILABLE` (no answer, or
   *   the table could not be created), `ERR_SINK_TABLE_INVALID` (missing with `createTable:
   *   false`, or without the columns or the key).
   */
  static async open(url: string, options: PostgresSinkOptions = {}): Promise<PostgresSink> {
    const d = sinkDefaults.postgres
    const table = quoteTable(options.table ?? d.table, errorOf)
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
    const sink = new PostgresSink(pool, url, table)
    try {
      if (options.createTable ?? d.createTable) await sink.#create()
      await sink.#check()
    } catch (err) {
      await pool.end().catch(() => undefined)
      throw err
    }
    return sink
  }

  async #create(): Promise<void> {
    try {
      await this.#pool.query(createSql(this.table))
    } catch (err) {
      // Two instances creating the table at once: the loser sees the winner's type or table.
      if (isConcurrentCreate(err)) return
      throw new SinkError(
        'ERR_SINK_UNAVAILABLE',
        `${this.description}: cannot create the table: ${describePgError(err)}`,
        { cause: err },
      )
    }
  }

  async #check(): Promise<void> {
    try {
      await this.#pool.query(`SELECT ${COLUMNS} FROM ${this.table} LIMIT 0`)
      // An insert of nothing is planned in full: it fails when no unique index matches the
      // ON CONFLICT target, which would otherwise let duplicates in silently.
      await this.#pool.query(this.#insert, [[], [], [], [], [], [], [], [], []])
    } catch (err) {
      const state = sqlState(err)
      if (state === '42P01' || state === '42703' || state === '42P10' || state?.startsWith('42')) {
        throw new SinkError(
          'ERR_SINK_TABLE_INVALID',
          `${this.description}: ${describePgError(err)} (expected columns ${COLUMNS} and PRIMARY KEY (device_id, seq, idx))`,
          { cause: err },
        )
      }
      throw new SinkError('ERR_SINK_UNAVAILABLE', `${this.description}: ${describePgError(err)}`, {
        cause: err,
      })
    }
  }

  async write(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    assertOutputRecords(records)
    if (this.#closed) {
      throw new SinkError('ERR_SINK_CLOSED', `${this.description}: the sink is closed`)
    }
    const run = this.#insertAll(records)
    this.#inflight.add(run)
    try {
      return await run
    } finally {
      this.#inflight.delete(run)
    }
  }

  async #insertAll(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    if (records.length === 0) return { inserted: 0, duplicates: 0 }
    const n = records.length
    const cols = {
      device: new Array<string>(n),
      seq: new Array<number>(n),
      idx: new Array<number>(n),
      stream: new Array<string>(n),
      time: new Array<number>(n),
      clock: new Array<number>(n),
      value: new Array<string>(n),
      epoch: new Array<string>(n),
      received: new Array<number>(n),
    }
    for (let i = 0; i < n; i++) {
      const r = records[i]!
      const value = JSON.stringify(r.value)
      if (r.deviceId.includes('\u0000') || r.stream.includes('\u0000') || jsonHasNul(value)) {
        throw new SinkError(
          'ERR_SINK_RECORD_REJECTED',
          `${this.description}: records[${i}] holds U+0000, which PostgreSQL text cannot store`,
          { recordIndex: i },
        )
      }
      cols.device[i] = r.deviceId
      cols.seq[i] = r.seq
      cols.idx[i] = r.index
      cols.stream[i] = r.stream
      cols.time[i] = r.time
      cols.clock[i] = r.clock
      cols.value[i] = value
      cols.epoch[i] = r.epochId
      cols.received[i] = r.receivedAt
    }
    let inserted: number
    try {
      const result = await this.#pool.query(this.#insert, [
        cols.device,
        cols.seq,
        cols.idx,
        cols.stream,
        cols.time,
        cols.clock,
        cols.value,
        cols.epoch,
        cols.received,
      ])
      inserted = result.rowCount ?? 0
    } catch (err) {
      const state = sqlState(err)
      // Class 22 (data exception) is about the data, not the database: retrying cannot help.
      const code = state?.startsWith('22') ? 'ERR_SINK_RECORD_REJECTED' : 'ERR_SINK_UNAVAILABLE'
      throw new SinkError(code, `${this.description}: ${describePgError(err)}`, { cause: err })
    }
    return { inserted, duplicates: n - inserted }
  }

  /** Waits for the writes in flight, then closes the pool. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true
      // pg-pool's end() drops idle clients that a queued query was about to get (the query then
      // waits for its connect timeout): let every write settle first.
      this.#closing = Promise.allSettled([...this.#inflight]).then(() =>
        this.#pool.end().catch(() => undefined),
      )
    }
    return this.#closing
  }
}
