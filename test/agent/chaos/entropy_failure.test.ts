/**
 * Hardware entropy that fails while the agent runs (issue 8, "Tests"): the agent reads raw
 * samples from a FIFO the test writes (`SEALWIRE_ENTROPY_SOURCE=hardware`,
 * `SEALWIRE_ENTROPY_DEVICE=<fifo>`, H = 1: RCT cutoff 21, APT 589 of 1,024). Fair samples first:
 * readings are sealed and delivered. Then the samples turn bad — stuck at one value (the
 * Repetition Count Test fails) or biased, 80 % zeros with no run longer than 6 (the Adaptive
 * Proportion Test fails) — and the next data key drawn makes the source read them. From the
 * failure on:
 *
 * - nothing more is sealed, although the current epoch (its key drawn before the failure) has
 *   room: every reading is refused with 503 and the source's `ERR_ENTROPY_HEALTH_*` code;
 * - `/healthz` answers 503 naming the code; `/metrics` shows `sealwire_agent_entropy_healthy 0`,
 *   the alarm counter `sealwire_agent_entropy_failures_total{code}` at 1 and the refusals;
 * - the broker receives exactly the readings answered 200, none above the sequence high-water
 *   mark of the moment of failure.
 *
 * The source reads only what it needs (the 1,024 start-up samples, then 320 per 32-byte block,
 * and only while its 256-byte pool has room), so the test knows where in the FIFO's byte stream
 * the bad samples begin: after 1,024 + 320 × (8 + data keys drawn so far) fair ones.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { Agent } from '../../../agent/src/agent.ts'
import { loadSettings } from '../../../agent/src/config/load_settings.ts'
import { HardwareEntropySource } from '../../../agent/src/entropy/index.ts'
import { main } from '../../../agent/src/main.ts'
import { checkAgentSettings } from '../../../agent/src/resolve_parts.ts'
import { openAgentStore } from '../../../agent/src/store/index.ts'
import { capture, caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { makeDevice } from '../_device.ts'
import { AedesHarness } from '../transport/_aedes.ts'
import { uniquePrefix, until } from '../transport/_fixtures.ts'
import { eventually, getText, metric, postReadings, runArgs, startInProcess } from './_agent.ts'
import { WireLog } from './_wire.ts'

const STARTUP_SAMPLES = 1_024
const SAMPLES_PER_BLOCK = 320
const POOL_BLOCKS = 8
/** Readings per data key (the epoch's announcement may count as one of its messages). */
const EPOCH_MAX_MESSAGES = 4
const FAIR_READINGS = 6

const cleanups: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined)
  await cleanupTempDirs()
})

/** Samples stuck at one value. */
function stuck(n: number): Uint8Array {
  return new Uint8Array(n).fill(0x42)
}

/** Samples that are 0 eight times in ten (two random non-zero values in ten, so no long run). */
function biased(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = i % 10 === 3 || i % 10 === 7 ? randomInt(1, 256) : 0
  return out
}

async function failureRun(
  bad: (n: number) => Uint8Array,
  code: 'ERR_ENTROPY_HEALTH_RCT' | 'ERR_ENTROPY_HEALTH_APT',
): Promise<void> {
  const root = await tempDir('sealwire-chaos-entropy-')
  const prefix = uniquePrefix()
  const device = await makeDevice(join(root, 'dev-1'), 'dev-1', prefix)
  const wire = new WireLog(device)
  const broker = new AedesHarness()
  broker.subscribe(`${prefix}/#`, (p) => wire.take(p.topic, p.payload))
  await broker.start()
  cleanups.push(() => broker.stop())

  const fifo = join(root, 'hwrng')
  execFileSync('mkfifo', ['-m', '600', fifo])
  // Read-write, so opening does not wait for the reader and the reader never sees end of file.
  const writer = openSync(fifo, constants.O_RDWR)
  cleanups.push(() => closeSync(writer))
  const feed = (bytes: Uint8Array): void => {
    let at = 0
    while (at < bytes.length) at += writeSync(writer, bytes, at, bytes.length - at)
  }
  feed(randomBytes(STARTUP_SAMPLES + POOL_BLOCKS * SAMPLES_PER_BLOCK))

  const state = join(root, 'state')
  const agent = await startInProcess(runArgs(device.dir, broker.url, state), {
    SEALWIRE_BROKER_PROTOCOL_VERSION: '4',
    SEALWIRE_ENTROPY_SOURCE: 'hardware',
    SEALWIRE_ENTROPY_DEVICE: fifo,
    SEALWIRE_EPOCH_MAX_MESSAGES: String(EPOCH_MAX_MESSAGES),
  })
  let stopped = false
  cleanups.push(async () => (stopped ? undefined : agent.stop()))
  const metrics = async (): Promise<string> => (await getText(agent.url, '/metrics')).text
  const epochs = async (): Promise<number> =>
    metric(await metrics(), 'sealwire_agent_epochs_total') ?? 0
  const health = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
    const h = await getText(agent.url, '/healthz')
    return { status: h.status, body: JSON.parse(h.text) as Record<string, unknown> }
  }

  // Fair samples: readings are sealed.
  let nextId = 0
  let accepted = 0
  for (let i = 0; i < FAIR_READINGS; i++) {
    const res = await postReadings(agent.url, [{ stream: 'fair', value: { id: nextId++ } }])
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    accepted++
  }
  expect((await health()).status).toBe(200)
  const fairEpochs = await epochs()
  expect(fairEpochs).toBeGreaterThanOrEqual(1)
  // Refill what the keys drawn so far took, then the bad samples: the source reads them as soon
  // as the next data key is drawn from its pool.
  feed(randomBytes(fairEpochs * SAMPLES_PER_BLOCK))
  feed(bad(16 * 1024))

  // Post until the source latches; after each new data key, give the reader time to fail.
  let failed = false
  let refused = 0
  for (let i = 0; i < 200 && !failed; i++) {
    const before = await epochs()
    const id = nextId++
    const res = await postReadings(agent.url, [{ stream: 'bad', value: { id } }])
    if (res.status === 503 && res.body?.error === code) {
      // The failure landed between the check below and this request (a slow machine).
      refused++
      failed = true
      break
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    accepted++
    if ((await epochs()) > before) {
      await eventually(async () => (await health()).status === 503, 'a failure', 500).then(
        () => (failed = true),
        () => undefined,
      )
    }
  }
  expect(failed, 'the entropy source never failed').toBe(true)

  // From the failure on: nothing sealed, every reading refused.
  const atFailure = await metrics()
  const s = capture()
  expect(await main(['status', '--state', state, '--json'], s.io)).toBe(0)
  const highWater = (JSON.parse(s.out()) as { sequence: { lastQueued: number } }).sequence
    .lastQueued
  const sealedAtFailure = metric(atFailure, 'sealwire_agent_messages_sealed_total', {
    kind: 'data',
  })
  expect(sealedAtFailure).toBe(accepted)
  const REFUSED = 5
  for (let i = 0; i < REFUSED; i++) {
    const res = await postReadings(agent.url, [{ stream: 'after', value: { id: nextId++ } }])
    expect(res.status).toBe(503)
    expect(res.body).toMatchObject({ error: code })
    expect(Number(res.retryAfter)).toBeGreaterThanOrEqual(1)
  }
  const h = await health()
  expect(h.status).toBe(503)
  expect(h.body).toMatchObject({ status: 'failing', entropy: 'failed', reason: code })
  const after = await metrics()
  expect(metric(after, 'sealwire_agent_entropy_healthy')).toBe(0)
  expect(metric(after, 'sealwire_agent_entropy_failures_total', { code })).toBe(1)
  expect(metric(after, 'sealwire_agent_readings_rejected_total', { reason: 'entropy' })).toBe(
    refused + REFUSED,
  )
  expect(metric(after, 'sealwire_agent_messages_sealed_total', { kind: 'data' })).toBe(
    sealedAtFailure,
  )
  expect(metric(after, 'sealwire_agent_readings_accepted_total')).toBe(accepted)

  // The wire: exactly the accepted readings (ids are given in order; refused ones are never
  // delivered), nothing above the high-water mark of the failure.
  await until(() => wire.dataMessages >= accepted, `${accepted} deliveries`, 20_000)
  await eventually(
    async () => metric(await metrics(), 'sealwire_agent_in_flight_messages') === 0,
    'the window to empty',
  )
  stopped = true
  expect(await agent.stop(), agent.err()).toBe(0)
  await wire.settled()
  expect(wire.errors).toEqual([])
  expect([...wire.readings.keys()].sort((a, b) => a - b)).toEqual(
    Array.from({ length: accepted }, (_, i) => i),
  )
  expect(Math.max(...wire.bySeq.keys())).toBeLessThanOrEqual(highWater)
  const s2 = capture()
  expect(await main(['status', '--state', state, '--json'], s2.io)).toBe(0)
  const end = JSON.parse(s2.out()) as {
    sequence: { lastQueued: number }
    lastError: { message: string }
  }
  expect(end.sequence.lastQueued).toBe(highWater)
  expect(end.lastError.message).toContain(code)
}

describe('hardware entropy failing while the agent runs (FIFO, H = 1)', () => {
  it('stuck samples: the Repetition Count Test latches; nothing sealed after, readings refused, alarm visible', async () => {
    await failureRun(stuck, 'ERR_ENTROPY_HEALTH_RCT')
  }, 60_000)

  it('biased samples: the Adaptive Proportion Test latches; nothing sealed after, readings refused, alarm visible', async () => {
    await failureRun(biased, 'ERR_ENTROPY_HEALTH_APT')
  }, 60_000)
})

describe('an entropy failure while the reading that drew the data key is being committed', () => {
  // Regression: the failure rotates the sealer while the outbox commits the new epoch; the agent
  // then read the epoch id back from the sealer (gone), threw after the commit, never answered
  // that reading and left its pipeline broken (every later reading hung, stop() threw).
  it('answers that reading (sealed before the failure), refuses the next, stops cleanly', async () => {
    const root = await tempDir('sealwire-chaos-entropy-race-')
    const device = await makeDevice(join(root, 'dev-1'), 'dev-1', uniquePrefix())
    const loaded = await loadSettings({
      flags: { device: device.dir, state: join(root, 'state'), broker: 'mqtt://127.0.0.1:1' },
      env: { SEALWIRE_EPOCH_MAX_MESSAGES: '2', SEALWIRE_LOG_LEVEL: 'error' },
    })
    const checked = await checkAgentSettings(loaded.settings, loaded.sources)
    const store = await openAgentStore({ stateDir: checked.stateDir })
    let samples: 'fair' | 'stuck' = 'fair'
    // In process, the source reads the moment a key is drawn: it fails within the same commit.
    const entropy = new HardwareEntropySource({
      input: { generate: (n) => (samples === 'fair' ? randomBytes(n) : stuck(n)) },
    })
    const agent = await Agent.start({
      settings: checked.settings,
      device: checked.device,
      store,
      entropy,
      broker: checked.broker,
      logger: pino({ level: 'silent' }),
    })
    let stopped = false
    cleanups.push(async () => (stopped ? undefined : agent.stop()))
    const within = <T>(p: Promise<T>, what: string): Promise<T> =>
      Promise.race([
        p,
        new Promise<T>((_, reject) =>
          setTimeout(() => reject(new Error(`${what}: no answer within 5 s`)), 5_000),
        ),
      ])
    expect(await within(agent.submit({ stream: 'fair', value: { id: 0 } }), 'reading 0')).toBe(1)
    samples = 'stuck'
    // Until a new data key is drawn, readings go into the current epoch.
    let id = 1
    for (; id < 10 && agent.entropy.health().state === 'ok'; id++) {
      expect(await within(agent.submit({ stream: 's', value: { id } }), `reading ${id}`)).toBe(1)
    }
    expect(agent.entropy.health().failure?.code).toBe('ERR_ENTROPY_HEALTH_RCT')
    const err = await caught(within(agent.submit({ stream: 's', value: { id } }), 'after'))
    expect(err.code).toBe('ERR_ENTROPY_HEALTH_RCT')
    const text = await agent.metrics.registry.metrics()
    expect(metric(text, 'sealwire_agent_readings_accepted_total')).toBe(id)
    expect(metric(text, 'sealwire_agent_messages_sealed_total', { kind: 'data' })).toBe(id)
    expect(
      metric(text, 'sealwire_agent_entropy_failures_total', { code: 'ERR_ENTROPY_HEALTH_RCT' }),
    ).toBe(1)
    stopped = true
    await within(agent.stop(), 'stop')
  }, 30_000)
})
