/**
 * The agent's state database, `<state>/agent.db`: one SQLite file in WAL mode that holds the
 * sequence reservation, the outbox, the drop counters, the time floor and the status fields, so one
 * commit covers all of them. Opening creates the state folder (0700) and the file (0600), applies
 * forward migrations ({@link migrate}) and refuses a newer schema.
 *
 * Durability (`PRAGMA synchronous`, README "Durability"): `full` fsyncs the WAL at every commit,
 * so a commit, and the HTTP 200 sent after it, survives a power cut; `normal` fsyncs only at
 * checkpoints, so a crash of the process loses nothing but a power cut or kernel panic can lose
 * the last commits (the file stays consistent). Transactions that must never be lost (the
 * sequence bound, the boot count) pass `{ sync: 'full' }` and are fsynced in either mode;
 * transactions whose loss is harmless (acknowledgement deletes: a lost one only means a duplicate
 * re-send) pass `{ sync: 'normal' }` and skip the fsync in either mode (in WAL mode the next FULL
 * commit, or checkpoint, makes them durable too).
 *
 * @example
 * ```ts
 * const db = await StateDatabase.open('/var/lib/sealwire', { durability: 'full' })
 * db.transaction(() => db.sqlite.prepare('UPDATE agent_state SET last_error = ?').run('x'))
 * db.commits // 1
 * db.close()
 * ```
 */
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import type { SqliteDatabase } from '../../../platform/src/index.ts'
import { ensureDir, openSqlite } from '../../../platform/src/index.ts'
import { storeDefaults } from './defaults.ts'
import type { Durability } from './defaults.ts'
import { StoreError } from './errors.ts'
import { migrate, SCHEMA_VERSION } from './schema.ts'

/** The database's file name inside the state folder. */
export const STATE_DB_FILE = 'agent.db'

/** Mode of the state folder: the agent's user only. */
const STATE_DIR_MODE = 0o700

/** Mode of `agent.db` (SQLite gives its `-wal` and `-shm` files the same). */
const STATE_FILE_MODE = 0o600

/** Options of {@link StateDatabase.open}. */
export interface StateDatabaseOptions {
  readonly durability?: Durability
  /** `PRAGMA journal_size_limit`, bytes. */
  readonly walSizeLimitBytes?: number
  /** Lock wait, ms (a `status` reader never blocks a WAL writer; this is for a second writer). */
  readonly busyTimeoutMs?: number
}

/** Options of one {@link StateDatabase.transaction}. */
export interface TransactionOptions {
  /**
   * `'full'`: fsync this commit even when the database runs with `durability: 'normal'`;
   * `'normal'`: do not fsync this commit even under `durability: 'full'` (only for writes whose
   * loss in a power cut is harmless). Default: the database's durability.
   */
  readonly sync?: Durability
}

const SYNCHRONOUS: Readonly<Record<Durability, string>> = Object.freeze({
  full: 'FULL',
  normal: 'NORMAL',
})

/**
 * An open `agent.db`: the SQLite connection, its durability and a count of committed
 * transactions (group commit is measured by it).
 *
 * @example
 * ```ts
 * const db = await StateDatabase.open(stateDir)
 * db.schemaVersion // 1
 * ```
 */
export class StateDatabase {
  /** The connection. Write through {@link transaction} so commits are counted. */
  readonly sqlite: SqliteDatabase
  readonly durability: Durability
  /** The schema version found at open (0 for a new file); the file is now at {@link SCHEMA_VERSION}. */
  readonly foundVersion: number
  #commits = 0

  private constructor(sqlite: SqliteDatabase, durability: Durability, foundVersion: number) {
    this.sqlite = sqlite
    this.durability = durability
    this.foundVersion = foundVersion
  }

  /**
   * Opens (creating if needed) `<stateDir>/agent.db`.
   *
   * @throws {StoreError} `ERR_STORE_SCHEMA_NEWER`; {@link IoError} `ERR_IO` when the folder or the
   *   file cannot be created or opened.
   * @example
   * ```ts
   * const db = await StateDatabase.open(stateDir, { durability: 'normal' })
   * ```
   */
  static async open(stateDir: string, options: StateDatabaseOptions = {}): Promise<StateDatabase> {
    const durability = options.durability ?? storeDefaults.durability
    if (durability !== 'full' && durability !== 'normal') {
      throw new RangeError(`durability must be 'full' or 'normal', got ${String(durability)}`)
    }
    await ensureDir(stateDir, STATE_DIR_MODE)
    const path = join(stateDir, STATE_DB_FILE)
    // Create the file with its mode before SQLite does (SQLite would use 0644 under umask 022).
    closeSync(openSync(path, 'a', STATE_FILE_MODE))
    const sqlite = openSqlite(path, { busyTimeoutMs: options.busyTimeoutMs })
    try {
      sqlite.pragma('journal_mode = WAL')
      sqlite.pragma(`synchronous = ${SYNCHRONOUS[durability]}`)
      const limit = options.walSizeLimitBytes ?? storeDefaults.walSizeLimitBytes
      sqlite.pragma(`journal_size_limit = ${Math.max(0, Math.trunc(limit))}`)
      const found = migrate(sqlite)
      return new StateDatabase(sqlite, durability, found)
    } catch (err) {
      sqlite.close()
      throw err
    }
  }

  /** The file's path. */
  get path(): string {
    return this.sqlite.path
  }

  /** The schema version of the open file. */
  get schemaVersion(): number {
    return SCHEMA_VERSION
  }

  /** Transactions committed through this object since open. */
  get commits(): number {
    return this.#commits
  }

  get open(): boolean {
    return this.sqlite.open
  }

  /**
   * Runs `fn` in one immediate transaction and returns its result; rolls back and rethrows when
   * `fn` or the commit throws. `options.sync` overrides the durability for this commit only.
   *
   * @throws {StoreError} `ERR_STORE_CLOSED` after {@link close}.
   * @example
   * ```ts
   * db.transaction(() => bump.run(), { sync: 'full' })
   * ```
   */
  transaction<T>(fn: () => T, options: TransactionOptions = {}): T {
    if (!this.sqlite.open) throw new StoreError('ERR_STORE_CLOSED', 'the state database is closed')
    const sync = options.sync ?? this.durability
    const change = sync !== this.durability
    if (change) this.sqlite.pragma(`synchronous = ${SYNCHRONOUS[sync]}`)
    try {
      const result = this.sqlite.transaction(fn)()
      this.#commits++
      return result
    } finally {
      if (change) this.sqlite.pragma(`synchronous = ${SYNCHRONOUS[this.durability]}`)
    }
  }

  /** Closes the connection (a clean close checkpoints the WAL). Idempotent. */
  close(): void {
    this.sqlite.close()
  }
}
