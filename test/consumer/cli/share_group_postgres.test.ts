/**
 * Scale-out as deployed: three `sealwire-consumer run` processes (Bun, the sources as shipped)
 * in one share group on a Mosquitto of the test's own (MQTT 5), with Redis state, PostgreSQL
 * sink and PostgreSQL dead letters, and kms-local. 20 devices publish 10,000 messages (both
 * forms, one epoch rotation each); one consumer is killed with SIGKILL midway and started again
 * with its client id (as a supervisor does): every reading is in PostgreSQL exactly once (row
 * count, and exactly the published (device, seq, index) set), nothing is dead-lettered.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mosquittoBinary, OwnMosquitto } from '../../agent/chaos/_mosquitto.ts'
import { cleanupTempDirs, repoRoot, tempDir } from '../../helpers/index.ts'
import { adminPool, dropTestSchemas, freshSchema, postgresUrl } from '../sinks/_postgres.ts'
import type { Msg, TestKms } from '../_helpers.ts'
import { KMS_ENV, SimDevice, startTestKms, uniquePrefix, until } from '../_helpers.ts'

let kms: TestKms
let broker: OwnMosquitto

beforeAll(async () => {
  kms = await startTestKms()
  const binary = mosquittoBinary()
  if (binary === undefined)
    throw new Error('mosquitto is not installed (apt-get install mosquitto)')
  broker = new OwnMosquitto(binary, await tempDir('sealwire-consumer-share-'))
  await broker.start()
})

afterAll(async () => {
  await broker?.kill9()
  await kms?.close()
  await dropTestSchemas()
  await cleanupTempDirs()
})

interface ConsumerProcess {
  readonly child: ChildProcess
  output(): string
  exited: Promise<number | null>
}

function startConsumer(args: string[], env: Record<string, string>): ConsumerProcess {
  const child = spawn(
    join(repoRoot, 'node_modules/.bin/bun'),
    [join(repoRoot, 'consumer/src/cli.ts'), 'run', ...args],
    { env: { ...process.env, ...KMS_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-200_000)))
  child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-200_000)))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return { child, output: () => out, exited }
}

async function subscribed(p: ConsumerProcess): Promise<void> {
  await until(
    () => /"event":"subscribed"/.test(p.output()) || p.child.exitCode !== null,
    'a consumer to subscribe',
    30_000,
  )
  if (p.child.exitCode !== null) throw new Error(`a consumer exited:\n${p.output()}`)
}

/** Publishes with a sliding window of QoS 1 messages (never in lock-step batches). */
async function publishAll(
  client: mqtt.MqttClient,
  msgs: readonly Msg[],
  onProgress: (n: number) => void,
): Promise<void> {
  let next = 0
  let done = 0
  await new Promise<void>((resolve, reject) => {
    const send = (): void => {
      if (next >= msgs.length) return
      const m = msgs[next++]!
      client.publish(
        m.topic,
        Buffer.from(m.payload),
        { qos: 1, retain: m.topic.endsWith('/key') },
        (err) => {
          if (err) return reject(err)
          onProgress(++done)
          if (done === msgs.length) resolve()
          else send()
        },
      )
    }
    for (let i = 0; i < 64; i++) send()
  })
}

describe('three consumer processes in one share group, PostgreSQL sink', () => {
  it('stores each of 10,000 readings exactly once, also when one consumer is killed midway', async () => {
    const prefix = uniquePrefix()
    const schema = await freshSchema()
    const group = `g-${randomBytes(4).toString('hex')}`
    const env = {
      SEALWIRE_CONSUMER_SINK_TABLE: `${schema}.readings`,
      SEALWIRE_CONSUMER_DEAD_LETTERS_TABLE: `${schema}.dead_letters`,
      SEALWIRE_CONSUMER_LOG_LEVEL: 'info',
    }
    const args = (id: string): string[] => [
      '--broker',
      broker.url,
      '--key-id',
      kms.key.keyArn,
      '--endpoint',
      kms.server.endpoint,
      '--region',
      kms.server.region,
      '--sink',
      postgresUrl,
      '--dead-letters',
      postgresUrl,
      '--state',
      'redis://127.0.0.1:6379',
      '--share-group',
      group,
      '--client-id',
      id,
      '--topic-prefix',
      prefix,
    ]
    const consumers = ['c1', 'c2', 'c3'].map((id) => startConsumer(args(id), env))
    try {
      await Promise.all(consumers.map(subscribed))
      const devices = Array.from(
        { length: 20 },
        (_, i) =>
          new SimDevice(`dev-${String(i).padStart(2, '0')}`, prefix, kms.key, {
            limits: { maxMessages: 260 },
          }),
      )
      const msgs: Msg[] = []
      for (let n = 0; n < 500; n++) {
        for (const d of devices)
          msgs.push(...d.seal(d.reading(n), n % 10 === 9 ? 'full' : 'compact'))
      }
      const expected = new Set(
        msgs
          .filter((m) => m.topic.endsWith('/data'))
          .map((m) => `${m.topic.split('/').at(-2)}/${m.seq}/0`),
      )
      expect(expected.size).toBe(10_000)
      const pub = await mqtt.connectAsync(broker.url, {
        protocolVersion: 5,
        clientId: `pub-${group}`,
      })
      let killed: Promise<void> | undefined
      const started = Date.now()
      await publishAll(pub, msgs, (n) => {
        if (n === 5_000 && killed === undefined) {
          // kill -9 the second consumer midway, then start it again with its client id.
          killed = (async () => {
            consumers[1]!.child.kill('SIGKILL')
            await consumers[1]!.exited
            await new Promise((r) => setTimeout(r, 500))
            consumers[1] = startConsumer(args('c2'), env)
            await subscribed(consumers[1])
          })()
        }
      })
      await killed
      const pool = await adminPool()
      const count = async (): Promise<number> =>
        Number((await pool.query(`SELECT count(*) AS n FROM ${schema}.readings`)).rows[0].n)
      await until(
        async () => (await count()) >= 10_000,
        'all readings in PostgreSQL',
        60_000,
      ).catch((err) => {
        throw new Error(
          `${(err as Error).message}: ${consumers.map((c) => c.output().slice(-2000)).join('\n---\n')}`,
        )
      })
      // Late duplicates would only add rows: wait a moment and count again.
      await new Promise((r) => setTimeout(r, 1_000))
      const rows = (await pool.query(`SELECT device_id, seq, idx FROM ${schema}.readings`))
        .rows as {
        device_id: string
        seq: string
        idx: number
      }[]
      expect(rows).toHaveLength(10_000)
      expect(new Set(rows.map((r) => `${r.device_id}/${r.seq}/${r.idx}`))).toEqual(expected)
      const letters = async (): Promise<number> =>
        Number((await pool.query(`SELECT count(*) AS n FROM ${schema}.dead_letters`)).rows[0].n)
      // A message the killed instance had parked stays a dead letter until a live instance's
      // orphan sweep (every 10 s, letters at least 2 s old) delivers it or finds it delivered.
      await until(async () => (await letters()) === 0, 'no dead letters left', 25_000)
      expect(await letters()).toBe(0)
      // Each instance opens each epoch once (40), the restarted one again what it needs.
      expect(kms.decrypts()).toBeLessThanOrEqual(3 * 40 + 40)
      console.info(
        `10,000 messages through 3 consumers (one killed) in ${Date.now() - started} ms; ${kms.decrypts()} Decrypts`,
      )
      for (const d of devices) await pub.publishAsync(d.topics.key, '', { qos: 1, retain: true })
      await pub.endAsync()
    } finally {
      for (const c of consumers) c.child.kill('SIGTERM')
      await Promise.all(consumers.map((c) => c.exited))
    }
  }, 90_000)
})
