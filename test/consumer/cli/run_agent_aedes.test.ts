/**
 * `sealwire-consumer run` as a user runs it, with the real agent (`sealwire-agent run`, a child
 * process), kms-local and the embedded aedes broker (MQTT 3.1.1: the consumer falls back from
 * MQTT 5, has no shared subscription and says it runs as a single instance):
 *
 * - started after the agent's epoch began, it learns the epoch from the retained announcement and
 *   opens the compact messages without parking any;
 * - every reading POSTed to the agent appears exactly once in the JSONL sink, across an epoch
 *   rotation, with one KMS Decrypt per epoch;
 * - restarted mid-epoch (memory state: nothing stored), it makes at most one Decrypt for the
 *   epoch, from the retained announcement;
 * - `--metrics` serves the counters; `stats` and SIGTERM-style stop work.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../consumer/src/main.ts'
import { capture, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { AedesHarness } from '../../agent/transport/_aedes.ts'
import { deviceFolder, startAgent } from '../_agent.ts'
import type { TestKms } from '../_helpers.ts'
import { KMS_ENV, startTestKms, uniquePrefix, until } from '../_helpers.ts'

let kms: TestKms

beforeAll(async () => {
  kms = await startTestKms()
})

afterAll(async () => {
  await kms?.close()
})

afterEach(cleanupTempDirs)

interface Consumer {
  stop(): Promise<number>
  events(): Record<string, unknown>[]
  metricsUrl(): Promise<string>
}

function startConsumer(args: string[]): Consumer {
  const stop = new AbortController()
  const c = capture({ ...KMS_ENV }, false, stop.signal)
  const running = main(
    [
      'run',
      '--key-id',
      kms.key.keyArn,
      '--endpoint',
      kms.server.endpoint,
      '--region',
      kms.server.region,
      '--metrics',
      '127.0.0.1:0',
      ...args,
    ],
    c.io,
  )
  const events = (): Record<string, unknown>[] =>
    c
      .err()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  return {
    stop: async () => {
      stop.abort()
      return running
    },
    events,
    metricsUrl: async () => {
      await until(
        () => events().some((e) => e.event === 'subscribed') || /^error /m.test(c.err()),
        'the consumer to subscribe',
      )
      if (/^error /m.test(c.err())) throw new Error(c.err())
      return events().find((e) => e.event === 'metrics')!.url as string
    },
  }
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)
  return m === null ? NaN : Number(m[1])
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

describe('sealwire-consumer run with the real agent on aedes', () => {
  it('delivers every reading once from a consumer started mid-epoch, and restarts with at most one Decrypt', async () => {
    const root = await tempDir('sealwire-consumer-e2e-')
    const prefix = uniquePrefix()
    const broker = new AedesHarness()
    await broker.start()
    const dir = await deviceFolder(join(root, 'dev-1'), 'dev-1', prefix, kms.key)
    const agent = await startAgent(dir, 'dev-1', broker.url, {
      SEALWIRE_BROKER_PROTOCOL_VERSION: '4',
      SEALWIRE_EPOCH_MAX_MESSAGES: '40',
      SEALWIRE_BATCH_MAX_READINGS: '1',
    })
    const out = join(root, 'readings.jsonl')
    const common = [
      '--broker',
      broker.url,
      '--sink',
      `jsonl:${out}`,
      '--dead-letters',
      join(root, 'dead'),
      '--topic-prefix',
      prefix,
    ]
    let consumer: Consumer | undefined
    try {
      // The epoch begins before any consumer runs: only the retained announcement tells of it.
      await agent.post([{ stream: 'boot', value: 0 }])
      await until(
        () => broker.seen.some((p) => p.topic.endsWith('/key') && p.retain),
        'the retained announcement',
      )
      const before = kms.decrypts()
      consumer = startConsumer(common)
      const metricsUrl = await consumer.metricsUrl()
      const events = consumer.events()
      expect(events.some((e) => e.event === 'mqtt-fallback')).toBe(true)
      expect(events.find((e) => e.event === 'single-instance')).toMatchObject({
        filter: `${prefix}/+/data`,
      })
      const sent: number[] = []
      for (let i = 0; i < 60; i++) {
        await agent.post([{ stream: 'temp', value: i }])
        sent.push(i)
      }
      await until(
        () => jsonl(out).filter((r) => r.stream === 'temp').length >= 60,
        'the readings in the sink',
        30_000,
      )
      const rows = jsonl(out).filter((r) => r.stream === 'temp')
      expect(rows.map((r) => r.value).sort((a, b) => Number(a) - Number(b))).toEqual(sent)
      expect(new Set(rows.map((r) => `${r.deviceId}/${r.seq}/${r.index}`)).size).toBe(60)
      expect(Object.keys(rows[0]!)).toEqual([
        'deviceId',
        'seq',
        'index',
        'stream',
        'time',
        'clock',
        'value',
        'epochId',
        'receivedAt',
      ])
      const epochs = new Set(rows.map((r) => r.epochId))
      expect(epochs.size).toBeGreaterThanOrEqual(2) // the epoch rotated after 40 messages
      expect(kms.decrypts() - before).toBe(epochs.size)
      expect(await metric(metricsUrl, 'sealwire_consumer_parked_total')).toBe(0)
      expect(await metric(metricsUrl, 'sealwire_consumer_readings_delivered_total')).toBe(60)
      expect(
        await metric(metricsUrl, 'sealwire_consumer_dead_letters_total{reason="epoch-unknown"}'),
      ).toBe(0)
      expect(await consumer.stop()).toBe(0)
      consumer = undefined

      // Restart mid-epoch: a fresh memory, the retained announcement, at most one Decrypt.
      const restartBefore = kms.decrypts()
      consumer = startConsumer(common)
      const url2 = await consumer.metricsUrl()
      for (let i = 60; i < 70; i++) await agent.post([{ stream: 'temp', value: i }])
      await until(
        () => jsonl(out).filter((r) => r.stream === 'temp').length >= 70,
        'readings after the restart',
        30_000,
      )
      const after = jsonl(out).filter((r) => r.stream === 'temp')
      expect(after).toHaveLength(70)
      const newEpochs = new Set(after.slice(60).map((r) => r.epochId))
      expect(kms.decrypts() - restartBefore).toBe(newEpochs.size)
      expect(newEpochs.size).toBe(1)
      expect(await metric(url2, 'sealwire_consumer_parked_total')).toBe(0)
      expect(await consumer.stop()).toBe(0)
      consumer = undefined

      const s = capture()
      expect(await main(['stats', '--dead-letters', join(root, 'dead')], s.io)).toBe(0)
      expect(s.out()).toMatch(/total: 0\n$/)
    } finally {
      await consumer?.stop()
      await agent.stop()
      await broker.close()
    }
  }, 60_000)
})
