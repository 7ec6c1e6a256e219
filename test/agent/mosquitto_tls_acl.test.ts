/**
 * The threat model's broker half, proved against a real Mosquitto started with its own config
 * (DESIGN.md "Threat model"): a certificate per device made with openssl, a mutual-TLS listener
 * that takes the user name from the certificate's CN, and an `acl_file` whose only rule for
 * devices is `pattern write <prefix>/%u/#`. The agent connects with its certificate and its
 * readings arrive; a device's credentials cannot publish on another device's topic.
 *
 * Skipped only when the machine has no `mosquitto` binary.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { IClientOptions, MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../agent/src/main.ts'
import { capture, cleanupTempDirs, tempDir, skipWithout } from '../helpers/index.ts'
import { DeviceReader, makeDevice } from './_device.ts'
import type { RunningMosquitto } from './tls/_mosquitto.ts'
import { mosquittoBinary, startMosquitto } from './tls/_mosquitto.ts'
import type { TestPki } from './tls/_pki.ts'
import { makeTestPki } from './tls/_pki.ts'
import { uniquePrefix, until } from './transport/_fixtures.ts'

const BINARY = mosquittoBinary()
const ADMIN = 'admin'
/** MQTT 5 reason code "Not authorized". */
const NOT_AUTHORIZED = 0x87

let root: string
let pki: TestPki
let broker: RunningMosquitto
let prefix: string
const clients: MqttClient[] = []

beforeAll(async () => {
  if (BINARY === undefined) return
  root = await tempDir('sealwire-mosquitto-tls-')
  prefix = uniquePrefix()
  pki = await makeTestPki(root, ['dev-1', 'dev-2', ADMIN])
  broker = await startMosquitto({ binary: BINARY, dir: root, pki, prefix, admin: ADMIN })
})

afterAll(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true)
  await broker?.stop()
  await cleanupTempDirs()
})

/** TLS options of identity `id` (its certificate and key), or of no client certificate. */
function tlsOf(id: string | undefined): IClientOptions {
  const pair = id === undefined ? undefined : pki.clients.get(id)!
  return {
    ca: readFileSync(pki.ca),
    ...(pair === undefined ? {} : { cert: readFileSync(pair.cert), key: readFileSync(pair.key) }),
    rejectUnauthorized: true,
  }
}

async function connectAs(
  id: string | undefined,
  clientId: string,
  protocolVersion: 4 | 5 = 5,
): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, {
    ...tlsOf(id),
    protocolVersion,
    clientId,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  })
  clients.push(c)
  return c
}

/** An `admin` client subscribed to `#`, recording every message with its topic. */
async function watchAll(
  clientId: string,
): Promise<{ seen: { topic: string; payload: Buffer }[]; client: MqttClient }> {
  const client = await connectAs(ADMIN, clientId)
  const seen: { topic: string; payload: Buffer }[] = []
  client.on('message', (topic, payload) => seen.push({ topic, payload }))
  const granted = await client.subscribeAsync('#', { qos: 1 })
  expect(granted.map((g) => g.qos)).toEqual([1])
  return { seen, client }
}

describe.skipIf(skipWithout(BINARY !== undefined, 'the mosquitto binary'))(
  BINARY === undefined
    ? 'Mosquitto with mutual TLS and a per-device ACL: skipped, no mosquitto binary (which mosquitto, /usr/sbin)'
    : 'Mosquitto with mutual TLS and a per-device ACL',
  () => {
    it('the agent connects with its client certificate and its readings arrive', async () => {
      const device = await makeDevice(join(root, 'dev-1'), 'dev-1', prefix)
      const reader = new DeviceReader(device)
      const { seen } = await watchAll('admin-watch-agent')
      const dev1 = pki.clients.get('dev-1')!
      const stop = new AbortController()
      const c = capture(
        {
          SEALWIRE_LOG_LEVEL: 'error',
          SEALWIRE_BROKER_TLS_CA: pki.ca,
          SEALWIRE_BROKER_TLS_CERT: dev1.cert,
          SEALWIRE_BROKER_TLS_KEY: dev1.key,
        },
        false,
        stop.signal,
      )
      const running = main(
        [
          'run',
          '--device',
          device.dir,
          '--broker',
          broker.url,
          '--state',
          join(root, 'state-dev-1'),
          '--http',
          '127.0.0.1:0',
        ],
        c.io,
      )
      const sent = Array.from({ length: 25 }, (_, i) => ({ stream: 'temp', value: 20 + i / 4 }))
      try {
        await until(() => /ingest http:\/\/127\.0\.0\.1:\d+/.test(c.out()), 'the ingest API')
        const url = /ingest (http:\/\/127\.0\.0\.1:\d+)/.exec(c.out())![1]!
        const res = await fetch(`${url}/v1/readings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(sent),
        })
        expect(res.status).toBe(200)
        expect(await res.json()).toEqual({ accepted: sent.length })
        await until(
          () => seen.filter((m) => m.topic === device.topics.data).length >= sent.length,
          `${sent.length} data messages at the admin subscriber\n${broker.log()}`,
        )
      } finally {
        stop.abort()
        expect(await running).toBe(0)
      }
      expect(c.err()).toBe('')
      // Only the device's own topics carried anything: the announcement, then the data.
      expect(new Set(seen.map((m) => m.topic))).toEqual(
        new Set([device.topics.key, device.topics.data]),
      )
      for (const m of seen) await reader.take(m.topic, new Uint8Array(m.payload))
      expect(reader.epochs.size).toBe(1)
      expect(reader.records.map((r) => ({ stream: r.stream, value: r.value }))).toEqual(sent)
      // Mosquitto saw a TLS client whose user name is the certificate's CN.
      expect(broker.log()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as dev-1 .*u'dev-1'/)

      // The announcement was kept (retained) under the device's own key topic.
      const late = await connectAs(ADMIN, 'admin-late')
      const first = new Promise<boolean>((resolve) =>
        late.once('message', (_t, _p, packet) => resolve(packet.retain)),
      )
      await late.subscribeAsync(device.topics.key, { qos: 1 })
      expect(await first).toBe(true)
    })

    it("refuses one device's credentials on another device's topics: PUBACK 0x87 (MQTT 5), nothing delivered", async () => {
      const { seen } = await watchAll('admin-watch-acl')
      const dev1 = await connectAs('dev-1', 'dev-1-probe')
      const victim = { data: `${prefix}/dev-2/data`, key: `${prefix}/dev-2/key` }

      for (const [topic, retain] of [
        [victim.data, false],
        [victim.key, true],
      ] as const) {
        const err = await dev1
          .publishAsync(topic, Buffer.from('forged by dev-1'), { qos: 1, retain })
          .then(
            () => undefined,
            (e: unknown) => e as Error & { code?: number },
          )
        expect(err, `publish on ${topic}`).toBeDefined()
        expect(err!.code, `publish on ${topic}`).toBe(NOT_AUTHORIZED)
      }
      // The connection survives a refused publish, and its own topic still works. Messages of one
      // connection reach a subscriber in order, so once this marker has arrived, a forged message
      // sent before it would have too.
      await dev1.publishAsync(`${prefix}/dev-1/data`, Buffer.from('marker v5'), { qos: 1 })
      await until(
        () => seen.some((m) => m.payload.toString() === 'marker v5'),
        'the marker at the admin subscriber',
      )
      expect(seen.filter((m) => m.topic.startsWith(`${prefix}/dev-2/`))).toEqual([])
      expect(broker.log()).toMatch(/Denied PUBLISH from dev-1-probe .*'[^']*\/dev-2\/data'/)
    })

    it('on MQTT 3.1.1 (no reason codes) the forged publish is acknowledged but never delivered', async () => {
      const { seen } = await watchAll('admin-watch-v4')
      const dev1 = await connectAs('dev-1', 'dev-1-probe-v4', 4)
      await dev1.publishAsync(`${prefix}/dev-2/data`, Buffer.from('forged v4'), { qos: 1 })
      await dev1.publishAsync(`${prefix}/dev-1/data`, Buffer.from('marker v4'), { qos: 1 })
      await until(
        () => seen.some((m) => m.payload.toString() === 'marker v4'),
        'the marker at the admin subscriber',
      )
      expect(seen.filter((m) => m.payload.toString() === 'forged v4')).toEqual([])
    })

    it('refuses a client without a certificate at the TLS handshake', async () => {
      const err = await connectAs(undefined, 'anonymous').then(
        () => undefined,
        (e: unknown) => e as Error,
      )
      expect(err).toBeInstanceOf(Error)
      // TLS 1.3: the server checks the client's certificate after the handshake and sends alert
      // 116 (certificate_required); TLS 1.2 fails the handshake itself.
      expect(err!.message).toMatch(/certificate[ _]required|handshake[ _]failure/i)
    })
  },
)
