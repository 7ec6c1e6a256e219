/**
 * The store's status snapshot: what `sealwire-agent status --state DIR` prints. It is read from
 * `agent.db` in one read transaction, so the numbers agree with each other, and works beside the
 * running agent: {@link readStoreStatus} opens its own read-only connection, and in WAL mode a
 * reader neither waits for the writer nor blocks it. The running agent gets the same shape from
 * `AgentStore.status()`.
 *
 * @example
 * ```ts
 * const s = readStoreStatus('/var/lib/sealwire')
 * console.log(s.sequence.reservedThrough, s.outbox.count, s.outbox.bytes, s.currentEpochId)
 * ```
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { SqliteDatabase } from '../../../platform/src/index.ts'
import { IoError, openSqlite, shown, systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'
import { STATE_DB_FILE } from './database.ts'
import { StoreError } from './errors.ts'
import type { DropCounts, DropReason } from './outbox.ts'
import { schemaVersionOf } from './schema.ts'

/** A snapshot of the agent's durable state. */
export interface StoreStatus {
  readonly schemaVersion: number
  /** Starts of the agent on this state (1 after the first). */
  readonly bootCount: number
  readonly sequence: Readonly<{
    /** High-water mark: no sequence number above it has ever been handed out. */
    reservedThrough: number
    /** The highest sequence number committed to the outbox; null before any. */
    lastQueued: number | null
  }>
  readonly outbox: Readonly<{
    /** Stored rows, including announcements kept for queued data. */
    count: number
    /** Stored message bytes. */
    bytes: number
    /** Rows still to publish. */
    pending: number
    /** Enqueue time of the oldest row still to publish, ms since 1970; null when none. */
    oldestEnqueuedAt: number | null
    /** Its age at the snapshot, ms (0 when the clock went back); null when none. */
    oldestAgeMs: number | null
  }>
  /** The current epoch id (hex), from the latest announcement enqueued; null before any. */
  readonly currentEpochId: string | null
  /** The last error the agent recorded (sanitized, one line) and when; null when none. */
  readonly lastError: Readonly<{ message: string; at: number }> | null
  /** Drops by reason since the state was created. */
  readonly drops: DropCounts
  /** The persisted time floor, ms since 1970; null when none was written. */
  readonly timeFloorMs: number | null
}

interface Scalars {
  bound: number
  boot_count: number
  last_seq: number | null
  current_epoch: Uint8Array | null
  last_error: string | null
  last_error_at: number | null
  floor_ms: number | null
  c: number
  b: number
  r: number
}

const SCALARS = `
SELECT s.bound, s.boot_count, a.last_seq, a.current_epoch, a.last_error, a.last_error_at, f.floor_ms,
       (SELECT count(*) FROM outbox) AS c,
       (SELECT coalesce(sum(size), 0) FROM outbox) AS b,
       (SELECT coalesce(sum(acked), 0) FROM outbox) AS r
FROM sequence s, agent_state a, time_floor f
WHERE s.id = 1 AND a.id = 1 AND f.id = 1`

/**
 * Reads the snapshot through `db` (a read-only or the writer's connection), at wall time `now`.
 *
 * @throws {StoreError} `ERR_STORE_SCHEMA_NEWER`; `ERR_STORE_NOT_INITIALIZED` for a database no
 *   agent has set up.
 * @example
 * ```ts
 * statusOf(db, Date.now()).outbox.pending
 * ```
 */
export function statusOf(db: SqliteDatabase, now: number): StoreStatus {
  const version = schemaVersionOf(db)
  if (version === 0) {
    throw new StoreError('ERR_STORE_NOT_INITIALIZED', `${shown(db.path)} holds no agent state yet`)
  }
  db.exec('BEGIN')
  try {
    const s = db.prepare<Scalars>(SCALARS).get()!
    const oldest = db
      .prepare<{ enqueued_at: number }>(
        'SELECT enqueued_at FROM outbox WHERE acked = 0 ORDER BY seq LIMIT 1',
      )
      .get()
    const drops: Record<DropReason, { messages: number; bytes: number }> = {
      full: { messages: 0, bytes: 0 },
      ttl: { messages: 0, bytes: 0 },
    }
    for (const row of db
      .prepare<{ reason: DropReason; messages: number; bytes: number }>(
        'SELECT reason, messages, bytes FROM drop_counter',
      )
      .all()) {
      drops[row.reason] = { messages: row.messages, bytes: row.bytes }
    }
    return {
      schemaVersion: version,
      bootCount: s.boot_count,
      sequence: { reservedThrough: s.bound, lastQueued: s.last_seq },
      outbox: {
        count: s.c,
        bytes: s.b,
        pending: s.c - s.r,
        oldestEnqueuedAt: oldest?.enqueued_at ?? null,
        oldestAgeMs: oldest === undefined ? null : Math.max(0, now - oldest.enqueued_at),
      },
      currentEpochId:
        s.current_epoch === null ? null : Buffer.from(s.current_epoch).toString('hex'),
      lastError: s.last_error === null ? null : { message: s.last_error, at: s.last_error_at ?? 0 },
      drops,
      timeFloorMs: s.floor_ms,
    }
  } finally {
    db.exec('COMMIT')
  }
}

/** Options of {@link readStoreStatus}. */
export interface ReadStatusOptions {
  /** For the oldest message's age (default: the system clock). */
  readonly clock?: Clock
}

/**
 * Opens `<stateDir>/agent.db` read-only, reads the snapshot and closes: safe while the agent runs.
 *
 * @throws {IoError} `ERR_IO`: reason `missing` when there is no `agent.db`, another when it cannot be read;
 *   {@link StoreError} as {@link statusOf}.
 * @example
 * ```ts
 * const { sequence, outbox, currentEpochId, lastError } = readStoreStatus(stateDir)
 * ```
 */
export function readStoreStatus(stateDir: string, options: ReadStatusOptions = {}): StoreStatus {
  const path = join(stateDir, STATE_DB_FILE)
  if (!existsSync(path)) {
    throw new IoError(
      'missing',
      path,
      `no agent state in ${shown(stateDir)} (${STATE_DB_FILE} is missing)`,
    )
  }
  const db = openSqlite(path, { readonly: true })
  try {
    return statusOf(db, (options.clock ?? systemClock).now())
  } finally {
    db.close()
  }
}
