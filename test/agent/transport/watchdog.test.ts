/**
 * The watchdog and the reconnect backoff on an injected clock: a broker that accepts PUBLISH and
 * never sends PUBACK is left after exactly `watchdogMs` of no progress; an idle connection is
 * never reconnected; reconnect delays follow full jitter and reset after a stable connection.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, fullJitterDelay } from '../../../platform/src/index.ts'
import {
  MemoryOutboxSource,
  MqttPublisher,
  TransportError,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import { ProgressWatchdog } from '../../../agent/src/transport/progress_watchdog.ts'
import { ReconnectBackoff } from '../../../agent/src/transport/reconnect_backoff.ts'
import type { TransportEventMap } from '../../../agent/src/transport/index.ts'
import { DEVICE, announcementOf, dataOf, settle, until, uniquePrefix } from './_fixtures.ts'
import { StubBroker } from './_stub_broker.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('ProgressWatchdog', () => {
  it('fires once after timeoutMs without progress while busy, never while idle', async () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const dog = new ProgressWatchdog(clock, 1_000, (ms) => fired.push(ms))
    clock.advance(5_000)
    await settle(0)
    expect(fired).toEqual([])
    dog.busy()
    clock.advance(600)
    dog.progress()
    clock.advance(600)
    await settle(0)
    expect(fired).toEqual([])
    clock.advance(399)
    await settle(0)
    expect(fired).toEqual([])
    clock.advance(1)
    await settle(0)
    expect(fired).toEqual([1_000])
    dog.busy()
    clock.advance(5_000)
    await settle(0)
    expect(fired).toHaveLength(1)
  })

  it('does not fire after idle() or stop()', async () => {
    const clock = new ManualClock()
    let fired = 0
    const dog = new ProgressWatchdog(clock, 100, () => fired++)
    dog.busy()
    dog.idle()
    clock.advance(1_000)
    await settle(0)
    dog.busy()
    dog.stop()
    clock.advance(1_000)
    await settle(0)
    expect(fired).toBe(0)
    expect(clock.pending).toBe(0)
  })
})

describe('ReconnectBackoff', () => {
  it('draws full-jitter delays that double up to maxMs and reset after a stable connection', () => {
    const bounds = { initialMs: 100, maxMs: 1_000, stableMs: 5_000 }
    const b = new ReconnectBackoff(bounds, () => 0.5)
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      50, 100, 200, 400, 500, 500,
    ])
    b.connectionEnded(4_999)
    expect(b.next()).toBe(500)
    b.connectionEnded(5_000)
    expect(b.attempt).toBe(0)
    expect(b.next()).toBe(50)
  })

  it('spreads delays over [0, cap): the random source decides', () => {
    const bounds = { initialMs: 100, maxMs: 1_000, stableMs: 5_000 }
    expect(new ReconnectBackoff(bounds, () => 0).next()).toBe(0)
    expect(new ReconnectBackoff(bounds, () => 0.999).next()).toBe(99)
  })
})

describe('watchdog on a broker that never sends PUBACK', () => {
  it('reconnects after watchdogMs with messages in flight, and resends them', async () => {
    const stub = await StubBroker.start('never')
    cleanups.push(() => stub.close())
    const clock = new ManualClock(1_700_000_000_000)
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 10; i++) source.append(dataOf(prefix, 1, i))
    const settings = await loadBrokerSettings({ url: stub.url, clientId: DEVICE })
    const p = new MqttPublisher(source, settings, {
      windowSize: 4,
      watchdogMs: 1_000,
      clock,
      random: () => 0.5,
      backoff: { initialMs: 200, maxMs: 1_000, stableMs: 10_000 },
    })
    const watchdog: TransportEventMap['watchdog'][] = []
    const reconnects: TransportEventMap['reconnect'][] = []
    p.on('watchdog', (e) => watchdog.push(e))
    p.on('reconnect', (e) => reconnects.push(e))
    p.start()
    cleanups.push(() => p.stop({ drainMs: 0 }))

    // The announcement is in flight and never acknowledged.
    await until(() => stub.publishes.length === 1, 'the announcement')
    clock.advance(999)
    await settle()
    expect(watchdog).toEqual([])
    expect(p.stats().state).toBe('connected')

    clock.advance(1)
    await until(() => reconnects.length === 1, 'the watchdog reconnect')
    expect(watchdog).toEqual([{ inFlight: 1, stalledMs: 1_000 }])
    expect(reconnects[0]).toMatchObject({ attempt: 1, delayMs: 100 })
    expect(reconnects[0]!.reason.code).toBe('ERR_TRANSPORT_WATCHDOG')
    await until(() => stub.open === 0, 'the stalled connection closed')

    // Backoff sleeps on the injected clock: nothing happens until it moves.
    await settle()
    expect(stub.connections).toBe(1)
    clock.advance(100)
    await until(() => stub.publishes.length === 2, 'the announcement sent again')
    expect(stub.connections).toBe(2)
    expect(source.size).toBe(11)

    // Second stall: the attempt count was not reset (the connection was not stable).
    clock.advance(1_000)
    await until(() => reconnects.length === 2, 'the second watchdog reconnect')
    expect(reconnects[1]).toMatchObject({ attempt: 2, delayMs: 200 })
    expect(p.stats()).toMatchObject({ watchdogFirings: 2, reconnects: 2, connections: 2 })
  })

  it('never fires on an idle connection', async () => {
    const stub = await StubBroker.start('never')
    cleanups.push(() => stub.close())
    const clock = new ManualClock()
    const source = new MemoryOutboxSource()
    const settings = await loadBrokerSettings({ url: stub.url, clientId: DEVICE })
    const p = new MqttPublisher(source, settings, { watchdogMs: 1_000, clock })
    p.start()
    cleanups.push(() => p.stop({ drainMs: 0 }))
    await until(() => p.stats().state === 'connected', 'connected')
    clock.advance(60_000)
    await settle()
    expect(p.stats()).toMatchObject({ state: 'connected', watchdogFirings: 0, reconnects: 0 })
  })
})

describe('reconnect backoff against a port where nothing listens', () => {
  it('retries with full-jitter delays drawn from the injected random source', async () => {
    const stub = await StubBroker.start()
    const url = stub.url
    await stub.close()
    const clock = new ManualClock()
    const settings = await loadBrokerSettings({ url, clientId: DEVICE })
    const bounds = { initialMs: 100, maxMs: 400, stableMs: 1_000 }
    const p = new MqttPublisher(new MemoryOutboxSource(), settings, {
      clock,
      random: () => 0.75,
      backoff: bounds,
    })
    const reconnects: TransportEventMap['reconnect'][] = []
    p.on('reconnect', (e) => reconnects.push(e))
    p.start()
    cleanups.push(() => p.stop({ drainMs: 0 }))
    for (let attempt = 0; attempt < 5; attempt++) {
      await until(() => reconnects.length === attempt + 1, `attempt ${attempt + 1}`)
      expect(reconnects[attempt]!.delayMs).toBe(fullJitterDelay(attempt, bounds, () => 0.75))
      expect(reconnects[attempt]!.reason.code).toBe('ERR_TRANSPORT_CONNECT')
      clock.advance(reconnects[attempt]!.delayMs)
    }
    expect(reconnects.map((r) => r.delayMs)).toEqual([75, 150, 300, 300, 300])
    expect(p.stats().lastError?.message).toMatch(/ECONNREFUSED|connect/)
  })

  it('stop() interrupts a backoff sleep', async () => {
    const stub = await StubBroker.start()
    const url = stub.url
    await stub.close()
    const clock = new ManualClock()
    const settings = await loadBrokerSettings({ url, clientId: DEVICE })
    const p = new MqttPublisher(new MemoryOutboxSource(), settings, {
      clock,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    })
    p.start()
    await until(() => p.stats().state === 'waiting', 'a backoff wait')
    await p.stop()
    expect(p.stats().state).toBe('stopped')
    expect(clock.pending).toBe(0)
  })
})

it('TransportError carries code, setting and reason code', () => {
  const e = new TransportError('ERR_TRANSPORT_PUBLISH_REFUSED', 'no', { reasonCode: 0x87 })
  expect(e).toMatchObject({ code: 'ERR_TRANSPORT_PUBLISH_REFUSED', reasonCode: 135 })
  expect(e.name).toBe('TransportError')
})
