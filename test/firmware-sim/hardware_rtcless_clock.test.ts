/**
 * The clock without RTC (issue 10, item 3): a board that powers up in 1970, later syncs, and
 * reboots back to 1970. Unit tests of `RtclessClock`; the agent's `RecordClock` stamped through
 * it; and one real agent in process (two boots on the same state folder) delivering through an
 * in-process aedes broker: records before the sync carry clock flag 1 and times near 1970, after
 * it flag 0, and over the reboot record times never go backwards.
 */
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { checkAgentSettings, loadSettings, RecordClock, startAgent } from '../../agent/src/index.ts'
import type { Agent } from '../../agent/src/index.ts'
import { ManualClock } from '../../platform/src/index.ts'
import { RtclessClock } from '../../firmware-sim/src/hardware/index.ts'
import { DeviceReader, makeDevice } from '../agent/_device.ts'
import { AedesHarness } from '../agent/transport/_aedes.ts'
import { uniquePrefix, until } from '../agent/transport/_fixtures.ts'
import { caught, cleanupTempDirs, tempDir } from '../helpers/index.ts'

/** 2025-12-01T00:00:00Z: the real time NTP brings. */
const REAL = 1_764_547_200_000
const DAY = 86_400_000

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined)
  await cleanupTempDirs()
})

describe('RtclessClock', () => {
  it('starts at 1970 and runs on the base clock’s monotonic time until sync(), then is the base’s wall time', () => {
    const base = new ManualClock(REAL)
    base.advance(12_345) // the base's monotonic origin is not the board's power-up
    const clock = new RtclessClock({ base })
    expect(clock.now()).toBe(0)
    expect(clock.synced()).toBe(false)
    base.advance(5_000)
    expect(clock.now()).toBe(5_000)
    expect(clock.monotonic()).toBe(base.monotonic())
    clock.sync()
    expect(clock.synced()).toBe(true)
    expect(clock.now()).toBe(REAL + 17_345)
    base.advance(1)
    expect(clock.now()).toBe(REAL + 17_346)
  })

  it('boots at bootAt when given, and syncs by itself syncAfterMs after power-up', () => {
    const base = new ManualClock(REAL)
    const clock = new RtclessClock({ base, bootAt: 946_684_800_000, syncAfterMs: 30_000 })
    base.advance(29_999)
    expect(clock.now()).toBe(946_684_800_000 + 29_999)
    expect(clock.synced()).toBe(false)
    base.advance(1)
    expect(clock.synced()).toBe(true)
    expect(clock.now()).toBe(REAL + 30_000)
  })

  it('sleeps on the base clock', async () => {
    const base = new ManualClock(REAL)
    const clock = new RtclessClock({ base })
    let woke = false
    const slept = clock.sleep(100).then(() => (woke = true))
    base.advance(99)
    await Promise.resolve()
    expect(woke).toBe(false)
    base.advance(1)
    await slept
    expect(woke).toBe(true)
    const abort = new AbortController()
    const aborted = clock.sleep(100, abort.signal)
    abort.abort(new Error('stop'))
    expect((await caught(aborted)).message).toBe('stop')
  })

  it('refuses a bootAt or syncAfterMs out of range (caller bugs)', async () => {
    expect((await caught(() => new RtclessClock({ bootAt: -1 }))).message).toBe(
      'bootAt: expected an integer ≥ 0 (ms since 1970), got -1',
    )
    expect(await caught(() => new RtclessClock({ syncAfterMs: Number.NaN }))).toBeInstanceOf(
      RangeError,
    )
  })
})

describe('the agent’s RecordClock on an RTC-less board', () => {
  it('flags 1 near 1970 before the sync, 0 after; after a reboot it stamps the floor, flagged 1, until the next sync', () => {
    const base = new ManualClock(REAL)
    let clock = new RtclessClock({ base })
    let rc = new RecordClock({
      clock,
      floorMs: 0,
      trust: 'ntp',
      ntpSynchronized: () => clock.synced(),
    })
    base.advance(2_000)
    expect(rc.stamp()).toEqual({ time: 2_000, clock: 1 })
    clock.sync()
    expect(rc.stamp()).toEqual({ time: REAL + 2_000, clock: 0 })
    base.advance(10)
    expect(rc.stamp()).toEqual({ time: REAL + 2_010, clock: 0 })

    // Reboot: the board is back at 1970; the persisted floor holds the time up.
    const floor = rc.floor
    clock = new RtclessClock({ base })
    rc = new RecordClock({
      clock,
      floorMs: floor,
      trust: 'ntp',
      ntpSynchronized: () => clock.synced(),
    })
    base.advance(500)
    expect(rc.stamp()).toEqual({ time: REAL + 2_010, clock: 1 })
    clock.sync()
    expect(rc.stamp()).toEqual({ time: REAL + 2_510, clock: 0 })
  })
})

describe('a real agent with an RTC-less clock (two boots, same state folder)', () => {
  it('records show flag 1 near 1970 before the sync, flag 0 after, and times never go backwards', async () => {
    const root = await tempDir('sealwire-sim-rtcless-')
    const prefix = uniquePrefix()
    const device = await makeDevice(join(root, 'dev-1'), 'dev-1', prefix)
    const reader = new DeviceReader(device)
    let taking = Promise.resolve()
    const broker = new AedesHarness()
    broker.subscribe(`${prefix}/#`, (p) => {
      const payload = Uint8Array.from(Buffer.from(p.payload))
      taking = taking.then(() => reader.take(p.topic, payload))
    })
    await broker.start()
    cleanups.push(() => broker.close())

    const boot = async (clock: RtclessClock): Promise<Agent> => {
      const loaded = await loadSettings({
        flags: { device: device.dir, state: join(root, 'state'), broker: broker.url },
        env: { SEALWIRE_CLOCK_TRUST: 'ntp', SEALWIRE_BROKER_PROTOCOL_VERSION: '4' },
      })
      const checked = await checkAgentSettings(loaded.settings, loaded.sources)
      const agent = await startAgent(checked, pino({ level: 'silent' }), {
        clock,
        ntpSynchronized: () => clock.synced(),
      })
      cleanups.push(() => agent.stop({ drainMs: 0 }))
      return agent
    }
    const send = async (agent: Agent, stream: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) expect(await agent.submit({ stream, value: i })).toBe(1)
    }

    // Boot 1: 1970 until NTP arrives.
    let clock = new RtclessClock()
    let agent = await boot(clock)
    await send(agent, 'boot1-unsynced', 3)
    clock.sync()
    await send(agent, 'boot1-synced', 3)
    const syncedAt = Date.now()
    await until(() => reader.records.length === 6, 'the first boot’s 6 records')
    await agent.stop()

    // Boot 2 (a clean restart on the same state folder): back to 1970.
    clock = new RtclessClock()
    agent = await boot(clock)
    expect(clock.now()).toBeLessThan(DAY)
    await send(agent, 'boot2-unsynced', 3)
    clock.sync()
    await send(agent, 'boot2-synced', 3)
    await until(() => reader.records.length === 12, 'all 12 records')
    await agent.stop()
    await taking

    const records = [...reader.records].sort((a, b) => a.seq - b.seq)
    const by = (stream: string) => records.filter((r) => r.stream === stream)
    // Before the first sync: flag 1, times counted from 1970 at power-up.
    for (const r of by('boot1-unsynced')) {
      expect(r.clock).toBe(1)
      expect(r.time).toBeLessThan(DAY)
    }
    for (const r of by('boot1-synced')) {
      expect(r.clock).toBe(0)
      expect(Math.abs(r.time - syncedAt)).toBeLessThan(60_000)
    }
    // After the reboot, before the sync: the wall clock says 1970, the floor says otherwise:
    // stamped at the floor (the last time of boot 1), flagged 1.
    const lastOfBoot1 = by('boot1-synced').at(-1)!.time
    for (const r of by('boot2-unsynced')) {
      expect(r.clock).toBe(1)
      expect(r.time).toBe(lastOfBoot1)
    }
    for (const r of by('boot2-synced')) expect(r.clock).toBe(0)
    // Never backwards, in sequence order across both boots.
    expect(records.map((r) => r.stream)).toEqual([
      ...Array<string>(3).fill('boot1-unsynced'),
      ...Array<string>(3).fill('boot1-synced'),
      ...Array<string>(3).fill('boot2-unsynced'),
      ...Array<string>(3).fill('boot2-synced'),
    ])
    for (let i = 1; i < records.length; i++) {
      expect(records[i]!.time, `record ${i}`).toBeGreaterThanOrEqual(records[i - 1]!.time)
    }
  }, 30_000)
})
