/**
 * One SQLite interface on both runtimes: `better-sqlite3` 12 on Node (13 needs Node 22 and
 * crashes on 20) and the built-in `bun:sqlite` on Bun. The agent's outbox and the consumer's
 * local state use only this interface, so one contract suite (test/platform/sqlite.test.ts)
 * runs on both.
 *
 * The common ground, and what the adapter evens out:
 * - parameters are positional (`?`) only: bun:sqlite wants `$name` prefixes for named ones;
 * - `get` returns `undefined` for no row (bun:sqlite says `null`);
 * - blobs come back as `Uint8Array` (a `Buffer` on Node, which is one);
 * - `pragma(text)` runs `PRAGMA text` and returns the first column of the first row;
 * - `transaction(fn)` runs `fn` in `BEGIN IMMEDIATE … COMMIT` (rolled back if it throws):
 *   immediate, so a writer never upgrades a read lock and meets `SQLITE_BUSY` mid-transaction.
 *
 * @example
 * ```ts
 * const db = openSqlite(join(stateDir, 'agent.db'))
 * db.pragma('journal_mode = WAL')
 * const insert = db.prepare('INSERT INTO outbox (seq, bytes) VALUES (?, ?)')
 * db.transaction(() => { for (const m of batch) insert.run(m.seq, m.bytes) })
 * ```
 */
import { createRequire } from 'node:module'
import { ioErrorOf } from '../fs/_io_error.ts'

/** A value SQLite binds or returns. */
export type SqliteValue = string | number | bigint | Uint8Array | null

/** A prepared statement. */
export interface SqliteStatement<Row = Record<string, SqliteValue>> {
  run(...params: SqliteValue[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: SqliteValue[]): Row | undefined
  all(...params: SqliteValue[]): Row[]
}

/** An open database. */
export interface SqliteDatabase {
  readonly path: string
  /** Which library is underneath. */
  readonly driver: 'better-sqlite3' | 'bun:sqlite'
  exec(sql: string): void
  prepare<Row = Record<string, SqliteValue>>(sql: string): SqliteStatement<Row>
  /** Wraps `fn` so each call runs in one immediate transaction. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T
  /** Runs `PRAGMA <text>`; returns the first column of the first row, if any. */
  pragma(text: string): SqliteValue | undefined
  readonly open: boolean
  close(): void
}

/** Options of {@link openSqlite}. */
export interface OpenSqliteOptions {
  /** Open read-only (the file must exist); for `status` commands beside a running writer. */
  readonly readonly?: boolean
  /** Milliseconds to wait on a lock held by another connection (default 5,000). */
  readonly busyTimeoutMs?: number
}

interface NativeStatement {
  /** better-sqlite3: false for a statement that returns no rows (then `get` throws). */
  readonly reader?: boolean
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
}

interface NativeTransaction {
  immediate: (...args: unknown[]) => unknown
}

interface NativeDatabase {
  exec(sql: string): unknown
  prepare(sql: string): NativeStatement
  transaction(fn: (...args: unknown[]) => unknown): NativeTransaction
  close(): void
}

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
const require = createRequire(import.meta.url)

function openNative(path: string, options: OpenSqliteOptions): NativeDatabase {
  if (isBun) {
    const { Database } = require('bun:sqlite') as {
      Database: new (p: string, o: Record<string, boolean>) => NativeDatabase
    }
    return new Database(
      path,
      options.readonly === true ? { readonly: true } : { readwrite: true, create: true },
    )
  }
  const Database = require('better-sqlite3') as new (
    p: string,
    o: Record<string, boolean>,
  ) => NativeDatabase
  return new Database(
    path,
    options.readonly === true ? { readonly: true, fileMustExist: true } : {},
  )
}

class Statement<Row> implements SqliteStatement<Row> {
  readonly #native: NativeStatement
  constructor(native: NativeStatement) {
    this.#native = native
  }
  run(...params: SqliteValue[]): { changes: number; lastInsertRowid: number | bigint } {
    const r = this.#native.run(...params)
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid }
  }
  get(...params: SqliteValue[]): Row | undefined {
    return (this.#native.get(...params) ?? undefined) as Row | undefined
  }
  all(...params: SqliteValue[]): Row[] {
    return this.#native.all(...params) as Row[]
  }
}

class Database implements SqliteDatabase {
  readonly path: string
  readonly driver = isBun ? ('bun:sqlite' as const) : ('better-sqlite3' as const)
  readonly #native: NativeDatabase
  #open = true

  constructor(path: string, native: NativeDatabase) {
    this.path = path
    this.#native = native
  }

  get open(): boolean {
    return this.#open
  }

  exec(sql: string): void {
    this.#native.exec(sql)
  }

  prepare<Row = Record<string, SqliteValue>>(sql: string): SqliteStatement<Row> {
    return new Statement<Row>(this.#native.prepare(sql))
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    const tx = this.#native.transaction(fn as (...args: unknown[]) => unknown)
    return (...args: A) => tx.immediate(...args) as T
  }

  pragma(text: string): SqliteValue | undefined {
    const stmt = this.#native.prepare(`PRAGMA ${text}`)
    if (stmt.reader === false) {
      stmt.run()
      return undefined
    }
    const row = stmt.get() as Record<string, SqliteValue> | null | undefined
    if (row === null || row === undefined) return undefined
    return Object.values(row)[0]
  }

  close(): void {
    if (!this.#open) return
    this.#open = false
    this.#native.close()
  }
}

/**
 * Opens (creating if needed, unless read-only) the database at `path` (`:memory:` for a private
 * in-memory one) with the runtime's driver and a busy timeout.
 *
 * @throws {IoError} `ERR_IO` when the file cannot be opened (missing for read-only, permissions,
 *   not a database).
 * @example
 * ```ts
 * const db = openSqlite(':memory:')
 * db.pragma('user_version') // 0
 * ```
 */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  let native: NativeDatabase
  try {
    native = openNative(path, options)
  } catch (err) {
    throw ioErrorOf('open database', path, err)
  }
  const db = new Database(path, native)
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`)
    // Reading the schema version fails here, at open, for a file that is not a database.
    db.pragma('user_version')
  } catch (err) {
    db.close()
    throw ioErrorOf('open database', path, err)
  }
  return db
}
