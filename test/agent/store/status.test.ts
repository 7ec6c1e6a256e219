/**
 * The status snapshot (`sealwire-agent status --state DIR`): read from a second, read-only
 * connection while the agent holds the database open, with every field the issue names.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, openSqlite } from '../../../platform/src/index.ts'
import { readStoreStatus, SCHEMA_VERSION } from '../../../agent/src/store/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { announcement, closeStores, data, epochHex, isBun, openStore, settle } from './_fixture.ts'

afterEach(async () => {
  await closeStores()
  await cleanupTempDirs()
})

describe(`status on ${isBun ? 'Bun' : 'Node'}`, () => {
  it('is readable from another connection while the writer runs, and matches what it committed', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(1_000_000)
    const store = await openStore({
      stateDir,
      clock,
      sequence: { reserveAhead: 100 },
      outbox: { policy: 'drop-oldest', maxCount: 5 },
    })
    const tick = async <T>(p: Promise<T>): Promise<T> => {
      clock.advance(2)
      return p
    }
    const seqs = Array.from({ length: 7 }, () => store.sequence.next())
    const first = store.outbox.enqueue([
      announcement(seqs[0]!, 9),
      ...seqs.slice(1, 4).map((s) => data(s, 9)),
    ])
    const second = store.outbox.enqueue(seqs.slice(4).map((s) => data(s, 9))) // drops 2 and 3
    await tick(Promise.all([first, second]))
    await tick(store.outbox.ack(seqs[0]!))
    store.recordError('broker: connect ECONNREFUSED 127.0.0.1:1883\nsecond line \u0007')
    clock.advance(2)
    await settle()
    store.timeFloor.raiseFloor(1_700_000_000_000)
    clock.advance(3_000)

    // The writer still holds the database open (and its write lock is free between commits).
    const s = readStoreStatus(stateDir, { clock })
    expect(s).toEqual({
      schemaVersion: SCHEMA_VERSION,
      bootCount: 1,
      sequence: { reservedThrough: 100, lastQueued: 7 },
      outbox: {
        count: 5,
        bytes: 300 + 4 * 100,
        pending: 4,
        oldestEnqueuedAt: 1_000_000,
        oldestAgeMs: 3_006,
      },
      currentEpochId: epochHex(9),
      lastError: {
        message: 'broker: connect ECONNREFUSED 127.0.0.1:1883\\nsecond line \\u0007',
        at: 1_000_004,
      },
      drops: { full: { messages: 2, bytes: 200 }, ttl: { messages: 0, bytes: 0 } },
      timeFloorMs: 1_700_000_000_000,
    })
    expect(store.status()).toEqual(s)
  })

  it('does not block the writer: a read-only connection open mid-run, writes go on', async () => {
    const stateDir = await tempDir()
    const store = await openStore({ stateDir })
    await store.outbox.enqueue([announcement(store.sequence.next()), data(store.sequence.next())])
    const ro = openSqlite(join(stateDir, 'agent.db'), { readonly: true })
    try {
      ro.exec('BEGIN')
      expect(ro.prepare('SELECT count(*) AS c FROM outbox').get()).toEqual({ c: 2 })
      // A reader inside a read transaction: the writer still commits (WAL).
      await store.outbox.enqueue([data(store.sequence.next())])
      expect(ro.prepare('SELECT count(*) AS c FROM outbox').get()).toEqual({ c: 2 })
      ro.exec('COMMIT')
      expect(ro.prepare('SELECT count(*) AS c FROM outbox').get()).toEqual({ c: 3 })
      expect(() => ro.exec('DELETE FROM outbox')).toThrow(/readonly|read-only/i)
    } finally {
      ro.close()
    }
  })

  it('keeps only a short sanitized last error', async () => {
    const store = await openStore()
    store.recordError('x'.repeat(1_000))
    await store.outbox.expire() // any commit carries it
    const stored = readStoreStatus(join(store.database.path, '..')).lastError!.message
    expect(stored).toBe(`${'x'.repeat(200)}…`)
  })

  it('reports a missing state, and a database no agent set up', async () => {
    const dir = await tempDir()
    const missing = await caught(() => readStoreStatus(dir))
    expect(missing).toMatchObject({ code: 'ERR_IO', reason: 'missing' })
    expect(missing.message).toMatch(/^no agent state in ".*" \(agent\.db is missing\)$/)
    const raw = openSqlite(join(dir, 'agent.db'))
    raw.close()
    const err = await caught(() => readStoreStatus(dir))
    expect(err).toMatchObject({ code: 'ERR_STORE_NOT_INITIALIZED' })
    expect(err.message).toMatch(/agent\.db" holds no agent state yet$/)
  })
})
