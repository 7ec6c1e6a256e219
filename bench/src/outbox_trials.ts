/**
 * The outbox rows: the agent's `Outbox.enqueue` with group commit (many concurrent calls of one
 * 300-byte sealed message each) against a bare batched SQLite insert of the same bytes, at both
 * durabilities. Each side is a `trial` step: it runs for the segment's time and returns rows/s.
 *
 * - **outbox**: `openAgentStore` in a temporary folder with the store's defaults (group commit:
 *   at most 256 items or 2 ms per transaction; WAL; `synchronous` FULL or NORMAL), limits raised
 *   so the table can grow through the run. {@link OUTBOX_CALLERS} callers each loop
 *   `await outbox.enqueue([item])` until the segment's time is up; every item has the next
 *   sequence number and one of a pool of real sealed messages (compact form, 300 bytes).
 * - **bare**: `openSqlite` (the same adapter: better-sqlite3 on Node, bun:sqlite on Bun) with the
 *   same pragmas (WAL, `synchronous` FULL or NORMAL, the same `journal_size_limit`), a table
 *   `(seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)` and 100 `INSERT`s per immediate transaction,
 *   in a synchronous loop: nothing but SQLite.
 *
 * Before timing, each side writes a few rows and reads them back byte for byte.
 *
 * @example
 * ```ts
 * const trials = await outboxTrials(ctx, dir)
 * for (const t of trials.timed) // runRounds(trials.timed, plan)
 * await trials.close()
 * ```
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Durability } from '../../agent/src/index.ts'
import { openAgentStore, storeDefaults } from '../../agent/src/index.ts'
import { Sealer, createKeyWrapper, parseRecipientKey } from '../../envelope/src/index.ts'
import type { SqliteDatabase } from '../../platform/src/index.ts'
import { openSqlite } from '../../platform/src/index.ts'
import type { Timed } from './measure.ts'
import { assertSameBytes } from './bench_context.ts'

/** Concurrent `enqueue` callers of the outbox row. */
export const OUTBOX_CALLERS = 1_000

/** Rows per transaction of the bare insert (DESIGN.md measured 100). */
export const BARE_ROWS_PER_TRANSACTION = 100

/** Sealed size of every row, bytes. */
export const OUTBOX_ITEM_BYTES = 300

/** Distinct sealed messages the rows cycle through. */
const POOL = 256

const TOPIC = 'sealwire-bench/dev/data'

/** What one durability contributes: two timed trials and notes for the report. */
export interface OutboxTrials {
  readonly timed: readonly Timed[]
  /** Mean items per group commit of the outbox side, by durability (after the run). */
  meanBatch(durability: Durability): number | undefined
  close(): Promise<void>
}

/**
 * A pool of real compact sealed messages of exactly {@link OUTBOX_ITEM_BYTES} bytes (sequence
 * numbers 1000 on: a 2-byte Partial IV, 40 bytes of overhead) and their epoch's announcement.
 */
export function sealedPool(spkiDer: Uint8Array): {
  announcement: Uint8Array
  epochId: Uint8Array
  pool: Uint8Array[]
} {
  const sealer = new Sealer({
    wrapper: createKeyWrapper(parseRecipientKey(spkiDer)),
    deviceId: 'bench-device',
    random: (n) => randomBytes(n),
    limits: { maxMessages: 2 ** 32, maxAgeMs: 1e12, maxBytes: 1e15 },
  })
  let seq = 998
  const next = () => ++seq
  const plaintext = randomBytes(OUTBOX_ITEM_BYTES - 40)
  const first = sealer.seal(plaintext, next)
  const pool = [first.message.bytes]
  while (pool.length < POOL)
    pool.push(sealer.seal(randomBytes(plaintext.length), next).message.bytes)
  if (pool.some((b) => b.length !== OUTBOX_ITEM_BYTES)) {
    throw new Error(`outbox: sealed messages are not ${OUTBOX_ITEM_BYTES} bytes`)
  }
  return { announcement: first.announcement!.bytes, epochId: first.message.epochId, pool }
}

async function outboxSide(
  dir: string,
  durability: Durability,
  sealed: ReturnType<typeof sealedPool>,
) {
  const store = await openAgentStore({
    stateDir: dir,
    durability,
    outbox: { maxCount: 1e9, maxBytes: 2 ** 50, ttlMs: 0 },
  })
  const { outbox } = store
  const { epochId, pool } = sealed
  let seq = 1
  await outbox.enqueue([
    { seq: seq++, epochId, kind: 'announcement', topic: TOPIC, bytes: sealed.announcement },
  ])
  // Round trip: what was enqueued reads back unchanged, in order.
  const first = seq
  await Promise.all(
    [0, 1, 2].map((i) =>
      outbox.enqueue([{ seq: seq++, epochId, kind: 'data', topic: TOPIC, bytes: pool[i]! }]),
    ),
  )
  const rows = outbox.peek(first - 1, 3)
  if (rows.length !== 3) throw new Error('outbox: enqueued rows do not read back')
  rows.forEach((r, i) => assertSameBytes(r.bytes, pool[i]!, 'outbox enqueue'))
  const start = store.commitStats
  const run = async (ms: number): Promise<number> => {
    const t0 = performance.now()
    const deadline = t0 + ms
    let done = 0
    const caller = async (): Promise<void> => {
      while (performance.now() < deadline) {
        const s = seq++
        await outbox.enqueue([
          { seq: s, epochId, kind: 'data', topic: TOPIC, bytes: pool[s % POOL]! },
        ])
        done++
      }
    }
    await Promise.all(Array.from({ length: OUTBOX_CALLERS }, caller))
    return (done * 1000) / (performance.now() - t0)
  }
  const meanBatch = (): number | undefined => {
    const s = store.commitStats
    const batches = s.batches - start.batches
    return batches > 0 ? (s.requests - start.requests) / batches : undefined
  }
  return { run, meanBatch, close: () => store.stop() }
}

function bareSide(dir: string, durability: Durability, pool: readonly Uint8Array[]) {
  const db: SqliteDatabase = openSqlite(join(dir, 'bare.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`)
    db.pragma(`journal_size_limit = ${storeDefaults.walSizeLimitBytes}`)
    db.exec('CREATE TABLE bare (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)')
  } catch (err) {
    db.close()
    throw err
  }
  const insert = db.prepare('INSERT INTO bare (seq, bytes) VALUES (?, ?)')
  const select = db.prepare<{ bytes: Uint8Array }>('SELECT bytes FROM bare WHERE seq = ?')
  let seq = 1
  const batch = db.transaction(() => {
    for (let i = 0; i < BARE_ROWS_PER_TRANSACTION; i++, seq++) insert.run(seq, pool[seq % POOL]!)
  })
  batch()
  for (const s of [1, BARE_ROWS_PER_TRANSACTION]) {
    assertSameBytes(select.get(s)?.bytes ?? new Uint8Array(0), pool[s % POOL]!, 'bare insert')
  }
  const run = async (ms: number): Promise<number> => {
    const t0 = performance.now()
    const deadline = t0 + ms
    let rows = 0
    let now = t0
    do {
      batch()
      rows += BARE_ROWS_PER_TRANSACTION
      now = performance.now()
    } while (now < deadline)
    return (rows * 1000) / (now - t0)
  }
  return { run, close: () => db.close() }
}

/** Keys of the outbox rows' timed trials. */
export function outboxKey(side: 'outbox' | 'bare', durability: Durability): string {
  return `${side}-${durability}`
}

/**
 * Opens both sides at both durabilities under `dir` (one folder each) and returns their trials,
 * in the order outbox full, bare full, outbox normal, bare normal. A side that cannot be opened
 * or fails its read-back is left out and named in `failed`.
 */
export async function outboxTrials(
  spkiDer: Uint8Array,
  dir: string,
): Promise<OutboxTrials & { readonly failed: ReadonlyMap<string, unknown> }> {
  const sealed = sealedPool(spkiDer)
  const closers: (() => unknown)[] = []
  const timed: Timed[] = []
  const failed = new Map<string, unknown>()
  const batches = new Map<Durability, () => number | undefined>()
  for (const durability of ['full', 'normal'] as const) {
    try {
      const o = await outboxSide(join(dir, `outbox-${durability}`), durability, sealed)
      closers.push(o.close)
      batches.set(durability, o.meanBatch)
      timed.push({ key: outboxKey('outbox', durability), step: { kind: 'trial', run: o.run } })
    } catch (err) {
      failed.set(outboxKey('outbox', durability), err)
    }
    try {
      const bareDir = join(dir, `bare-${durability}`)
      mkdirSync(bareDir, { recursive: true })
      const b = bareSide(bareDir, durability, sealed.pool)
      closers.push(b.close)
      timed.push({ key: outboxKey('bare', durability), step: { kind: 'trial', run: b.run } })
    } catch (err) {
      failed.set(outboxKey('bare', durability), err)
    }
  }
  return {
    timed,
    failed,
    meanBatch: (d) => batches.get(d)?.(),
    close: async () => {
      for (const c of closers) await c()
    },
  }
}
