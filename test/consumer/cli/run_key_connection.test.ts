/**
 * Regression (found by the 1,000-device fleet run on Mosquitto): key announcements must not share
 * the broker's per-client queue with data the consumer is holding.
 *
 * A Mosquitto of the test's own (`mosquitto -c`, a free port) with a small per-client queue
 * (`max_queued_messages 10`, the default in-flight settings) and `sealwire-consumer run`
 * (in process, `receiveMaximum` 5, `parking.maxAgeMs` 1 s, a sink that can be taken down):
 *
 * 1. device 0's epoch is announced and one reading delivered (one Decrypt);
 * 2. the sink goes down: device 0's next 13 messages fill the consumer's window (5, held while
 *    the sink write is retried, as the README says) and most of the broker's queue (8 of 10);
 * 3. 20 new devices announce their epochs (retained, on their key topics);
 * 4. the sink comes back: device 0's messages are delivered;
 * 5. the 20 devices publish 2 compact messages each.
 *
 * With one connection for keys and data (the consumer before this test), step 3's announcements
 * land behind the held data in the one queue the broker keeps for the consumer, which is full:
 * Mosquitto drops them ("Outgoing messages are being dropped"), and step 5's messages are parked,
 * then dead-lettered `epoch-unknown` after 1 s (checked on the one-connection consumer, commit
 * 3017582: 36 of the 40, those of the 18 announcements beyond the 2 free queue slots). With the key
 * connection of its own, every reading is delivered exactly once, no dead letter, one `Decrypt`
 * per epoch (21).
 *
 * Skipped only when the machine has no `mosquitto` binary (a failure under CI).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../consumer/src/main.ts'
import { accepts, freePort, mosquittoBinary } from '../../agent/tls/_mosquitto.ts'
import { capture, cleanupTempDirs, skipWithout, tempDir } from '../../helpers/index.ts'
import type { TestKms } from '../_helpers.ts'
import {
  KMS_ENV,
  MemoryDeadLetters,
  MemorySink,
  SimDevice,
  startTestKms,
  uniquePrefix,
  until,
} from '../_helpers.ts'

const BINARY = mosquittoBinary()
const skip = skipWithout(BINARY !== undefined, 'the mosquitto binary')

const WINDOW = 5
const QUEUE = 10
const HELD = WINDOW + QUEUE - 2
const NEW_DEVICES = 20
const PER_DEVICE = 2

let dir: string
let port: number
let mosquitto: ChildProcess | undefined
let brokerLog = ''
let kms: TestKms

/** A Mosquitto with a 10-message per-client queue, anonymous, on a free loopback port. */
async function startBroker(): Promise<void> {
  port = await freePort()
  const config = join(dir, 'mosquitto.conf')
  await writeFile(
    config,
    [
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      `max_queued_messages ${QUEUE}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${port} 127.0.0.1`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  )
  const child = spawn(BINARY!, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (b: Buffer): void => void (brokerLog = (brokerLog + b.toString()).slice(-64_000))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  mosquitto = child
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited at start: ${brokerLog}`)
      return accepts(port)
    },
    'mosquitto to listen',
    10_000,
  )
}

beforeAll(async () => {
  if (skip) return
  dir = await tempDir('sealwire-consumer-keyconn-')
  await startBroker()
  kms = await startTestKms()
}, 60_000)

afterAll(async () => {
  if (mosquitto !== undefined && mosquitto.exitCode === null) {
    const gone = new Promise((resolve) => mosquitto!.once('exit', resolve))
    mosquitto.kill('SIGKILL')
    await gone
  }
  await kms?.close()
  await cleanupTempDirs()
})

async function publish(
  client: MqttClient,
  m: { topic: string; payload: Uint8Array },
  retain = false,
): Promise<void> {
  await client.publishAsync(m.topic, Buffer.from(m.payload), { qos: 1, retain })
}

describe.skipIf(skip)('sealwire-consumer run: announcements on their own connection', () => {
  it('delivers every reading once when announcements arrive while data fills the window and the broker queue', async () => {
    const prefix = uniquePrefix()
    const url = `mqtt://127.0.0.1:${port}`
    const config = join(dir, 'consumer.json')
    await writeFile(
      config,
      JSON.stringify({
        broker: { receiveMaximum: WINDOW, settleMs: 100, maxSettleMs: 1_000 },
        parking: { maxAgeMs: 1_000 },
        delivery: { retryInitialMs: 10, retryMaxMs: 50 },
      }),
    )
    const sink = new MemorySink()
    const letters = new MemoryDeadLetters()
    const stop = new AbortController()
    const c = capture({ ...KMS_ENV }, false, stop.signal)
    const clientId = `kc-${prefix.slice(-12)}`
    const running = main(
      [
        'run',
        '--config',
        config,
        '--broker',
        url,
        '--client-id',
        clientId,
        '--key-id',
        kms.key.keyArn,
        '--endpoint',
        kms.server.endpoint,
        '--region',
        kms.server.region,
        '--topic-prefix',
        prefix,
        '--sink',
        'jsonl:-',
      ],
      c.io,
      {
        openSink: () => Promise.resolve(sink),
        openDeadLetters: () => Promise.resolve(letters),
      },
    )
    const events = (): Record<string, unknown>[] =>
      c
        .err()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    const pub = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 })
    const decryptsBefore = kms.decrypts()
    try {
      await until(
        () => events().some((e) => e.event === 'running') || /^error /m.test(c.err()),
        'the consumer to run',
      )
      expect(c.err()).not.toMatch(/^error /m)

      // 1. Device 0: its epoch, and one reading delivered.
      const dev0 = new SimDevice('dev-0', prefix, kms.key)
      const first = dev0.seal(dev0.reading(0))
      await publish(pub, first[0]!, true)
      await publish(pub, first[1]!)
      await until(() => sink.rows.size === 1, "device 0's first reading")

      // 2. The sink goes down: device 0's messages are held in the window and queue at the broker.
      sink.down = true
      for (let i = 1; i <= HELD; i++) await publish(pub, dev0.seal(dev0.reading(i))[0]!)
      await new Promise((r) => setTimeout(r, 300))

      // 3. New devices announce their epochs meanwhile.
      const devices = Array.from(
        { length: NEW_DEVICES },
        (_, d) => new SimDevice(`dev-${d + 1}`, prefix, kms.key),
      )
      const firstData = []
      for (const d of devices) {
        const [announcement, data] = d.seal(d.reading(0))
        expect(announcement!.topic).toBe(d.topics.key)
        await publish(pub, announcement!, true)
        firstData.push(data!)
      }
      await new Promise((r) => setTimeout(r, 500))

      // 4. The sink is back: device 0's held messages go through.
      sink.down = false
      await until(() => sink.rows.size === 1 + HELD, "device 0's held readings")

      // 5. The new devices' data.
      for (const m of firstData) await publish(pub, m)
      for (const d of devices) {
        for (let i = 1; i < PER_DEVICE; i++) await publish(pub, d.seal(d.reading(i))[0]!)
      }
      const expected = 1 + HELD + NEW_DEVICES * PER_DEVICE
      await until(
        () => sink.rows.size === expected || letters.letters.size > 0,
        'every reading, or a dead letter',
        15_000,
      )
      // A dead letter is final here: parking gave up after 1 s.
      await new Promise((r) => setTimeout(r, 1_500))
      expect(
        [...letters.letters.values()].map((l) => `${l.reason} ${l.topic.split('/').at(-2)}`),
        brokerLog,
      ).toEqual([])
      expect(sink.rows.size).toBe(expected)
      const rows = [...sink.rows.values()]
      expect(new Set(rows.map((r) => `${r.deviceId}/${r.seq}`)).size).toBe(expected)
      for (const d of devices) {
        expect(rows.filter((r) => r.deviceId === d.deviceId).map((r) => r.value)).toEqual(
          Array.from({ length: PER_DEVICE }, (_, i) => i),
        )
      }
      expect(kms.decrypts() - decryptsBefore).toBe(1 + NEW_DEVICES)
      expect(brokerLog).not.toMatch(/Outgoing messages are being dropped/)
      const subscribed = events().find((e) => e.event === 'subscribed')
      expect(subscribed).toMatchObject({
        data: `$share/sealwire-consumer/${prefix}/+/data`,
        key: `${prefix}/+/key`,
        dataClientId: clientId,
        keyClientId: `${clientId}-keys`,
      })
    } finally {
      stop.abort()
      expect(await running).toBe(0)
      await pub.endAsync()
    }
  }, 60_000)
})
