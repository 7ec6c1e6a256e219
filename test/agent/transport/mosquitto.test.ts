/**
 * MQTT 5 against the Mosquitto of the machine (127.0.0.1:1883), when it answers (CI has it),
 * under a unique topic prefix: every message arrives, data without retain, the announcement
 * retained for a subscriber that comes later. The retained announcement is cleared afterwards.
 */
import { skipWithout } from '../../helpers/index.ts'
import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import {
  MemoryOutboxSource,
  MqttPublisher,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import {
  announcementOf,
  dataOf,
  idOf,
  mosquittoAnswers,
  topicsOf,
  until,
  uniquePrefix,
} from './_fixtures.ts'

const MOSQUITTO = 'mqtt://127.0.0.1:1883'
const up = await mosquittoAnswers()
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function client(id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(MOSQUITTO, {
    protocolVersion: 5,
    clientId: id,
    reconnectPeriod: 0,
  })
  cleanups.push(() => c.endAsync(true))
  return c
}

describe.skipIf(skipWithout(up, 'Mosquitto answering on 127.0.0.1:1883'))(
  'MQTT 5 against Mosquitto at 127.0.0.1:1883',
  () => {
    it('delivers every message and retains the announcement', async () => {
      const prefix = uniquePrefix()
      const topics = topicsOf(prefix)
      const device = `dev-${prefix.slice(-12)}`
      cleanups.push(async () => {
        // Mosquitto keeps retained messages across restarts: clear ours.
        const c = await client(`${device}-clean`)
        await c.publishAsync(topics.key, Buffer.alloc(0), { qos: 1, retain: true })
      })

      const sub = await client(`${device}-sub`)
      const received = new Set<number>()
      const flags: boolean[] = []
      sub.on('message', (topic, payload, packet) => {
        if (topic !== topics.data) return
        received.add(idOf(payload)!)
        flags.push(packet.retain)
      })
      await sub.subscribeAsync(topics.data, { qos: 1 })

      const source = new MemoryOutboxSource()
      const announcement = source.append(announcementOf(prefix, 1))[0]!
      for (let i = 0; i < 1_000; i++) source.append(dataOf(prefix, 1, i))
      const settings = await loadBrokerSettings({
        url: MOSQUITTO,
        clientId: device,
        topics: [topics.data, topics.key],
      })
      expect(settings.protocolVersion).toBe(5)
      const publisher = new MqttPublisher(source, settings, { windowSize: 64 })
      publisher.start()
      cleanups.push(() => publisher.stop({ drainMs: 0 }))

      await until(() => received.size === 1_000 && source.size === 0, 'all 1,000 delivered')
      expect(flags.every((r) => !r)).toBe(true)
      expect(publisher.stats()).toMatchObject({ state: 'connected', reconnects: 0, refused: 0 })

      const late = await client(`${device}-late`)
      const first = new Promise<{ payload: Buffer; retain: boolean }>((resolve) =>
        late.once('message', (_t, payload, packet) => resolve({ payload, retain: packet.retain })),
      )
      await late.subscribeAsync(topics.key, { qos: 1 })
      const got = await first
      expect(got.retain).toBe(true)
      expect(Buffer.compare(got.payload, Buffer.from(announcement.payload))).toBe(0)
    })

    it('re-sends after the broker takes the session over (same client id), losing nothing', async () => {
      const prefix = uniquePrefix()
      const topics = topicsOf(prefix)
      const device = `dev-${prefix.slice(-12)}`
      cleanups.push(async () => {
        const c = await client(`${device}-clean`)
        await c.publishAsync(topics.key, Buffer.alloc(0), { qos: 1, retain: true })
      })
      const sub = await client(`${device}-sub`)
      const received = new Set<number>()
      sub.on('message', (_t, payload) => received.add(idOf(payload)!))
      await sub.subscribeAsync(topics.data, { qos: 1 })

      const source = new MemoryOutboxSource()
      source.append(announcementOf(prefix, 1))
      for (let i = 0; i < 2_000; i++) source.append(dataOf(prefix, 1, i))
      const settings = await loadBrokerSettings({ url: MOSQUITTO, clientId: device })
      const publisher = new MqttPublisher(source, settings, {
        windowSize: 32,
        backoff: { initialMs: 10, maxMs: 50, stableMs: 5_000 },
      })
      publisher.start()
      cleanups.push(() => publisher.stop({ drainMs: 0 }))
      await until(() => received.size >= 500, '500 delivered')
      // Another connection with the same client id: Mosquitto disconnects ours (reason 0x8E).
      const thief = await mqtt.connectAsync(MOSQUITTO, {
        protocolVersion: 5,
        clientId: device,
        reconnectPeriod: 0,
      })
      await thief.endAsync(true)
      await until(() => received.size === 2_000 && source.size === 0, 'all 2,000 delivered')
      expect(publisher.stats().connections).toBeGreaterThanOrEqual(2)
    })
  },
)
