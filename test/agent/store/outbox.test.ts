/**
 * The outbox contract, on Node (better-sqlite3) and Bun (bun:sqlite): group commit, all-or-nothing
 * calls, order, limits under both policies with exact counts, TTL, persistent drop counters and
 * the retention of announcements that queued data needs.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { SqliteDatabase } from '../../../platform/src/index.ts'
import { ManualClock, openSqlite, systemClock } from '../../../platform/src/index.ts'
import type { AgentStore, OutboxItem } from '../../../agent/src/store/index.ts'
import { OutboxFullError, storeDefaults } from '../../../agent/src/store/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import {
  announcement,
  closeStores,
  data,
  epoch,
  epochHex,
  isBun,
  openStore,
  sealedBytes,
  settle,
} from './_fixture.ts'

const readers: SqliteDatabase[] = []

afterEach(async () => {
  while (readers.length > 0) readers.pop()!.close()
  await closeStores()
  await cleanupTempDirs()
})

/** A second, read-only connection: sees only what is committed. */
function reader(store: AgentStore): SqliteDatabase {
  const db = openSqlite(store.database.path, { readonly: true })
  readers.push(db)
  return db
}

function committedSeqs(db: SqliteDatabase): number[] {
  return db
    .prepare<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq')
    .all()
    .map((r) => r.seq)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

/** Fills a fresh store with announcement 1 and data 2..n (epoch 1), committed. */
async function filled(store: AgentStore, clock: ManualClock | undefined, n: number): Promise<void> {
  const p = store.outbox.enqueue([announcement(1), ...range(2, n).map((s) => data(s))])
  clock?.advance(storeDefaults.outbox.maxDelayMs)
  await p
}

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: group commit`, () => {
  it('1,000 concurrent calls share a few transactions, each resolved only once committed', async () => {
    const clock = new ManualClock(1_000)
    const store = await openStore({ clock, outbox: { maxBatch: 256, maxDelayMs: 2 } })
    const check = reader(store)
    const first = store.outbox.enqueue([announcement(1)])
    clock.advance(2)
    await first
    const commits = store.database.commits
    let resolved = 0
    let visibleWhenResolved = 0
    const isVisible = check.prepare('SELECT 1 FROM outbox WHERE seq = ?')
    const calls = range(2, 1001).map((seq) =>
      store.outbox.enqueue([data(seq)]).then(() => {
        resolved++
        if (isVisible.get(seq) !== undefined) visibleWhenResolved++
      }),
    )
    await settle()
    // 256, 512 and 768 waiting items each filled a batch; the last 232 wait for the delay.
    expect(store.database.commits - commits).toBe(3)
    expect(resolved).toBe(768)
    expect(committedSeqs(check)).toHaveLength(769)
    clock.advance(2)
    await Promise.all(calls)
    expect(store.database.commits - commits).toBe(4)
    expect(resolved).toBe(1000)
    expect(visibleWhenResolved).toBe(1000)
    expect(committedSeqs(check)).toEqual(range(1, 1001))
    expect(store.commitStats).toMatchObject({ batches: 5, requests: 1001, failures: 0 })
  })

  it('with the real clock, 1,000 concurrent calls take far fewer than 1,000 transactions', async () => {
    const store = await openStore({ clock: systemClock, outbox: { maxDelayMs: 2 } })
    await store.outbox.enqueue([announcement(1)])
    const commits = store.database.commits
    await Promise.all(range(2, 1001).map((seq) => store.outbox.enqueue([data(seq)])))
    expect(store.database.commits - commits).toBeLessThanOrEqual(10)
    expect(store.outbox.depth()).toMatchObject({ count: 1001, pending: 1001 })
  })

  it('a call waits for its commit: not resolved and not visible before the delay ends', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { maxDelayMs: 5 } })
    const check = reader(store)
    let done = false
    const p = store.outbox.enqueue([announcement(1), data(2)]).then(() => (done = true))
    clock.advance(4)
    await settle()
    expect(done).toBe(false)
    expect(committedSeqs(check)).toEqual([])
    clock.advance(1)
    await p
    expect(committedSeqs(check)).toEqual([1, 2])
  })

  it('a failed commit rolls back the whole batch: every call rejects, none of their items stored', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock })
    await filled(store, clock, 3)
    store.database.sqlite.exec(
      "CREATE TEMP TRIGGER fail BEFORE INSERT ON outbox WHEN NEW.seq = 13 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
    )
    const a = caught(store.outbox.enqueue([data(10), data(11)]))
    const b = caught(store.outbox.enqueue([data(12), data(13)]))
    const c = caught(store.outbox.enqueue([data(14)]))
    clock.advance(2)
    for (const err of [await a, await b, await c]) {
      expect(err).toMatchObject({
        code: 'ERR_STORE_WRITE',
        message: 'the state database could not commit',
      })
      expect(String((err.cause as Error).message)).toMatch(/disk on fire/)
    }
    expect(committedSeqs(reader(store))).toEqual([1, 2, 3])
    expect(store.outbox.depth()).toMatchObject({ count: 3, pending: 3 })
    expect(store.commitStats.failures).toBe(1)
    store.database.sqlite.exec('DROP TRIGGER fail')
    const d = store.outbox.enqueue([data(15), data(16)])
    clock.advance(2)
    await d
    expect(store.outbox.peek(0, 10).map((r) => r.seq)).toEqual([1, 2, 3, 15, 16])
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: what it accepts`, () => {
  it('refuses items out of sequence order, within a call and across calls', async () => {
    const store = await openStore()
    await store.outbox.enqueue([announcement(5), data(6)])
    const within = await caught(store.outbox.enqueue([data(8), data(7)]))
    expect(within).toBeInstanceOf(RangeError)
    expect(within.message).toBe(
      'enqueue: item 1: seq 7 is not above 8 (sequence numbers must grow from item to item and call to call)',
    )
    expect(await caught(store.outbox.enqueue([data(6)]))).toBeInstanceOf(RangeError)
    expect(await caught(store.outbox.enqueue([data(-1)]))).toBeInstanceOf(RangeError)
    expect(await caught(store.outbox.enqueue([data(2 ** 53)]))).toBeInstanceOf(RangeError)
  })

  it('stores sealed bytes only: a plaintext reading is refused before anything is written', async () => {
    const store = await openStore()
    const plaintext = new TextEncoder().encode('{"stream":"t","value":21.5}')
    const err = await caught(store.outbox.enqueue([{ ...data(1), bytes: plaintext }]))
    expect(err).toBeInstanceOf(TypeError)
    expect(err.message).toBe(
      'enqueue: item 0: bytes are not a sealed sealwire/1 message (the outbox stores sealed bytes only)',
    )
    const compactAnnouncement = { ...announcement(2), bytes: sealedBytes('compact', 50) }
    expect((await caught(store.outbox.enqueue([compactAnnouncement]))).message).toBe(
      'enqueue: item 0: an announcement is a full-form (COSE_Encrypt) message',
    )
    const bad: [Partial<OutboxItem>, RegExp][] = [
      [{ epochId: new Uint8Array(7) }, /epochId must be 8 bytes/],
      [{ kind: 'other' as never }, /kind must be/],
      [{ topic: '' }, /topic must be a non-empty string/],
      [{ bytes: 'x' as never }, /bytes must be a Uint8Array/],
    ]
    for (const [patch, message] of bad) {
      const e = await caught(store.outbox.enqueue([{ ...data(3), ...patch }]))
      expect(e).toBeInstanceOf(TypeError)
      expect(e.message).toMatch(message)
    }
    expect(store.outbox.depth().count).toBe(0)
  })

  it('refuses data of an epoch whose announcement is not in the outbox', async () => {
    const store = await openStore()
    const err = await caught(store.outbox.enqueue([data(1, 7)]))
    expect(err).toMatchObject({ code: 'ERR_OUTBOX_NO_ANNOUNCEMENT', name: 'StoreError' })
    expect(err.message).toMatch(
      `data message 1 belongs to epoch ${epochHex(7)}, whose announcement is not in the outbox`,
    )
    // The same call may carry the announcement first.
    await store.outbox.enqueue([announcement(2, 7), data(3, 7)])
    expect(store.outbox.depth().count).toBe(2)
  })

  it('stores an epoch announcement once', async () => {
    const store = await openStore()
    await store.outbox.enqueue([announcement(1), data(2)])
    await store.outbox.enqueue([announcement(3), data(4)])
    expect(store.outbox.peek(0, 10).map((r) => [r.seq, r.kind])).toEqual([
      [1, 'announcement'],
      [2, 'data'],
      [4, 'data'],
    ])
  })

  it('refuses a call larger than the whole outbox with ERR_OUTBOX_TOO_LARGE', async () => {
    const store = await openStore({ outbox: { maxCount: 3, maxBytes: 1_000 } })
    const many = await caught(store.outbox.enqueue([announcement(1), data(2), data(3), data(4)]))
    expect(many).toMatchObject({ code: 'ERR_OUTBOX_TOO_LARGE' })
    expect(many.message).toBe(
      'one call of 4 messages and 600 bytes exceeds the outbox limits (3 messages, 1000 bytes)',
    )
    expect(await caught(store.outbox.enqueue([announcement(5, 1, 1_001)]))).toMatchObject({
      code: 'ERR_OUTBOX_TOO_LARGE',
    })
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: reading, acknowledging`, () => {
  it('peek returns rows in sequence order after a cursor, with their fields', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const store = await openStore({ clock })
    await filled(store, clock, 10)
    const rows = store.outbox.peek(3, 4)
    expect(rows.map((r) => r.seq)).toEqual([4, 5, 6, 7])
    const row = rows[0]!
    expect(row).toMatchObject({
      kind: 'data',
      topic: 'sealwire/dev-1/data',
      enqueuedAt: 1_700_000_000_000,
    })
    expect([...row.epochId]).toEqual([...epoch(1)])
    expect([...row.bytes]).toEqual([...data(4).bytes])
    expect(store.outbox.peek(-1, 1)[0]).toMatchObject({
      seq: 1,
      kind: 'announcement',
      topic: 'sealwire/dev-1/key',
    })
    expect(store.outbox.peek(10, 5)).toEqual([])
  })

  it('ack deletes durably before resolving; peek hides rows whose ack waits for its commit', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock })
    const check = reader(store)
    await filled(store, clock, 5)
    const acked = store.outbox.ack([2, 3])
    expect(store.outbox.peek(0, 10).map((r) => r.seq)).toEqual([1, 4, 5])
    expect(committedSeqs(check)).toEqual([1, 2, 3, 4, 5])
    clock.advance(2)
    await acked
    expect(committedSeqs(check)).toEqual([1, 4, 5])
    await Promise.all([store.outbox.ack(99), store.outbox.ack([4, 4]), clock.advance(2)])
    expect(store.outbox.depth()).toMatchObject({ count: 2, pending: 2, bytes: 400 })
  })

  it('depth reports count, bytes, pending and the oldest age by the clock', async () => {
    const clock = new ManualClock(10_000)
    const store = await openStore({ clock })
    expect(store.outbox.depth()).toEqual({ count: 0, bytes: 0, pending: 0, oldestAgeMs: null })
    await filled(store, clock, 3)
    clock.advance(1_000)
    expect(store.outbox.depth()).toEqual({ count: 3, bytes: 500, pending: 3, oldestAgeMs: 1_002 })
  })

  it('keeps rows, counters, the current epoch and the last sequence number across a restart', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(0)
    const store = await openStore({
      stateDir,
      clock,
      outbox: { policy: 'drop-oldest', maxCount: 4 },
    })
    const p = store.outbox.enqueue([announcement(1, 3), data(2, 3), data(3, 3), data(4, 3)])
    const q = store.outbox.enqueue([data(5, 3)])
    clock.advance(2)
    await Promise.all([p, q])
    await store.stop()
    const again = await openStore({
      stateDir,
      clock,
      outbox: { policy: 'drop-oldest', maxCount: 4 },
    })
    expect(again.outbox.peek(0, 10).map((r) => r.seq)).toEqual([1, 3, 4, 5])
    expect(again.outbox.drops()).toEqual({
      full: { messages: 1, bytes: 100 },
      ttl: { messages: 0, bytes: 0 },
    })
    expect(again.outbox.currentEpochId).toBe(epochHex(3))
    expect(again.outbox.lastSeq).toBe(5)
    expect(await caught(again.outbox.enqueue([data(5, 3)]))).toBeInstanceOf(RangeError)
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: full, reject-new`, () => {
  it('refuses whole calls past the count limit, stores nothing of them, drops nothing', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { policy: 'reject-new', maxCount: 100 } })
    await filled(store, clock, 100)
    let accepted = 0
    let rejected = 0
    const calls = range(101, 150).map((seq) =>
      store.outbox.enqueue([data(seq)]).then(
        () => accepted++,
        (err: unknown) => {
          expect(err).toBeInstanceOf(OutboxFullError)
          expect(err).toMatchObject({
            code: 'ERR_OUTBOX_FULL',
            limit: 'count',
            retryAfterMs: 60_000,
          })
          rejected++
        },
      ),
    )
    clock.advance(2)
    await Promise.all(calls)
    expect({ accepted, rejected }).toEqual({ accepted: 0, rejected: 50 })
    // A call that would half fit is refused whole.
    const ack = store.outbox.ack(range(2, 11))
    const half = caught(store.outbox.enqueue(range(151, 161).map((s) => data(s))))
    const fits = store.outbox.enqueue(range(162, 171).map((s) => data(s)))
    clock.advance(2)
    await ack
    await fits
    expect(await half).toMatchObject({ code: 'ERR_OUTBOX_FULL' })
    expect(store.outbox.depth()).toMatchObject({ count: 100, bytes: 300 + 99 * 100 })
    expect(store.outbox.peek(0, 200).map((r) => r.seq)).toEqual([
      1,
      ...range(12, 100),
      ...range(162, 171),
    ])
    expect(store.outbox.drops()).toEqual({
      full: { messages: 0, bytes: 0 },
      ttl: { messages: 0, bytes: 0 },
    })
  })

  it('refuses past the byte limit, with a retry-after hint from the recent acknowledgement rate', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({
      clock,
      outbox: {
        policy: 'reject-new',
        maxBytes: 300 + 10 * 100,
        minRetryAfterMs: 1_000,
        maxRetryAfterMs: 60_000,
      },
    })
    await filled(store, clock, 11)
    // The broker acknowledges 10 messages in 1 s: one more message needs about 100 ms → 1 s floor.
    for (let i = 2; i <= 11; i++) {
      const p = store.outbox.ack(i)
      clock.advance(100)
      await p
    }
    const more = store.outbox.enqueue(range(12, 21).map((s) => data(s)))
    clock.advance(2)
    await more
    const err = await (async () => {
      const p = caught(store.outbox.enqueue(range(22, 26).map((s) => data(s))))
      clock.advance(2)
      return p
    })()
    expect(err).toMatchObject({ code: 'ERR_OUTBOX_FULL', limit: 'bytes' })
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(1_000)
    expect(err.retryAfterMs).toBeLessThan(60_000)
    expect(err.message).toBe(`outbox full (bytes limit); retry after ${err.retryAfterMs} ms`)
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: full, drop-oldest`, () => {
  it('drops exactly the oldest data messages needed, never the announcement, and counts them', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { policy: 'drop-oldest', maxCount: 100 } })
    const dropped: [string, number, number][] = []
    store.outbox.onDropped((reason, d) => dropped.push([reason, d.messages, d.bytes]))
    await filled(store, clock, 100)
    let accepted = 0
    const calls = range(101, 130).map((seq) =>
      store.outbox.enqueue([data(seq)]).then(() => accepted++),
    )
    clock.advance(2)
    await Promise.all(calls)
    expect(accepted).toBe(30)
    expect(store.outbox.depth()).toMatchObject({ count: 100, pending: 100 })
    expect(store.outbox.peek(0, 200).map((r) => r.seq)).toEqual([1, ...range(32, 130)])
    expect(store.outbox.drops().full).toEqual({ messages: 30, bytes: 3_000 })
    expect(dropped).toEqual(Array.from({ length: 30 }, () => ['full', 1, 100]))
    // A bigger call drops as many as it needs, in one go.
    const big = store.outbox.enqueue(range(131, 140).map((s) => data(s)))
    clock.advance(2)
    await big
    expect(store.outbox.peek(0, 200).map((r) => r.seq)).toEqual([1, ...range(42, 140)])
    expect(store.outbox.drops().full).toEqual({ messages: 40, bytes: 4_000 })
  })

  it('drops by bytes, and acknowledged messages of the same batch are not counted as drops', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({
      clock,
      outbox: { policy: 'drop-oldest', maxBytes: 300 + 1_000 },
    })
    await filled(store, clock, 11)
    const ack = store.outbox.ack([2, 3])
    const big = store.outbox.enqueue([{ ...data(12), bytes: sealedBytes('compact', 450) }])
    clock.advance(2)
    await Promise.all([ack, big])
    // 450 bytes: 200 freed by the acks, then 3 more messages (300 bytes) dropped.
    expect(store.outbox.drops().full).toEqual({ messages: 3, bytes: 300 })
    expect(store.outbox.peek(0, 20).map((r) => r.seq)).toEqual([1, 7, 8, 9, 10, 11, 12])
    expect(store.outbox.depth().bytes).toBe(300 + 500 + 450)
  })

  it('refuses when only announcements fill it (they are never dropped)', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { policy: 'drop-oldest', maxCount: 3 } })
    const p = store.outbox.enqueue([announcement(1, 1), announcement(2, 2), announcement(3, 3)])
    clock.advance(2)
    await p
    const err = caught(store.outbox.enqueue([data(4, 3)]))
    clock.advance(2)
    expect(await err).toMatchObject({ code: 'ERR_OUTBOX_FULL', limit: 'count' })
    expect(store.outbox.depth().count).toBe(3)
    expect(store.outbox.drops().full.messages).toBe(0)
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: TTL`, () => {
  it('expires data older than ttlMs by the clock, in queue order, counted as ttl and kept across restarts', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(1_000_000)
    const store = await openStore({ stateDir, clock, outbox: { ttlMs: 1_000 } })
    await filled(store, clock, 4) // at t0: announcement 1, data 2..4
    clock.advance(500)
    const later = store.outbox.enqueue([data(5), data(6)])
    clock.advance(2)
    await later
    clock.advance(494)
    // The sweep runs in the next group commit, 2 ms on: data 2..4 are then exactly 1,000 ms old.
    const none = store.outbox.expire()
    clock.advance(2)
    expect(await none).toEqual({ messages: 0, bytes: 0 })
    const some = store.outbox.expire()
    clock.advance(2) // 1,002 ms: past the TTL; data 5 and 6 are 500 ms old
    expect(await some).toEqual({ messages: 3, bytes: 300 })
    expect(store.outbox.peek(0, 10).map((r) => r.seq)).toEqual([1, 5, 6])
    await store.stop()
    const again = await openStore({ stateDir, clock, outbox: { ttlMs: 1_000 } })
    expect(again.outbox.drops()).toEqual({
      full: { messages: 0, bytes: 0 },
      ttl: { messages: 3, bytes: 300 },
    })
    expect(again.status().drops.ttl).toEqual({ messages: 3, bytes: 300 })
  })

  it('also expires an unpublished announcement that nothing needs any more, never the current one', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { ttlMs: 1_000 } })
    const tick = async <T>(p: Promise<T>): Promise<T> => {
      clock.advance(2)
      return p
    }
    await tick(store.outbox.enqueue([announcement(1, 1), data(2, 1)]))
    await tick(store.outbox.ack(2))
    await tick(store.outbox.enqueue([announcement(3, 2)]))
    clock.advance(1_000)
    expect(await tick(store.outbox.expire())).toEqual({ messages: 1, bytes: 300 })
    expect(store.outbox.peek(0, 10).map((r) => r.seq)).toEqual([3])
    expect(store.outbox.drops().ttl).toEqual({ messages: 1, bytes: 300 })
  })

  it('start() sweeps every sweepIntervalMs on the clock; ttlMs 0 never expires', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { ttlMs: 10_000, sweepIntervalMs: 60_000 } })
    await filled(store, clock, 3)
    store.start()
    clock.advance(60_000)
    await settle()
    clock.advance(2)
    await settle()
    expect(store.outbox.drops().ttl.messages).toBe(2)
    expect(store.outbox.depth().count).toBe(1)

    const keep = await openStore({ clock, outbox: { ttlMs: 0 } })
    await filled(keep, clock, 3)
    clock.advance(10 ** 9)
    const p = keep.outbox.expire()
    clock.advance(2)
    expect(await p).toEqual({ messages: 0, bytes: 0 })
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: announcements that queued data needs`, () => {
  it('keeps an acknowledged announcement while its epoch has queued data or is current', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock })
    const check = reader(store)
    const tick = async <T>(p: Promise<T>): Promise<T> => {
      clock.advance(2)
      return p
    }
    await tick(store.outbox.enqueue([announcement(1, 1), data(2, 1), data(3, 1)]))
    await tick(store.outbox.ack(1))
    // Published, so peek skips it; still stored for re-publishing on a new connection.
    expect(store.outbox.peek(0, 10).map((r) => r.seq)).toEqual([2, 3])
    expect(store.outbox.announcementFor(epoch(1))).toMatchObject({ seq: 1, kind: 'announcement' })
    expect(store.outbox.depth()).toMatchObject({ count: 3, pending: 2 })
    await tick(store.outbox.ack([2, 3]))
    // Epoch 1 is still the current epoch: kept.
    expect(committedSeqs(check)).toEqual([1])
    // A new epoch starts while epoch 1 … no data left: epoch 1's announcement goes.
    await tick(store.outbox.enqueue([announcement(4, 2), data(5, 2)]))
    expect(committedSeqs(check)).toEqual([4, 5])
    expect(store.outbox.announcementFor(epoch(1))).toBeUndefined()
    expect(store.outbox.currentEpochId).toBe(epochHex(2))
  })

  it("keeps an old epoch's announcement until its last queued message is acknowledged or dropped", async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock, outbox: { policy: 'drop-oldest', maxCount: 6 } })
    const check = reader(store)
    const tick = async <T>(p: Promise<T>): Promise<T> => {
      clock.advance(2)
      return p
    }
    await tick(store.outbox.enqueue([announcement(1, 1), data(2, 1), data(3, 1)]))
    await tick(store.outbox.enqueue([announcement(4, 2), data(5, 2)]))
    await tick(store.outbox.ack([1, 4]))
    await tick(store.outbox.ack(2))
    expect(store.outbox.announcementFor(epoch(1))?.seq).toBe(1) // data 3 still needs it
    // Two more messages of epoch 2 overflow the limit of 6: data 3 (the oldest data) is dropped,
    // and with it goes epoch 1's announcement, which nothing needs any more.
    await tick(store.outbox.enqueue([data(6, 2), data(7, 2), data(8, 2)]))
    expect(store.outbox.drops().full.messages).toBe(1)
    expect(store.outbox.announcementFor(epoch(1))).toBeUndefined()
    expect(committedSeqs(check)).toEqual([4, 5, 6, 7, 8])
  })

  it('never deletes an announcement not yet published, even with no data left', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock })
    const tick = async <T>(p: Promise<T>): Promise<T> => {
      clock.advance(2)
      return p
    }
    await tick(store.outbox.enqueue([announcement(1, 1), data(2, 1)]))
    await tick(store.outbox.ack(2)) // data acknowledged before its announcement (a reconnect)
    await tick(store.outbox.enqueue([announcement(3, 2)]))
    expect(store.outbox.peek(0, 10).map((r) => r.seq)).toEqual([1, 3])
    await tick(store.outbox.ack(1))
    expect(store.outbox.announcementFor(epoch(1))).toBeUndefined()
    expect(store.outbox.depth()).toMatchObject({ count: 1, pending: 1 })
  })
})

describe(`Outbox on ${isBun ? 'Bun' : 'Node'}: events and closing`, () => {
  it('tells listeners after each commit that added messages', async () => {
    const clock = new ManualClock(0)
    const store = await openStore({ clock })
    const seen: number[] = []
    const off = store.outbox.onCommitted((last) => seen.push(last))
    const a = store.outbox.enqueue([announcement(1), data(2)])
    const b = store.outbox.enqueue([data(3)])
    clock.advance(2)
    await Promise.all([a, b])
    expect(seen).toEqual([3])
    off()
    const c = store.outbox.enqueue([data(4)])
    clock.advance(2)
    await c
    expect(seen).toEqual([3])
  })

  it('stop() commits what waits; later calls reject with ERR_STORE_CLOSED', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(0)
    const store = await openStore({ stateDir, clock })
    const waiting = store.outbox.enqueue([announcement(1), data(2)])
    await store.stop()
    await waiting
    expect(await caught(store.outbox.enqueue([data(3)]))).toMatchObject({
      code: 'ERR_STORE_CLOSED',
    })
    const again = await openStore({ stateDir })
    expect(again.outbox.peek(0, 5).map((r) => r.seq)).toEqual([1, 2])
    expect(join(stateDir, 'agent.db')).toBe(again.database.path)
  })
})
