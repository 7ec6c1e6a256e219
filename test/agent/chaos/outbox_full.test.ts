/**
 * A full outbox under both policies, at agent level (issue 8, "Tests"): a running agent with
 * `SEALWIRE_OUTBOX_MAX_COUNT=20` and its broker down, so nothing drains, takes 30 readings, one
 * per POST. The outbox counts every row, the epoch's announcement included, so 19 data messages
 * fit (1 + 19 = 20 rows). Exact counts:
 *
 * - `reject-new`: 19 answered 200, 11 answered 503 with `Retry-After` (nothing stored, nothing
 *   dropped); after the broker comes up exactly those 19 are delivered.
 * - `drop-oldest`: 30 answered 200; the 11 oldest data messages are dropped (reason `full`) as
 *   the later ones arrive, counted in `sealwire-agent status --json` and in
 *   `sealwire_agent_messages_dropped_total{reason="full"}`; after the broker comes up exactly the
 *   newest 19 (30 accepted − 11 dropped) are delivered.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../../agent/src/main.ts'
import { capture, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { makeDevice } from '../_device.ts'
import { AedesHarness } from '../transport/_aedes.ts'
import { uniquePrefix, until } from '../transport/_fixtures.ts'
import { eventually, getText, metric, postReadings, runArgs, startInProcess } from './_agent.ts'
import type { PostResult } from './_agent.ts'
import { WireLog } from './_wire.ts'

const MAX_COUNT = 20
const READINGS = 30
/** Data messages that fit beside the epoch's announcement. */
const FIT = MAX_COUNT - 1

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  await cleanupTempDirs()
})

interface StatusJson {
  readonly outbox: { readonly count: number; readonly pending: number }
  readonly drops: { readonly full: { readonly messages: number; readonly bytes: number } }
}

async function statusOf(state: string): Promise<StatusJson> {
  const s = capture()
  expect(await main(['status', '--state', state, '--json'], s.io), s.err()).toBe(0)
  return JSON.parse(s.out()) as StatusJson
}

async function fillWithBrokerDown(policy: 'reject-new' | 'drop-oldest'): Promise<{
  results: PostResult[]
  wire: WireLog
  state: string
  metricsFull: string
  metricsAfter: () => Promise<string>
  brokerUp: () => Promise<void>
  stop: () => Promise<number>
}> {
  const root = await tempDir('sealwire-chaos-full-')
  const prefix = uniquePrefix()
  const device = await makeDevice(join(root, 'dev-1'), 'dev-1', prefix)
  const wire = new WireLog(device)
  const broker = new AedesHarness()
  broker.subscribe(`${prefix}/#`, (p) => wire.take(p.topic, p.payload))
  // Learn a free port, then release it: the agent starts with its broker down.
  await broker.start()
  await broker.stop()
  cleanups.push(() => broker.stop())
  const state = join(root, 'state')
  const agent = await startInProcess(runArgs(device.dir, broker.url, state), {
    SEALWIRE_BROKER_PROTOCOL_VERSION: '4',
    SEALWIRE_OUTBOX_MAX_COUNT: String(MAX_COUNT),
    SEALWIRE_OUTBOX_POLICY: policy,
  })
  let stopped = false
  cleanups.push(async () => (stopped ? undefined : agent.stop()))
  const results: PostResult[] = []
  for (let id = 0; id < READINGS; id++) {
    results.push(await postReadings(agent.url, [{ stream: 'fill', value: { id } }]))
  }
  const metricsFull = (await getText(agent.url, '/metrics')).text
  return {
    results,
    wire,
    state,
    metricsFull,
    metricsAfter: async () => (await getText(agent.url, '/metrics')).text,
    brokerUp: () => broker.start(),
    stop: () => ((stopped = true), agent.stop()),
  }
}

function idsOf(wire: WireLog): number[] {
  return [...wire.readings.keys()].sort((a, b) => a - b)
}

describe('outbox full with the broker down (maxCount 20, 30 readings)', () => {
  it('reject-new: 19 accepted, 11 refused with 503 + Retry-After, none dropped, 19 delivered', async () => {
    const run = await fillWithBrokerDown('reject-new')
    const accepted = run.results.filter((r) => r.status === 200)
    const refused = run.results.filter((r) => r.status === 503)
    expect(accepted).toHaveLength(FIT)
    expect(refused).toHaveLength(READINGS - FIT)
    // The first 19 fit, every later one is refused: nothing drains while the broker is down.
    expect(run.results.map((r) => r.status)).toEqual([
      ...Array<number>(FIT).fill(200),
      ...Array<number>(READINGS - FIT).fill(503),
    ])
    for (const r of refused) {
      expect(r.body).toMatchObject({ error: 'ERR_OUTBOX_FULL' })
      // No PUBACK seen lately (the broker is away): the longest hint, 60 s.
      expect(r.retryAfter).toBe('60')
    }
    expect(metric(run.metricsFull, 'sealwire_agent_readings_accepted_total')).toBe(FIT)
    expect(
      metric(run.metricsFull, 'sealwire_agent_readings_rejected_total', { reason: 'outbox_full' }),
    ).toBe(READINGS - FIT)
    expect(
      metric(run.metricsFull, 'sealwire_agent_messages_dropped_total', { reason: 'full' }) ?? 0,
    ).toBe(0)
    expect(metric(run.metricsFull, 'sealwire_agent_outbox_messages')).toBe(MAX_COUNT)
    const full = await statusOf(run.state)
    expect(full.outbox).toMatchObject({ count: MAX_COUNT, pending: MAX_COUNT })
    expect(full.drops.full.messages).toBe(0)

    await run.brokerUp()
    await until(() => run.wire.dataMessages >= FIT, `${FIT} deliveries`, 20_000)
    await eventually(
      async () => (await statusOf(run.state)).outbox.pending === 0,
      'the outbox to drain',
    )
    expect(await run.stop()).toBe(0)
    await run.wire.settled()
    expect(run.wire.errors).toEqual([])
    expect(idsOf(run.wire)).toEqual(Array.from({ length: FIT }, (_, i) => i))
    expect(run.wire.dataMessages).toBe(FIT)
  }, 60_000)

  it('drop-oldest: 30 accepted, the 11 oldest dropped (status and /metrics), the newest 19 delivered', async () => {
    const run = await fillWithBrokerDown('drop-oldest')
    expect(run.results.map((r) => r.status)).toEqual(Array<number>(READINGS).fill(200))
    const dropped = READINGS - FIT
    expect(metric(run.metricsFull, 'sealwire_agent_readings_accepted_total')).toBe(READINGS)
    expect(
      metric(run.metricsFull, 'sealwire_agent_messages_dropped_total', { reason: 'full' }),
    ).toBe(dropped)
    expect(metric(run.metricsFull, 'sealwire_agent_outbox_messages')).toBe(MAX_COUNT)
    const full = await statusOf(run.state)
    expect(full.outbox).toMatchObject({ count: MAX_COUNT, pending: MAX_COUNT })
    expect(full.drops.full.messages).toBe(dropped)
    expect(full.drops.full.bytes).toBe(
      metric(run.metricsFull, 'sealwire_agent_dropped_bytes_total', { reason: 'full' }),
    )

    await run.brokerUp()
    await until(() => run.wire.dataMessages >= FIT, `${FIT} deliveries`, 20_000)
    await eventually(
      async () => (await statusOf(run.state)).outbox.pending === 0,
      'the outbox to drain',
    )
    const after = await run.metricsAfter()
    expect(await run.stop()).toBe(0)
    await run.wire.settled()
    expect(run.wire.errors).toEqual([])
    expect(idsOf(run.wire)).toEqual(Array.from({ length: FIT }, (_, i) => dropped + i))
    expect(run.wire.dataMessages).toBe(READINGS - dropped)
    expect(metric(after, 'sealwire_agent_messages_dropped_total', { reason: 'full' })).toBe(dropped)
    expect((await statusOf(run.state)).drops.full.messages).toBe(dropped)
  }, 60_000)
})
