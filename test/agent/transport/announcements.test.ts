/**
 * Key announcements against aedes (MQTT 3.1.1): published retained on the key topic, data
 * without retain; on every new connection an epoch's announcement (same bytes) goes out, and is
 * acknowledged, before that epoch's first data message; a subscriber that comes later gets the
 * retained announcement.
 */
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import {
  MemoryOutboxSource,
  MqttPublisher,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import type { TransportErrorInfo } from '../../../agent/src/transport/index.ts'
import { AedesHarness } from './_aedes.ts'
import {
  DEVICE,
  announcementOf,
  dataOf,
  epochId,
  idOf,
  topicsOf,
  until,
  uniquePrefix,
} from './_fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(windowSize = 16) {
  const broker = new AedesHarness()
  await broker.start()
  cleanups.push(() => broker.close())
  const prefix = uniquePrefix()
  const topics = topicsOf(prefix)
  const source = new MemoryOutboxSource()
  const settings = await loadBrokerSettings({
    url: broker.url,
    clientId: DEVICE,
    protocolVersion: 4,
  })
  const publisher = new MqttPublisher(source, settings, {
    windowSize,
    backoff: { initialMs: 5, maxMs: 20, stableMs: 5_000 },
  })
  const errors: TransportErrorInfo[] = []
  publisher.on('error', (e) => errors.push(e))
  cleanups.push(() => publisher.stop({ drainMs: 0 }))
  return { broker, prefix, topics, source, publisher, errors }
}

/** Subscribes a fresh 3.1.1 client to `topic` and returns the first message with its flags. */
async function lateSubscriber(url: string, topic: string) {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: `late-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
  })
  try {
    const first = new Promise<{ payload: Buffer; retain: boolean }>((resolve) =>
      client.once('message', (_t, payload, packet) => resolve({ payload, retain: packet.retain })),
    )
    await client.subscribeAsync(topic, { qos: 1 })
    return await first
  } finally {
    await client.endAsync(true)
  }
}

describe('key announcements', () => {
  it('re-publishes the announcement, retained and unchanged, first on every new connection', async () => {
    const { broker, prefix, topics, source, publisher } = await setup()
    const announcement = source.append(announcementOf(prefix, 7))[0]!
    for (let i = 0; i < 50; i++) source.append(dataOf(prefix, 7, i))
    publisher.start()
    await until(() => source.size === 0, 'the first 50')

    for (let round = 1; round <= 2; round++) {
      broker.dropClients()
      await until(() => publisher.stats().connections === round + 1, `connection ${round + 1}`)
      for (let i = 0; i < 10; i++) source.append(dataOf(prefix, 7, 50 * round + i))
      await until(() => source.size === 0, `round ${round}`)
    }

    for (const conn of [1, 2, 3]) {
      const mine = broker.seen.filter((p) => p.conn === conn)
      expect(mine[0], `connection ${conn}`).toMatchObject({ topic: topics.key, retain: true })
      expect(Buffer.compare(mine[0]!.payload, Buffer.from(announcement.payload))).toBe(0)
      expect(mine.slice(1).every((p) => p.topic === topics.data && !p.retain)).toBe(true)
    }
    expect(publisher.stats().announcements).toBe(3)

    const late = await lateSubscriber(broker.url, topics.key)
    expect(late.retain).toBe(true)
    expect(Buffer.compare(late.payload, Buffer.from(announcement.payload))).toBe(0)
  })

  it('fetches the announcement of an epoch that is not queued, before its first data', async () => {
    const { broker, prefix, topics, source, publisher } = await setup()
    source.setAnnouncement(announcementOf(prefix, 1))
    source.setAnnouncement(announcementOf(prefix, 2))
    for (let i = 0; i < 5; i++) source.append(dataOf(prefix, 1, i))
    for (let i = 5; i < 10; i++) source.append(dataOf(prefix, 2, i))
    publisher.start()
    await until(() => source.size === 0, 'an empty outbox')
    const order = broker.seen.map((p) =>
      p.topic === topics.key ? p.payload.toString() : idOf(p.payload),
    )
    expect(order).toEqual([
      'announcement of epoch 1',
      0,
      1,
      2,
      3,
      4,
      'announcement of epoch 2',
      5,
      6,
      7,
      8,
      9,
    ])
  })

  it('sends data without an announcement the outbox lost, and reports it', async () => {
    const { broker, prefix, topics, source, publisher, errors } = await setup()
    for (let i = 0; i < 3; i++) source.append(dataOf(prefix, 3, i))
    source.forgetAnnouncement(epochId(3))
    publisher.start()
    await until(() => source.size === 0, 'an empty outbox')
    expect(broker.seen.map((p) => p.topic)).toEqual([topics.data, topics.data, topics.data])
    expect(errors.map((e) => e.code)).toEqual(['ERR_TRANSPORT_SOURCE'])
    expect(errors[0]!.message).toMatch(/no announcement/)
  })

  it('drops a queued message over a limit, counted, and goes on', async () => {
    const { broker, prefix, source, publisher, errors } = await setup()
    source.append(announcementOf(prefix, 1), dataOf(prefix, 1, 0))
    source.append({ ...dataOf(prefix, 1, 1), topic: `${prefix}/+/data` })
    source.append(dataOf(prefix, 1, 2, 128 * 1024 + 1), dataOf(prefix, 1, 3))
    const dropped: number[] = []
    publisher.on('dropped', (e) => dropped.push(e.seq))
    publisher.start()
    await until(() => source.size === 0, 'an empty outbox')
    expect(dropped).toEqual([3, 4])
    expect(errors.map((e) => e.code)).toEqual([
      'ERR_TRANSPORT_MESSAGE_INVALID',
      'ERR_TRANSPORT_MESSAGE_INVALID',
    ])
    expect(errors.every((e) => !e.message.includes('m:'))).toBe(true)
    expect(broker.seen.map((p) => idOf(p.payload) ?? 'a')).toEqual(['a', 0, 3])
    expect(publisher.stats().dropped).toBe(2)
  })
})
