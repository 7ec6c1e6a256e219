/**
 * Against the in-process aedes broker (MQTT 3.1.1): 2,000 messages in two epochs while the broker
 * is stopped and started again (a new aedes on the same port, nothing retained) twice mid-run.
 * Every message reaches the subscriber (duplicates allowed, 2,000 distinct), the outbox ends
 * empty, and on every connection each epoch's announcement (retained, same bytes) precedes that
 * epoch's first data message.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  MemoryOutboxSource,
  MqttPublisher,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import { AedesHarness } from './_aedes.ts'
import type { SeenPublish } from './_aedes.ts'
import {
  DEVICE,
  announcementOf,
  dataOf,
  idOf,
  settle,
  topicsOf,
  until,
  uniquePrefix,
} from './_fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** For each connection: every data message's epoch was announced earlier on that connection. */
function announcedFirst(seen: readonly SeenPublish[], keyTopic: string): string[] {
  const problems: string[] = []
  const announced = new Map<number, Set<string>>()
  for (const p of seen) {
    const set = announced.get(p.conn) ?? new Set<string>()
    announced.set(p.conn, set)
    if (p.topic === keyTopic) {
      if (!p.retain) problems.push(`connection ${p.conn}: announcement not retained`)
      set.add(p.payload.toString())
      continue
    }
    const epoch = Math.floor(idOf(p.payload)! / 1_000) + 1
    if (!set.has(`announcement of epoch ${epoch}`)) {
      problems.push(`connection ${p.conn}: data of epoch ${epoch} before its announcement`)
    }
  }
  return problems
}

describe('broker stopped and restarted mid-run (aedes, MQTT 3.1.1)', () => {
  it('delivers all 2,000 messages and empties the outbox', async () => {
    const broker = new AedesHarness()
    await broker.start()
    cleanups.push(() => broker.close())
    const prefix = uniquePrefix()
    const topics = topicsOf(prefix)
    const received = new Set<number>()
    let deliveries = 0
    broker.subscribe(topics.data, (p) => {
      deliveries++
      received.add(idOf(Buffer.from(p.payload))!)
    })

    const source = new MemoryOutboxSource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 1_000; i++) source.append(dataOf(prefix, 1, i))

    const settings = await loadBrokerSettings({
      url: broker.url,
      clientId: DEVICE,
      protocolVersion: 4,
      topics: [topics.data, topics.key],
    })
    const publisher = new MqttPublisher(source, settings, {
      windowSize: 64,
      backoff: { initialMs: 10, maxMs: 50, stableMs: 5_000 },
    })
    publisher.start()
    cleanups.push(() => publisher.stop({ drainMs: 0 }))

    await until(() => received.size >= 300, '300 messages')
    await broker.stop()
    await settle(50)
    await broker.start()

    // The second epoch arrives while the publisher recovers.
    source.append(announcementOf(prefix, 2))
    for (let i = 1_000; i < 2_000; i++) source.append(dataOf(prefix, 2, i))

    await until(() => received.size >= 1_300, '1,300 messages')
    await broker.stop()
    await settle(50)
    await broker.start()

    await until(
      () => received.size === 2_000 && source.size === 0,
      () =>
        `all 2,000 and an empty outbox: ${received.size} received, ${source.size} queued, ` +
        JSON.stringify(publisher.stats()),
    )
    expect(received.size).toBe(2_000)
    expect(deliveries).toBeGreaterThanOrEqual(2_000)
    expect(source.size).toBe(0)
    const stats = publisher.stats()
    expect(stats.connections).toBeGreaterThanOrEqual(3)
    expect(stats.reconnects).toBeGreaterThanOrEqual(2)
    expect(broker.connections).toBe(stats.connections)
    expect(announcedFirst(broker.seen, topics.key)).toEqual([])
  })
})
