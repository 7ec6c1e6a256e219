/**
 * The sliding in-flight window against a stub broker that holds PUBACKs: the window fills, each
 * PUBACK lets exactly one more message out (never lock-step batches), a message leaves the
 * outbox only on its PUBACK, and a connection lost before the PUBACK means the message is sent
 * again after the reconnect.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  MemoryOutboxSource,
  MqttPublisher,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import type { PublisherOptions } from '../../../agent/src/transport/index.ts'
import { DEVICE, announcementOf, dataOf, idOf, settle, until, uniquePrefix } from './_fixtures.ts'
import { StubBroker } from './_stub_broker.ts'

let stub: StubBroker
let publisher: MqttPublisher | undefined

beforeEach(async () => {
  stub = await StubBroker.start('hold')
})

afterEach(async () => {
  stub.release()
  await publisher?.stop({ drainMs: 0 })
  publisher = undefined
  await stub.close()
})

async function startPublisher(
  source: MemoryOutboxSource,
  options: PublisherOptions,
  protocolVersion = 5,
): Promise<MqttPublisher> {
  const settings = await loadBrokerSettings({ url: stub.url, clientId: DEVICE, protocolVersion })
  publisher = new MqttPublisher(source, settings, {
    backoff: { initialMs: 5, maxMs: 20, stableMs: 1_000 },
    ...options,
  })
  publisher.start()
  return publisher
}

function dataIds(): number[] {
  return stub.publishes.filter((p) => !p.retain).map((p) => idOf(p.payload)!)
}

describe('sliding window', () => {
  it('keeps exactly `windowSize` messages in flight and sends one more per PUBACK', async () => {
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 40; i++) source.append(dataOf(prefix, 1, i))
    const p = await startPublisher(source, { windowSize: 8 })

    // The announcement goes first, alone: data of its epoch waits for its PUBACK.
    await until(() => stub.held.length === 1, 'the announcement')
    await settle()
    expect(stub.publishes).toHaveLength(1)
    expect(stub.publishes[0]!.retain).toBe(true)
    stub.release(1)

    await until(() => stub.held.length === 8, '8 in flight')
    await settle()
    expect(stub.held).toHaveLength(8)
    expect(p.stats().inFlight).toBe(8)
    expect(source.size).toBe(40)

    // Sliding: every single PUBACK lets exactly one new message out, while 7 stay in flight.
    for (let k = 1; k <= 10; k++) {
      stub.release(1)
      await until(() => dataIds().length === 8 + k, `message ${8 + k}`)
      await settle(5)
      expect(dataIds()).toHaveLength(8 + k)
      expect(stub.held).toHaveLength(8)
    }
    expect(dataIds()).toEqual([...Array(18).keys()])

    // A message leaves the outbox on its PUBACK, not on sending.
    await until(() => source.size === 41 - 11, 'acks of the announcement and 10 messages')
    expect(source.snapshot()[0]!.seq).toBe(12)

    for (;;) {
      stub.release()
      if (source.size === 0) break
      await settle(2)
    }
    expect(dataIds()).toEqual([...Array(40).keys()])
    expect(p.stats()).toMatchObject({ published: 41, acknowledged: 41, reconnects: 0 })
  })

  it('publishes appended messages as they arrive (onAppend)', async () => {
    stub.mode = 'ack'
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    await startPublisher(source, { windowSize: 4 })
    await until(() => stub.connections === 1, 'a connection')
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 10; i++) source.append(dataOf(prefix, 1, i))
    await until(() => source.size === 0, 'an empty outbox')
    source.append(dataOf(prefix, 1, 10))
    await until(() => source.size === 0 && dataIds().length === 11, 'the late message')
    expect(dataIds()).toEqual([...Array(11).keys()])
  })

  it('honours a window smaller than the batch read from the outbox (3.1.1 too)', async () => {
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.setAnnouncement({ ...announcementOf(prefix, 1) })
    for (let i = 0; i < 30; i++) source.append(dataOf(prefix, 1, i))
    await startPublisher(source, { windowSize: 3 }, 4)
    await until(() => stub.held.length === 1, 'the re-announcement')
    stub.release(1)
    await until(() => stub.held.length === 3, '3 in flight')
    await settle()
    expect(stub.held).toHaveLength(3)
  })
})

describe('MQTT 5 Receive Maximum', () => {
  it("lowers the window to the broker's Receive Maximum", async () => {
    stub.receiveMaximum = 5
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.setAnnouncement(announcementOf(prefix, 1))
    for (let i = 0; i < 30; i++) source.append(dataOf(prefix, 1, i))
    const p = await startPublisher(source, { windowSize: 64 })
    await until(() => stub.held.length === 1, 'the re-announcement')
    stub.release(1)
    await until(() => stub.held.length === 5, '5 in flight')
    await settle()
    expect(stub.held).toHaveLength(5)
    expect(p.stats().window).toBe(5)
  })
})

describe('acknowledgement only on PUBACK', () => {
  it('re-sends what was in flight when the connection drops before the PUBACK', async () => {
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 20; i++) source.append(dataOf(prefix, 1, i))
    const p = await startPublisher(source, { windowSize: 8 })
    await until(() => stub.held.length === 1, 'the announcement')
    stub.release(1)
    await until(() => stub.held.length === 8, '8 in flight')
    await settle()
    // Nothing was acknowledged but the announcement.
    expect(source.size).toBe(20)

    stub.mode = 'ack'
    stub.dropAll()
    await until(() => source.size === 0, 'an empty outbox after the reconnect')
    const ids = dataIds()
    expect(new Set(ids).size).toBe(20)
    // The first 8 went twice (once on each connection); nothing was lost.
    expect(ids.slice(0, 8)).toEqual([...Array(8).keys()])
    expect(ids.slice(8)).toEqual([...Array(20).keys()])
    expect(stub.connections).toBe(2)
    // The second connection announced the epoch again, retained, before its first data.
    const second = stub.publishes.filter((x) => x.conn === 2)
    expect(second[0]!.retain).toBe(true)
    expect(p.stats().reconnects).toBe(1)
    expect(p.stats().lastError?.code).toBe('ERR_TRANSPORT_CONNECTION_LOST')
  })

  it('keeps a message refused by an MQTT 5 PUBACK reason code, reconnects and sends it again', async () => {
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1), dataOf(prefix, 1, 0))
    stub.mode = 'refuse'
    const errors: (number | undefined)[] = []
    const p = await startPublisher(source, { windowSize: 8 })
    p.on('error', (e) => errors.push(e.reasonCode))
    await until(() => stub.connections >= 2, 'a reconnect after the refusal')
    expect(source.size).toBe(2)
    expect(errors).toContain(0x87)
    expect(p.stats().refused).toBeGreaterThanOrEqual(1)
    stub.mode = 'ack'
    await until(() => source.size === 0, 'an empty outbox')
  })
})

describe('stop', () => {
  it('stops taking messages, waits for in-flight PUBACKs, then closes', async () => {
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 20; i++) source.append(dataOf(prefix, 1, i))
    const p = await startPublisher(source, { windowSize: 4 })
    await until(() => stub.held.length === 1, 'the announcement')
    stub.release(1)
    await until(() => stub.held.length === 4, '4 in flight')
    const stopped = p.stop({ drainMs: 5_000 })
    await settle()
    expect(p.stats().state).toBe('stopping')
    stub.release()
    await stopped
    expect(p.stats().state).toBe('stopped')
    expect(dataIds()).toHaveLength(4)
    expect(source.size).toBe(16)
    await until(() => stub.open === 0, 'the connection closed')
  })

  it('gives up on PUBACKs after drainMs and leaves those messages queued', async () => {
    const prefix = uniquePrefix()
    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 20; i++) source.append(dataOf(prefix, 1, i))
    const p = await startPublisher(source, { windowSize: 4 })
    await until(() => stub.held.length === 1, 'the announcement')
    stub.release(1)
    await until(() => stub.held.length === 4, '4 in flight')
    await p.stop({ drainMs: 30 })
    expect(p.stats().state).toBe('stopped')
    expect(source.size).toBe(20)
  })
})
