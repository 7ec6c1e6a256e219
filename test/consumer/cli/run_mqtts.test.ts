/**
 * `sealwire-consumer run` over `mqtts://`: a Mosquitto of the test's own (`mosquitto -c`) with a
 * mutual-TLS listener on a free port (a CA, a server certificate for 127.0.0.1, a certificate per
 * identity, the user name taken from the certificate's CN) and an ACL: devices write under their
 * own id only, the consumer's identity reads everything. The consumer gets its CA, certificate
 * and key from its config file (`broker.tls`), subscribes over TLS (MQTT 5, a shared data
 * subscription), and a device publishing with its own certificate has every reading delivered
 * once to the JSONL sink, the retained announcement first (one KMS Decrypt for the epoch).
 * A consumer whose certificate the broker's CA did not sign is refused at connect
 * (`error ERR_BROKER_UNREACHABLE: …`, exit ≠ 0).
 *
 * Skipped only when the machine has no `mosquitto` or `openssl` binary (a failure under CI).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../consumer/src/main.ts'
import type { RunningMosquitto } from '../../agent/tls/_mosquitto.ts'
import { mosquittoBinary, startMosquitto } from '../../agent/tls/_mosquitto.ts'
import type { TestPki } from '../../agent/tls/_pki.ts'
import { makeTestPki } from '../../agent/tls/_pki.ts'
import { capture, cleanupTempDirs, skipWithout, tempDir } from '../../helpers/index.ts'
import type { TestKms } from '../_helpers.ts'
import { KMS_ENV, SimDevice, startTestKms, uniquePrefix, until } from '../_helpers.ts'

const BINARY = mosquittoBinary()
const CONSUMER = 'consumer-1'
const DEVICE = 'dev-1'
const READINGS = 200

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const skip =
  skipWithout(BINARY !== undefined, 'the mosquitto binary') ||
  skipWithout(hasOpenssl(), 'the openssl binary')

let root: string
let pki: TestPki
let strangerPki: TestPki
let broker: RunningMosquitto
let kms: TestKms
let prefix: string

beforeAll(async () => {
  if (skip) return
  root = await tempDir('sealwire-consumer-mqtts-')
  prefix = uniquePrefix()
  await mkdir(join(root, 'pki'), { mode: 0o700 })
  await mkdir(join(root, 'stranger'), { mode: 0o700 })
  pki = await makeTestPki(join(root, 'pki'), [DEVICE, CONSUMER])
  // Another CA's certificate with the consumer's name: the broker must refuse it.
  strangerPki = await makeTestPki(join(root, 'stranger'), [CONSUMER])
  broker = await startMosquitto({ binary: BINARY!, dir: root, pki, prefix, admin: CONSUMER })
  kms = await startTestKms()
}, 60_000)

afterAll(async () => {
  await broker?.stop()
  await kms?.close()
  await cleanupTempDirs()
})

/** A config file naming the TLS files of identity `id` of `of` (the CA is always ours). */
async function configFile(name: string, of: TestPki, id: string): Promise<string> {
  const pair = of.clients.get(id)!
  const path = join(root, `${name}.json`)
  await writeFile(
    path,
    JSON.stringify({ broker: { tls: { ca: pki.ca, cert: pair.cert, key: pair.key } } }),
    { mode: 0o600 },
  )
  return path
}

function jsonl(path: string): Record<string, unknown>[] {
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

function runConsumer(config: string, out: string, signal: AbortSignal) {
  const c = capture({ ...KMS_ENV }, false, signal)
  const running = main(
    [
      'run',
      '--config',
      config,
      '--broker',
      broker.url,
      '--key-id',
      kms.key.keyArn,
      '--endpoint',
      kms.server.endpoint,
      '--region',
      kms.server.region,
      '--topic-prefix',
      prefix,
      '--sink',
      `jsonl:${out}`,
      '--dead-letters',
      join(root, `dead-${Math.random().toString(36).slice(2)}`),
    ],
    c.io,
  )
  const events = (): Record<string, unknown>[] =>
    c
      .err()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return { running, events, err: () => c.err() }
}

describe.skipIf(skip)('sealwire-consumer run over mqtts:// (Mosquitto, mutual TLS)', () => {
  it('delivers every reading of a device publishing over TLS exactly once', async () => {
    const out = join(root, 'readings.jsonl')
    const device = new SimDevice(DEVICE, prefix, kms.key)
    const pair = pki.clients.get(DEVICE)!
    const publisher: MqttClient = await mqtt.connectAsync(broker.url, {
      ca: readFileSync(pki.ca),
      cert: readFileSync(pair.cert),
      key: readFileSync(pair.key),
      rejectUnauthorized: true,
      protocolVersion: 5,
      clientId: `${DEVICE}-${Math.random().toString(36).slice(2)}`,
      reconnectPeriod: 0,
    })
    const stop = new AbortController()
    let consumer: ReturnType<typeof runConsumer> | undefined
    try {
      // The epoch begins before the consumer runs: the retained announcement tells of it.
      const first = device.seal(device.reading(0))
      expect(first.map((m) => m.form)).toEqual(['full', 'compact'])
      await publisher.publishAsync(first[0]!.topic, Buffer.from(first[0]!.payload), {
        qos: 1,
        retain: true,
      })
      const before = kms.decrypts()
      consumer = runConsumer(await configFile('consumer', pki, CONSUMER), out, stop.signal)
      const c = consumer
      await until(
        () => c.events().some((e) => e.event === 'subscribed') || /^error /m.test(c.err()),
        'the consumer to subscribe over TLS',
      )
      expect(c.err()).not.toMatch(/^error /m)
      expect(c.events().find((e) => e.event === 'subscribed')).toMatchObject({
        data: `$share/sealwire-consumer/${prefix}/+/data`,
        key: `${prefix}/+/key`,
      })
      const sent: number[] = [0]
      await publisher.publishAsync(first[1]!.topic, Buffer.from(first[1]!.payload), { qos: 1 })
      for (let i = 1; i < READINGS; i++) {
        const [m] = device.seal(device.reading(i))
        await publisher.publishAsync(m!.topic, Buffer.from(m!.payload), { qos: 1 })
        sent.push(i)
      }
      await until(() => jsonl(out).length >= READINGS, 'every reading in the sink', 30_000)
      await new Promise((r) => setTimeout(r, 200))
      const rows = jsonl(out)
      expect(rows).toHaveLength(READINGS)
      expect(rows.map((r) => r.value)).toEqual(sent) // one device: in order
      expect(new Set(rows.map((r) => `${r.deviceId}/${r.seq}`)).size).toBe(READINGS)
      expect(rows.every((r) => r.deviceId === DEVICE && r.epochId === first[0]!.epochId)).toBe(true)
      expect(kms.decrypts() - before).toBe(1)
      expect(c.events().filter((e) => e.event === 'dead-letter')).toEqual([])
    } finally {
      stop.abort()
      if (consumer !== undefined) expect(await consumer.running).toBe(0)
      await publisher.publishAsync(`${prefix}/${DEVICE}/key`, '', { qos: 1, retain: true })
      await publisher.endAsync()
    }
  }, 60_000)

  it('is refused by the broker with a certificate another CA signed', async () => {
    const stop = new AbortController()
    const c = runConsumer(
      await configFile('stranger', strangerPki, CONSUMER),
      join(root, 'none.jsonl'),
      stop.signal,
    )
    const timer = setTimeout(() => stop.abort(), 20_000)
    try {
      const code = await c.running
      expect(code).not.toBe(0)
      // The broker's TLS alert, whatever the runtime's TLS library words it.
      expect(c.err()).toMatch(
        /^error ERR_BROKER_UNREACHABLE: mqtts:\/\/127\.0\.0\.1:\d+: .*(unknown ca|alert|certificate)/im,
      )
      expect(c.events().some((e) => e.event === 'subscribed')).toBe(false)
    } finally {
      clearTimeout(timer)
      stop.abort()
    }
  }, 30_000)
})
