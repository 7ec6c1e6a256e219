/**
 * The schema of `agent.db`, versioned with `PRAGMA user_version`: {@link MIGRATIONS}[i] takes a
 * database from version i to i + 1, in one transaction that also sets the new version, so a crash
 * leaves the old version or the new one, never half of a step. Migrations only go forward; a
 * database above {@link SCHEMA_VERSION} was written by a newer agent and is refused
 * (`ERR_STORE_SCHEMA_NEWER`) rather than guessed at. The README's "Schema" section is normative and
 * matches version 1 below.
 *
 * @example
 * ```ts
 * migrate(db) // 0 → SCHEMA_VERSION on a new file; nothing on a current one
 * ```
 */
import type { SqliteDatabase } from '../../../platform/src/index.ts'
import { shown } from '../../../platform/src/index.ts'
import { StoreError } from './errors.ts'

/** Version 1: sequence reservation, time floor, agent state, outbox, drop counters. */
const V1 = `
CREATE TABLE sequence (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  bound      INTEGER NOT NULL CHECK (bound >= 0),
  boot_count INTEGER NOT NULL CHECK (boot_count >= 0)
);
INSERT INTO sequence (id, bound, boot_count) VALUES (1, 0, 0);

CREATE TABLE time_floor (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  floor_ms INTEGER
);
INSERT INTO time_floor (id, floor_ms) VALUES (1, NULL);

CREATE TABLE agent_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  current_epoch BLOB,
  last_seq      INTEGER,
  last_error    TEXT,
  last_error_at INTEGER
);
INSERT INTO agent_state (id) VALUES (1);

CREATE TABLE outbox (
  seq         INTEGER PRIMARY KEY,
  epoch_id    BLOB    NOT NULL CHECK (length(epoch_id) = 8),
  kind        TEXT    NOT NULL CHECK (kind IN ('data', 'announcement')),
  topic       TEXT    NOT NULL,
  bytes       BLOB    NOT NULL,
  size        INTEGER NOT NULL CHECK (size = length(bytes)),
  enqueued_at INTEGER NOT NULL,
  acked       INTEGER NOT NULL DEFAULT 0 CHECK (acked = 0 OR (acked = 1 AND kind = 'announcement'))
);
CREATE UNIQUE INDEX outbox_announcement ON outbox (epoch_id) WHERE kind = 'announcement';

CREATE TABLE drop_counter (
  reason   TEXT PRIMARY KEY CHECK (reason IN ('full', 'ttl')),
  messages INTEGER NOT NULL,
  bytes    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO drop_counter (reason, messages, bytes) VALUES ('full', 0, 0), ('ttl', 0, 0);
`

/** The forward migrations; index i goes from version i to i + 1. Append only, never edit. */
const MIGRATIONS: readonly string[] = Object.freeze([V1])

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION: number = MIGRATIONS.length

/**
 * Reads `PRAGMA user_version` and refuses a version above {@link SCHEMA_VERSION}.
 *
 * @throws {StoreError} `ERR_STORE_SCHEMA_NEWER`.
 * @example
 * ```ts
 * schemaVersionOf(db) // 1
 * ```
 */
export function schemaVersionOf(db: SqliteDatabase): number {
  const version = Number(db.pragma('user_version') ?? 0)
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'ERR_STORE_SCHEMA_NEWER',
      `${shown(db.path)} has schema version ${version}; this agent knows versions up to ` +
        `${SCHEMA_VERSION} (a newer agent wrote it: run that agent, or move the state folder aside)`,
    )
  }
  return version
}

/**
 * Brings `db` up to {@link SCHEMA_VERSION}, one transaction per step; returns the version found.
 *
 * @throws {StoreError} `ERR_STORE_SCHEMA_NEWER` before touching anything.
 * @example
 * ```ts
 * migrate(openSqlite(path)) // 0 the first time, 1 afterwards
 * ```
 */
export function migrate(db: SqliteDatabase): number {
  const found = schemaVersionOf(db)
  for (let v = found; v < SCHEMA_VERSION; v++) {
    const step = MIGRATIONS[v]!
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (schemaVersionOf(db) !== v) return
      db.exec(step)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
  return found
}
