/**
 * The pipeline through kms-local and the real SDK, fed as a transport would (up to a window of
 * messages in flight): 20 devices, 10,000 data messages in both forms, one epoch rotation per
 * device → every reading delivered exactly once, and KMS Decrypt called exactly once per epoch.
 * Then restarts: a consumer with a fresh memory but the shared state recovers an epoch with one
 * Decrypt, however many messages of it arrive at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConsumerCore } from '../../../consumer/src/consumer_core.ts'
import type { Outcome } from '../../../consumer/src/pipeline/pipeline.ts'
import { MemoryConsumerState } from '../../../consumer/src/state/index.ts'
import type { Msg, TestCoreParts, TestKms } from '../_helpers.ts'
import { SimDevice, startTestKms, testCore, uniquePrefix } from '../_helpers.ts'

let kms: TestKms

beforeAll(async () => {
  kms = await startTestKms()
})

afterAll(async () => {
  await kms?.close()
})

const core = (prefix: string, parts: TestCoreParts = {}) => testCore(kms, prefix, parts)

/** Feeds messages in order with at most `window` in flight, as the MQTT subscriber does. */
async function feed(c: ConsumerCore, msgs: readonly Msg[], window = 500): Promise<Outcome[]> {
  const outcomes: Promise<Outcome>[] = []
  let inFlight = 0
  let wake: (() => void) | undefined
  for (const m of msgs) {
    while (inFlight >= window) await new Promise<void>((resolve) => (wake = resolve))
    inFlight++
    const p = c.pipeline.handle({ topic: m.topic, payload: m.payload, receivedAt: Date.now() })
    void p.finally(() => {
      inFlight--
      wake?.()
      wake = undefined
    })
    outcomes.push(p)
  }
  return Promise.all(outcomes)
}

/** 20 devices × 500 data messages, rotating after 260 messages, every 5th in full form. */
function fleetTraffic(prefix: string) {
  const devices = Array.from(
    { length: 20 },
    (_, i) =>
      new SimDevice(`dev-${String(i).padStart(2, '0')}`, prefix, kms.key, {
        limits: { maxMessages: 260 },
        firstSeq: 1000 * i,
      }),
  )
  const msgs: Msg[] = []
  let readings = 0
  for (let n = 0; n < 500; n++) {
    for (const d of devices) {
      const records = n % 7 === 0 ? [...d.reading(n), ...d.reading(-n, 'hum')] : d.reading(n)
      readings += records.length
      msgs.push(...d.seal(records, n % 5 === 4 ? 'full' : 'compact'))
    }
  }
  return { devices, msgs, readings }
}

describe('pipeline through kms-local', () => {
  it('delivers 10,000 messages of 20 devices once each, with one Decrypt per epoch', async () => {
    const prefix = uniquePrefix()
    const { devices, msgs, readings } = fleetTraffic(prefix)
    const announcements = msgs.filter((m) => m.topic.endsWith('/key'))
    expect(announcements).toHaveLength(40)
    expect(msgs.length - announcements.length).toBe(10_000)
    expect(new Set(msgs.filter((m) => m.form === 'full').map((m) => m.topic)).size).toBe(40)
    const { core: c, sink, letters } = core(prefix)
    const before = kms.decrypts()
    const started = Date.now()
    const outcomes = await feed(c, msgs)
    const took = Date.now() - started
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(10_000)
    expect(outcomes.filter((o) => o.kind === 'announcement')).toHaveLength(40)
    expect(sink.rows.size).toBe(readings)
    expect(letters.letters.size).toBe(0)
    expect(kms.decrypts() - before).toBe(40)
    // Each reading once, with its own (device, seq, index) and the value it was sealed with.
    for (const d of devices) {
      const rows = [...sink.rows.values()].filter((r) => r.deviceId === d.deviceId)
      expect(new Set(rows.map((r) => `${r.seq}/${r.index}`)).size).toBe(rows.length)
      expect(new Set(rows.map((r) => r.epochId)).size).toBe(2)
    }
    const metrics = await c.metrics.registry.metrics()
    expect(metrics).toMatch(/^sealwire_consumer_messages_delivered_total 10000$/m)
    expect(metrics).toMatch(/^sealwire_consumer_kms_unwraps_total\{outcome="unwrapped"\} 40$/m)
    expect(metrics).toMatch(/^sealwire_consumer_gaps_total 0$/m)
    expect(metrics).toMatch(/^sealwire_consumer_duplicates_total\{verdict="duplicate"\} 0$/m)
    expect(metrics).toMatch(/^sealwire_consumer_parked_total 0$/m)
    await c.stop(1000)
    console.info(`10,000 messages in ${took} ms`)
  })

  it('delivers nothing twice when every message arrives twice', async () => {
    const prefix = uniquePrefix()
    const d = new SimDevice('dev-dup', prefix, kms.key)
    const msgs = Array.from({ length: 50 }, (_, i) => d.seal(d.reading(i))).flat()
    const { core: c, sink } = core(prefix)
    const outcomes = await feed(c, [...msgs, ...msgs])
    expect(sink.rows.size).toBe(50)
    expect(outcomes.filter((o) => o.kind === 'duplicate')).toHaveLength(50)
    await c.stop(1000)
  })

  it('recovers an epoch after a restart with one Decrypt from the stored announcement', async () => {
    const prefix = uniquePrefix()
    const state = new MemoryConsumerState()
    const d = new SimDevice('dev-restart', prefix, kms.key)
    const first = Array.from({ length: 10 }, (_, i) => d.seal(d.reading(i))).flat()
    const a = core(prefix, { state })
    const before = kms.decrypts()
    await feed(a.core, first)
    await a.core.stop(1000)
    expect(kms.decrypts() - before).toBe(1)
    // A new instance: nothing in memory; a burst of 200 compact messages of the same epoch.
    const rest = Array.from({ length: 200 }, (_, i) => d.seal(d.reading(10 + i))).flat()
    expect(rest.every((m) => m.form === 'compact')).toBe(true)
    const b = core(prefix, { state })
    const outcomes = await feed(b.core, rest)
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true)
    expect(kms.decrypts() - before).toBe(2)
    expect(await b.core.metrics.registry.metrics()).toMatch(
      /^sealwire_consumer_epoch_cache_lookups_total\{result="recovered"\} 1$/m,
    )
    // The retained announcement arriving too (as at subscribe time) costs nothing more.
    const c = core(prefix, { state })
    await feed(c.core, [first[0]!, ...rest.slice(0, 5)])
    expect(kms.decrypts() - before).toBe(3)
    await b.core.stop(1000)
    await c.core.stop(1000)
  })
})
