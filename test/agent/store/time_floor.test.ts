/**
 * The persisted time floor for boards without an RTC: never lower, rate-limited writes, read at
 * the next start, written at a clean stop.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, openSqlite } from '../../../platform/src/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { closeStores, isBun, openStore } from './_fixture.ts'
import { announcement, data } from './_items.ts'

afterEach(async () => {
  await closeStores()
  await cleanupTempDirs()
})

function storedFloor(stateDir: string): number | null {
  const db = openSqlite(join(stateDir, 'agent.db'), { readonly: true })
  try {
    return db.prepare<{ floor_ms: number | null }>('SELECT floor_ms FROM time_floor').get()!
      .floor_ms
  } finally {
    db.close()
  }
}

const T = 1_717_000_000_000

describe(`TimeFloor on ${isBun ? 'Bun' : 'Node'}`, () => {
  it('starts at 0 on a new state and only moves up', async () => {
    const store = await openStore({ clock: new ManualClock(0) })
    expect(store.timeFloor.floor).toBe(0)
    expect(store.timeFloor.raiseFloor(T)).toBe(true)
    expect(store.timeFloor.raiseFloor(T - 1)).toBe(false)
    expect(store.timeFloor.raiseFloor(T)).toBe(false)
    expect(store.timeFloor.floor).toBe(T)
    expect(await caught(() => store.timeFloor.raiseFloor(-1))).toBeInstanceOf(RangeError)
    expect(await caught(() => store.timeFloor.raiseFloor(1.5))).toBeInstanceOf(RangeError)
  })

  it('writes at most once per minWriteIntervalMs, the highest value raised', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(0)
    const store = await openStore({ stateDir, clock, timeFloor: { minWriteIntervalMs: 60_000 } })
    store.timeFloor.raiseFloor(T) // the first raise writes at once
    expect(storedFloor(stateDir)).toBe(T)
    for (let i = 1; i <= 59; i++) {
      clock.advance(1_000)
      store.timeFloor.raiseFloor(T + i * 1_000)
    }
    expect(store.timeFloor.writes).toBe(1)
    expect(storedFloor(stateDir)).toBe(T)
    expect(store.timeFloor.floor).toBe(T + 59_000)
    clock.advance(1_000)
    store.timeFloor.raiseFloor(T + 60_000)
    expect(store.timeFloor.writes).toBe(2)
    expect(storedFloor(stateDir)).toBe(T + 60_000)
    expect(store.timeFloor.storedFloor).toBe(T + 60_000)
  })

  it('is read at the next start: after a crash, the last write; after a clean stop, the latest raise', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(0)
    const crashed = await openStore({ stateDir, clock })
    crashed.timeFloor.raiseFloor(T)
    clock.advance(5_000)
    crashed.timeFloor.raiseFloor(T + 5_000) // not yet due
    crashed.database.sqlite.close() // crash: no stop()
    const second = await openStore({ stateDir, clock })
    expect(second.timeFloor.floor).toBe(T)
    second.timeFloor.raiseFloor(T + 1)
    clock.advance(1_000)
    second.timeFloor.raiseFloor(T + 9_000)
    await second.stop()
    const third = await openStore({ stateDir, clock })
    expect(third.timeFloor.floor).toBe(T + 9_000)
    expect(third.status().timeFloorMs).toBe(T + 9_000)
  })

  it('rides along with every group commit: after a crash, the floor covers every committed record (an RTC-less board rebooting in 1970 never stamps below them)', async () => {
    const stateDir = await tempDir()
    const clock = new ManualClock(0)
    const crashed = await openStore({
      stateDir,
      clock,
      timeFloor: { minWriteIntervalMs: 60_000 },
      outbox: { maxDelayMs: 2 },
    })
    crashed.timeFloor.raiseFloor(T) // the first raise writes at once
    clock.advance(5_000)
    crashed.timeFloor.raiseFloor(T + 5_000) // not due on its own: the next commit carries it
    expect(storedFloor(stateDir)).toBe(T)
    const first = crashed.outbox.enqueue([announcement(1), data(2)])
    clock.advance(2) // the group commit's delay, on the manual clock
    await first
    expect(storedFloor(stateDir)).toBe(T + 5_000)
    expect(crashed.timeFloor.storedFloor).toBe(T + 5_000)
    const writes = crashed.timeFloor.writes
    const second = crashed.outbox.enqueue([data(3)]) // the floor did not move: nothing written
    clock.advance(2)
    await second
    expect(crashed.timeFloor.writes).toBe(writes)
    crashed.database.sqlite.close() // crash: no stop()
    const next = await openStore({ stateDir, clock })
    expect(next.timeFloor.floor).toBe(T + 5_000)
  })
})
