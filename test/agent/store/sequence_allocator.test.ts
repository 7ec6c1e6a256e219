/**
 * The device sequence number, reserved ahead by K (RFC 8613 App. B.1.1): strictly increasing,
 * durable bound written before a number past it is handed out, resumes above every number used
 * after a crash, boot count, exhaustion at 2^53 − 1.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_SEQUENCE } from '../../../envelope/src/index.ts'
import { openSqlite } from '../../../platform/src/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { closeStores, isBun, openStore } from './_fixture.ts'

afterEach(async () => {
  await closeStores()
  await cleanupTempDirs()
})

function storedBound(stateDir: string): number {
  const db = openSqlite(join(stateDir, 'agent.db'), { readonly: true })
  try {
    return db.prepare<{ bound: number }>('SELECT bound FROM sequence').get()!.bound
  } finally {
    db.close()
  }
}

describe(`SequenceAllocator on ${isBun ? 'Bun' : 'Node'}`, () => {
  it('starts at 1 and hands out strictly increasing numbers', async () => {
    const store = await openStore({ sequence: { reserveAhead: 10 } })
    const got = Array.from({ length: 35 }, () => store.sequence.next())
    expect(got).toEqual(Array.from({ length: 35 }, (_, i) => i + 1))
  })

  it('writes bound + K durably before handing out the first number past the bound', async () => {
    const stateDir = await tempDir()
    const store = await openStore({ stateDir, sequence: { reserveAhead: 10 } })
    expect(storedBound(stateDir)).toBe(0)
    expect(store.sequence.next()).toBe(1)
    // Read from another connection: the bound is committed, not just in memory.
    expect(storedBound(stateDir)).toBe(10)
    for (let i = 2; i <= 10; i++) store.sequence.next()
    expect(storedBound(stateDir)).toBe(10)
    expect(store.sequence.reservations).toBe(1)
    const commits = store.database.commits
    expect(store.sequence.next()).toBe(11)
    expect(storedBound(stateDir)).toBe(20)
    expect(store.database.commits).toBe(commits + 1)
    expect(store.sequence.reservedThrough).toBe(20)
  })

  it('after crashes (no clean close) resumes above every number handed out, skipping the rest', async () => {
    const stateDir = await tempDir()
    const seen: number[] = []
    for (let run = 0; run < 6; run++) {
      const store = await openStore({ stateDir, sequence: { reserveAhead: 7 } })
      const first = store.sequence.next()
      expect(first).toBeGreaterThan(Math.max(0, ...seen))
      seen.push(first)
      for (let i = 0; i < run * 5; i++) seen.push(store.sequence.next())
      // A crash: the connection goes away with no stop(), no flush, nothing written on the way out.
      store.database.sqlite.close()
    }
    expect(new Set(seen).size).toBe(seen.length)
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!)
  })

  it('increments the boot count durably at every open', async () => {
    const stateDir = await tempDir()
    for (let boot = 1; boot <= 3; boot++) {
      const store = await openStore({ stateDir })
      expect(store.sequence.bootCount).toBe(boot)
      store.database.sqlite.close()
    }
  })

  it('works with durability normal too (the bound is fsynced anyway)', async () => {
    const stateDir = await tempDir()
    const store = await openStore({ stateDir, durability: 'normal', sequence: { reserveAhead: 3 } })
    expect([
      store.sequence.next(),
      store.sequence.next(),
      store.sequence.next(),
      store.sequence.next(),
    ]).toEqual([1, 2, 3, 4])
    expect(storedBound(stateDir)).toBe(6)
    expect(store.database.sqlite.pragma('synchronous')).toBe(1)
  })

  it('refuses to go past MAX_SEQUENCE with ERR_SEQUENCE_EXHAUSTED', async () => {
    const stateDir = await tempDir()
    await (await openStore({ stateDir })).stop()
    const raw = openSqlite(join(stateDir, 'agent.db'))
    raw.prepare('UPDATE sequence SET bound = ?').run(MAX_SEQUENCE - 2)
    raw.close()
    const store = await openStore({ stateDir, sequence: { reserveAhead: 1000 } })
    expect(store.sequence.next()).toBe(MAX_SEQUENCE - 1)
    expect(store.sequence.next()).toBe(MAX_SEQUENCE)
    expect(store.sequence.reservedThrough).toBe(MAX_SEQUENCE)
    const err = await caught(() => store.sequence.next())
    expect(err).toMatchObject({ code: 'ERR_SEQUENCE_EXHAUSTED', name: 'StoreError' })
    expect(err.message).toBe(
      `the device sequence number is exhausted (every number up to ${MAX_SEQUENCE} is used)`,
    )
    expect(await caught(() => store.sequence.next())).toMatchObject({
      code: 'ERR_SEQUENCE_EXHAUSTED',
    })
  })

  it('refuses a bad K', async () => {
    for (const k of [0, -1, 1.5, 2 ** 32 + 1]) {
      expect(await caught(openStore({ sequence: { reserveAhead: k } }))).toBeInstanceOf(RangeError)
    }
  })
})
