/**
 * The subscriber on a real Mosquitto (MQTT 5, a broker of the test's own):
 *
 * - two instances of one share group split the data (each message to exactly one), while every
 *   instance gets every key announcement, the retained ones at subscribe time, before data;
 * - a message is acknowledged only once it is handled: with a stable client id, what an instance
 *   had not finished when it went away (and everything after it, acknowledged in order) comes
 *   back to the instance that resumes the session;
 * - the ordered acknowledgements keep up to `receiveMaximum` messages in flight at once.
 */
import mqtt from 'mqtt'
import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { InboundMessage, Outcome } from '../../../consumer/src/pipeline/pipeline.ts'
import { MqttSubscriber } from '../../../consumer/src/transport/mqtt_subscriber.ts'
import type { SubscriberOptions } from '../../../consumer/src/transport/mqtt_subscriber.ts'
import { mosquittoBinary, OwnMosquitto } from '../../agent/chaos/_mosquitto.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { quietLogger, uniquePrefix, until } from '../_helpers.ts'

let broker: OwnMosquitto

beforeAll(async () => {
  const binary = mosquittoBinary()
  if (binary === undefined)
    throw new Error('mosquitto is not installed (apt-get install mosquitto)')
  broker = new OwnMosquitto(binary, await tempDir('sealwire-consumer-mosquitto-'))
  await broker.start()
})

afterAll(async () => {
  await broker?.kill9()
  await cleanupTempDirs()
})

const subs: MqttSubscriber[] = []

afterEach(async () => {
  while (subs.length > 0)
    await subs
      .pop()!
      .stop(async () => undefined)
      .catch(() => undefined)
})

async function subscriber(
  prefix: string,
  handle: (m: InboundMessage) => Promise<Outcome>,
  over: Partial<SubscriberOptions> = {},
): Promise<MqttSubscriber> {
  const { log } = quietLogger()
  const sub = await MqttSubscriber.start({
    url: broker.url,
    protocolVersion: 'auto',
    sessionExpirySec: 60,
    keepaliveSec: 30,
    connectTimeoutMs: 5_000,
    topicPrefix: prefix,
    shareGroup: `g-${randomBytes(4).toString('hex')}`,
    receiveMaximum: 100,
    settleMs: 100,
    maxSettleMs: 2_000,
    handle,
    onFatal: (err) => {
      throw err
    },
    log,
    ...over,
  })
  subs.push(sub)
  return sub
}

const DONE: Outcome = { kind: 'delivered', readings: 1 }

describe('MqttSubscriber on Mosquitto', () => {
  it('splits data across a share group and gives every instance every (retained) announcement first', async () => {
    const prefix = uniquePrefix()
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
    for (let d = 0; d < 3; d++) {
      await pub.publishAsync(`${prefix}/dev-${d}/key`, `key-${d}`, { qos: 1, retain: true })
    }
    const seen: { a: string[]; b: string[] } = { a: [], b: [] }
    const group = `g-${randomBytes(4).toString('hex')}`
    const a = await subscriber(
      prefix,
      async (m) => (seen.a.push(Buffer.from(m.payload).toString()), DONE),
      { shareGroup: group },
    )
    const b = await subscriber(
      prefix,
      async (m) => (seen.b.push(Buffer.from(m.payload).toString()), DONE),
      { shareGroup: group },
    )
    expect(b.info.dataFilter).toBe(a.info.dataFilter)
    expect(a.info).toMatchObject({
      protocolVersion: 5,
      shared: true,
      ackMode: 'ordered',
      dataFilter: `$share/${group}/${prefix}/+/data`,
    })
    // Retained announcements arrived before data was even subscribed.
    expect(seen.a.slice(0, 3).sort()).toEqual(['key-0', 'key-1', 'key-2'])
    expect(seen.b.slice(0, 3).sort()).toEqual(['key-0', 'key-1', 'key-2'])
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        pub.publishAsync(`${prefix}/dev-${i % 3}/data`, `data-${i}`, { qos: 1 }),
      ),
    )
    await pub.publishAsync(`${prefix}/dev-9/key`, 'key-9', { qos: 1, retain: true })
    await until(() => seen.a.length + seen.b.length >= 200 + 8, 'every message')
    const dataA = seen.a.filter((p) => p.startsWith('data-'))
    const dataB = seen.b.filter((p) => p.startsWith('data-'))
    expect(dataA.length + dataB.length).toBe(200)
    expect(new Set([...dataA, ...dataB]).size).toBe(200)
    expect(dataA.length).toBeGreaterThan(0)
    expect(dataB.length).toBeGreaterThan(0)
    expect(seen.a.filter((p) => p.startsWith('key-'))).toHaveLength(4)
    expect(seen.b.filter((p) => p.startsWith('key-'))).toHaveLength(4)
    // Clean up the retained messages.
    for (const d of [0, 1, 2, 9])
      await pub.publishAsync(`${prefix}/dev-${d}/key`, '', { qos: 1, retain: true })
    await pub.endAsync()
  })

  it('acknowledges only what was handled: the rest comes back to the instance that resumes the session', async () => {
    const prefix = uniquePrefix()
    const clientId = `c-${randomBytes(4).toString('hex')}`
    const group = `g-${randomBytes(4).toString('hex')}`
    const first: string[] = []
    let release: ((o: Outcome) => void) | undefined
    const a = await subscriber(
      prefix,
      (m) => {
        const p = Buffer.from(m.payload).toString()
        first.push(p)
        // Message 3 never finishes on this instance (its consumer is about to stop).
        if (p === 'm3') return new Promise<Outcome>((resolve) => (release = resolve))
        return Promise.resolve(DONE)
      },
      { clientId, shareGroup: group },
    )
    expect(a.info.clientId).toBe(clientId)
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
    for (let i = 1; i <= 10; i++)
      await pub.publishAsync(`${prefix}/dev-1/data`, `m${i}`, { qos: 1 })
    await until(() => first.length === 10, 'all ten on the first instance')
    subs.splice(subs.indexOf(a), 1)
    await a.stop(async () => undefined) // m3 still in flight: neither it nor m4..m10 acknowledged
    release!({ kind: 'stopped' })
    const second: string[] = []
    await subscriber(prefix, async (m) => (second.push(Buffer.from(m.payload).toString()), DONE), {
      clientId,
      shareGroup: group,
    })
    await until(() => second.length >= 8, 'the unacknowledged messages again')
    expect(second.slice(0, 8)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10'])
    await new Promise((r) => setTimeout(r, 300))
    expect(second).toHaveLength(8)
    await pub.endAsync()
  })

  it('handles up to receiveMaximum messages at once, acknowledging as they finish', async () => {
    const prefix = uniquePrefix()
    let inFlight = 0
    let most = 0
    const finish: (() => void)[] = []
    let handled = 0
    await subscriber(
      prefix,
      () => {
        inFlight++
        most = Math.max(most, inFlight)
        return new Promise<Outcome>((resolve) =>
          finish.push(() => {
            inFlight--
            handled++
            resolve(DONE)
          }),
        )
      },
      { receiveMaximum: 20 },
    )
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
    const published = Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        pub.publishAsync(`${prefix}/dev-${i % 7}/data`, `x${i}`, { qos: 1 }),
      ),
    )
    await until(() => finish.length >= 20, 'a full window')
    await new Promise((r) => setTimeout(r, 200))
    expect(inFlight).toBeLessThanOrEqual(21)
    expect(most).toBeGreaterThanOrEqual(20)
    const drainer = setInterval(() => finish.splice(0).forEach((f) => f()), 5)
    await until(() => handled === 100, 'all handled')
    clearInterval(drainer)
    await published
    await pub.endAsync()
  })

  it('reconnects and subscribes again after the broker restarts (no persistence: a new session)', async () => {
    const prefix = uniquePrefix()
    const got: string[] = []
    await subscriber(prefix, async (m) => (got.push(Buffer.from(m.payload).toString()), DONE), {
      clientId: `c-${randomBytes(4).toString('hex')}`,
    })
    const send = async (text: string): Promise<void> => {
      const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
      await pub.publishAsync(`${prefix}/dev-1/data`, text, { qos: 1 })
      await pub.endAsync()
    }
    await send('before')
    await until(() => got.includes('before'), 'the first message')
    await broker.kill9()
    await broker.start()
    // The subscriber reconnects (1 s period) and subscribes again; publish until one gets through.
    await until(
      async () => {
        await send('after').catch(() => undefined)
        return got.includes('after')
      },
      'a message after the restart',
      20_000,
    )
  })
})
