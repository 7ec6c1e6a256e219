/**
 * The consumer's rows on one runtime (issue 9), through `consumer/src/index.ts` only. All rows use
 * the consumer's own core (`createConsumerCore`: key layer over kms-local through the real SDK,
 * `Pipeline`, metrics) with an in-memory state (`MemoryConsumerState`), an in-memory dead-letter
 * store and a counting no-op sink; one device, one epoch whose announcement was handled before
 * timing (one `Decrypt`), so every timed lookup is a memory hit. Messages are handed over as views
 * into one received buffer, as the MQTT client gives them ({@link asReceived}).
 *
 * - **Raw AES-256-GCM decrypt** of the same plaintext (the encoded records): the floor, one row
 *   per plaintext size.
 * - **Open stage, warm epoch cache** (the goal's row): the consumer's opener and epoch key cache,
 *   called as its pipeline calls them for a compact data message: `parseEnvelope(bytes,
 *   opener.limits)`, then `opener.openCompactSync(parsed, deviceId)` (device binding, key lookup,
 *   AES-GCM with the `Enc_structure` AAD), synchronous, over a pool of the device's messages of
 *   one reading (the agent's default: 260 B of records, 300 B sealed); again with
 *   `decodeRecords` after it; and at {@link BATCH_READINGS} readings per message (the agent's
 *   `batch.maxReadings` set to 16; its default is 1), against the raw decrypt of that plaintext.
 * - **Pipeline**: `pipeline.handle` runs the whole path of a fresh compact data message (the next
 *   sequence number: a reused one would be a duplicate): topic → strict parse → epoch-key lookup
 *   → open → `decodeRecords` → replay-window check → group commit to the sink → mark delivered →
 *   metrics. Sealed in chunks outside the timed part (a trial step times only the handling). Two
 *   rows: one message in flight (awaited one at a time), and chunks of 500 handed over at once
 *   (the consumer's default `receiveMaximum`; one device, so the pipeline still handles them in
 *   order, but the sink writes are group-committed).
 * - **KMS calls per 10,000 messages**: a fresh core against kms-local; 20 devices × 500 compact
 *   data messages of one reading each, each device rotating once midway (a new `Sealer` with the
 *   agent's default epoch limits and the next boot count, continuing its sequence numbers, as a
 *   reboot or the 1-hour epoch age does), fed round-robin with up to 500 in flight; kms-local's
 *   `Decrypt` counter before and after. One measurement, not timed rounds.
 *
 * @example
 * ```ts
 * const result = await runConsumerRows(ctx, plan, console.error)
 * ```
 */
import { randomBytes } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { pino } from 'pino'
import {
  consumerDefaults,
  coreSettings,
  createConsumerCore,
  keyRingOf,
  MemoryConsumerState,
  MemoryDeadLetterStore,
} from '../../consumer/src/index.ts'
import type {
  ConsumerCore,
  KeyRing,
  OutputRecord,
  Sink,
  SinkWriteResult,
} from '../../consumer/src/index.ts'
import type { Opened, TelemetryRecord } from '../../envelope/src/index.ts'
import {
  createKeyWrapper,
  decodeRecords,
  defaultEpochLimits,
  encodeRecords,
  parseEnvelope,
  Sealer,
} from '../../envelope/src/index.ts'
import type { CheckedPublicKey } from '../../kms-client/src/index.ts'
import { fetchPublicKey, KmsSession } from '../../kms-client/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { BenchContext } from './bench_context.ts'
import { assertSameBytes, openPoolSize } from './bench_context.ts'
import type { Plan, Step, Timed } from './measure.ts'
import { reason, runRounds } from './measure.ts'
import { benchReading, SEALED_MESSAGE_BYTES } from './mqtt_trials.ts'
import { rawGcmOpen } from './raw_gcm_candidates.ts'
import type { ConsumerKmsCount, ConsumerRows, Row } from './report.ts'
import { BATCH_READINGS } from './report.ts'

const PREFIX = 'sealwire-bench'
/** Messages sealed ahead (untimed) per chunk of a consumer trial; also the in-flight window. */
const WINDOW = 500
/** The fleet of the KMS count. */
const FLEET = { devices: 20, messagesPerDevice: 500, rotateAfter: 250 } as const

/** A sink that stores nothing: it counts readings and answers at once. */
class CountingSink implements Sink {
  readonly description = 'bench: counting no-op sink'
  readings = 0
  last: OutputRecord | undefined
  write(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    this.readings += records.length
    this.last = records[records.length - 1]
    return Promise.resolve({ inserted: records.length, duplicates: 0 })
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}

interface BenchKms {
  readonly session: KmsSession
  readonly key: CheckedPublicKey
  readonly ring: KeyRing
  decrypts(): number
  close(): Promise<void>
}

async function startBenchKms(): Promise<BenchKms> {
  const server = await startKmsLocal({ port: 0 })
  const env = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }
  const session = new KmsSession({ endpoint: server.endpoint, region: server.region, env })
  const admin = new KMSClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  })
  try {
    const out = await admin.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    )
    const { checked } = await fetchPublicKey(session, out.KeyMetadata!.Arn!)
    return {
      session,
      key: checked,
      ring: keyRingOf([{ keyId: checked.keyArn, checked }]),
      decrypts: () => server.callCount('Decrypt'),
      close: async () => {
        session.close()
        await server.close()
      },
    }
  } catch (err) {
    session.close()
    await server.close()
    throw err
  } finally {
    admin.destroy()
  }
}

function newCore(kms: BenchKms, sink: Sink): ConsumerCore {
  return createConsumerCore({
    ring: kms.ring,
    session: kms.session,
    state: new MemoryConsumerState(),
    sink,
    deadLetters: new MemoryDeadLetterStore(),
    settings: coreSettings({ ...consumerDefaults, topicPrefix: PREFIX }),
    log: pino({ level: 'silent' }),
  })
}

/** A device sealing as the agent does: compact form, its own sequence numbers. */
class BenchDevice {
  readonly deviceId: string
  readonly key: CheckedPublicKey
  readonly limits: typeof defaultEpochLimits
  readonly data: string
  readonly keyTopic: string
  seq: number
  sealer: Sealer
  #boots = 0
  constructor(
    deviceId: string,
    key: CheckedPublicKey,
    limits: typeof defaultEpochLimits,
    firstSeq = 0,
  ) {
    this.deviceId = deviceId
    this.key = key
    this.limits = limits
    this.data = `${PREFIX}/${deviceId}/data`
    this.keyTopic = `${PREFIX}/${deviceId}/key`
    this.seq = firstSeq
    this.sealer = this.#newSealer()
  }
  #newSealer(): Sealer {
    return new Sealer({
      wrapper: createKeyWrapper(this.key.key),
      deviceId: this.deviceId,
      random: (n) => new Uint8Array(randomBytes(n)),
      limits: this.limits,
      bootCount: this.#boots,
      agentVersion: 'bench',
    })
  }
  /** A reboot: a new Sealer (a new epoch at the next seal), sequence numbers carry on. */
  reboot(): void {
    this.#boots++
    this.sealer = this.#newSealer()
  }
  /** Topic and bytes of the announcement (if an epoch starts) and of the data message. */
  seal(plaintext: Uint8Array): { topic: string; payload: Uint8Array }[] {
    const out = this.sealer.seal(plaintext, () => ++this.seq)
    const msgs = out.announcement ? [{ topic: this.keyTopic, payload: out.announcement.bytes }] : []
    msgs.push({ topic: this.data, payload: out.message.bytes })
    return msgs
  }
}

/**
 * The payloads as the MQTT client hands them over: views into one buffer read from the socket
 * (mqtt.js parses PUBLISH packets out of the received chunks and gives `packet.payload` as a
 * slice of them), not arrays of their own. It matters on Bun: a view of a small array made on
 * its own (`new Uint8Array(n)`, as the sealer's output is) first materialises its ArrayBuffer,
 * which no received payload costs.
 */
function asReceived(payloads: readonly Uint8Array[]): Uint8Array[] {
  const wire = Buffer.concat(payloads)
  let at = 0
  return payloads.map((p) => wire.subarray(at, (at += p.length)))
}

function expectDelivered(kind: string): void {
  if (kind !== 'delivered') throw new Error(`consumer: a message ended ${kind}, not delivered`)
}

/** The consumer trial: seals `WINDOW` messages untimed, then times handling them; repeat. */
function consumerTrial(
  core: ConsumerCore,
  device: BenchDevice,
  plaintext: Uint8Array,
  inFlight: 1 | typeof WINDOW,
): Step {
  const handle = (payload: Uint8Array) =>
    core.pipeline.handle({ topic: device.data, payload, receivedAt: Date.now() })
  return {
    kind: 'trial',
    run: async (ms) => {
      let handled = 0
      let elapsed = 0
      while (elapsed < ms) {
        const chunk = asReceived(
          Array.from({ length: WINDOW }, () => {
            const [m, extra] = device.seal(plaintext)
            if (extra) throw new Error('consumer: the epoch rotated while timed')
            return m!.payload
          }),
        )
        const start = performance.now()
        if (inFlight === 1) {
          for (const payload of chunk) expectDelivered((await handle(payload)).kind)
        } else {
          for (const o of await Promise.all(chunk.map(handle))) expectDelivered(o.kind)
        }
        elapsed += performance.now() - start
        handled += chunk.length
      }
      return (handled * 1000) / elapsed
    },
  }
}

/**
 * The consumer's warm-cache rows (open stage, open + records, pipeline, open stage at
 * {@link BATCH_READINGS} readings) against raw AES-GCM of each plaintext, in interleaved rounds.
 */
async function openRows(kms: BenchKms, ctx: BenchContext, plan: Plan, log: (line: string) => void) {
  const reading = benchReading()
  const record: TelemetryRecord = { ...reading, time: 1_700_000_000_000, clock: 0 }
  const plaintext = encodeRecords([record])
  const size = plaintext.length
  // Steady state: the epoch never closes during the run.
  const limits = { maxMessages: 2 ** 32, maxAgeMs: 1e12, maxBytes: 1e15 }
  const device = new BenchDevice('bench-consumer-0', kms.key, limits, 998)
  const sink = new CountingSink()
  const core = newCore(kms, sink)
  const before = kms.decrypts()
  const first = device.seal(plaintext)
  if (first.length !== 2) throw new Error('consumer: no announcement for the first epoch')
  const outcomes = []
  for (const m of first) {
    outcomes.push(await core.pipeline.handle({ ...m, receivedAt: Date.now() }))
  }
  if (outcomes[0]!.kind !== 'announcement') throw new Error('consumer: announcement not handled')
  expectDelivered(outcomes[1]!.kind)
  if (kms.decrypts() - before !== 1) throw new Error('consumer: the epoch did not cost one Decrypt')
  // Checked: the sink got exactly the reading that was sealed.
  const got = sink.last
  if (
    sink.readings !== 1 ||
    got === undefined ||
    got.deviceId !== device.deviceId ||
    got.stream !== record.stream ||
    !isDeepStrictEqual(got.value, record.value)
  ) {
    throw new Error('consumer: the sink did not receive the sealed reading')
  }
  const messageBytes = first[1]!.payload.length
  if (messageBytes !== SEALED_MESSAGE_BYTES) {
    throw new Error(`consumer: a data message of ${messageBytes} B, not ${SEALED_MESSAGE_BYTES}`)
  }
  // The open stage: the consumer's own opener and epoch key cache, called as its hot path calls
  // them for a compact data message (`parseEnvelope`, then `openCompactSync`), over a pool of the
  // device's messages; also at BATCH_READINGS readings per message (the agent's batching).
  const opener = core.keys.opener
  const openStage = (bytes: Uint8Array): Opened => {
    const parsed = parseEnvelope(bytes, opener.limits)
    const opened =
      parsed.form === 'compact' ? opener.openCompactSync(parsed, device.deviceId) : undefined
    if (opened === undefined) throw new Error('consumer: the epoch key is not at hand')
    return opened
  }
  /** A checked pool of the device's messages of `pt`, and a step over it. */
  const poolOf = (pt: Uint8Array, readings: number) => {
    const size = openPoolSize(pt.length)
    const pool = asReceived(Array.from({ length: size }, () => device.seal(pt)[0]!.payload))
    for (const bytes of [pool[0]!, pool[size - 1]!]) {
      const opened = openStage(bytes)
      assertSameBytes(opened.plaintext, pt, 'consumer open stage')
      const records = decodeRecords(opened.plaintext)
      if (records.length !== readings || records[0]?.stream !== record.stream) {
        throw new Error('consumer: records do not decode')
      }
    }
    let i = 0
    return (run: (bytes: Uint8Array) => number): Step => ({
      kind: 'sync',
      run: () => {
        const bytes = pool[i]!
        i = (i + 1) % size
        return run(bytes)
      },
    })
  }
  const single = poolOf(plaintext, 1)
  const batch = encodeRecords(
    Array.from({ length: BATCH_READINGS }, (_, n) => ({ ...record, time: record.time + n * 1000 })),
  )
  const batched = poolOf(batch, BATCH_READINGS)
  const openLength = (bytes: Uint8Array) => openStage(bytes).plaintext.length
  const raw = await rawGcmOpen.prepare(plaintext, ctx)
  const rawBatch = await rawGcmOpen.prepare(batch, ctx)
  const base = { op: 'open' as const, baseline: false, size }
  const rowDefs: (Omit<Row, 'rates'> & { step: Step })[] = [
    { ...base, id: 'raw-gcm-open', label: rawGcmOpen.label, floor: true, step: raw.step },
    {
      ...base,
      id: 'consumer-open',
      label:
        'consumer open stage (its opener and epoch key cache: parseEnvelope + openCompactSync)',
      step: single(openLength),
    },
    {
      ...base,
      id: 'consumer-open-records',
      label: 'consumer open stage + decodeRecords',
      step: single((bytes) => decodeRecords(openStage(bytes).plaintext).length),
    },
    {
      ...base,
      id: 'consumer-open-1',
      label: 'consumer pipeline.handle, 1 in flight (open + records + replay window + sink)',
      step: consumerTrial(core, device, plaintext, 1),
    },
    {
      ...base,
      id: 'consumer-open-500',
      label: `consumer pipeline.handle, ${WINDOW} handed over at once`,
      step: consumerTrial(core, device, plaintext, WINDOW),
    },
    {
      ...base,
      size: batch.length,
      id: 'raw-gcm-open-batch',
      label: `${rawGcmOpen.label}, ${BATCH_READINGS} readings`,
      floor: true,
      step: rawBatch.step,
    },
    {
      ...base,
      size: batch.length,
      id: 'consumer-open-batch',
      label: `consumer open stage, ${BATCH_READINGS} readings per message`,
      step: batched(openLength),
    },
  ]
  const timed: Timed[] = rowDefs.map((r) => ({ key: r.id, step: r.step }))
  const { rates, failed } = await runRounds(timed, plan, log)
  for (const [key, why] of failed) log(`consumer ${key}: failed while timed (${why})`)
  const rows: Row[] = rowDefs.map(({ step: _step, ...r }) => ({
    ...r,
    rates: rates.get(r.id),
    error: failed.get(r.id),
  }))
  if (kms.decrypts() - before !== 1) throw new Error('consumer: Decrypt was called while timed')
  await core.stop(2_000)
  return { size, messageBytes, rows }
}

/** Feeds messages in order with at most `window` in flight, as the MQTT subscriber does. */
async function feed(
  core: ConsumerCore,
  msgs: readonly { topic: string; payload: Uint8Array }[],
  window: number,
): Promise<string[]> {
  const outcomes: Promise<string>[] = []
  let inFlight = 0
  let wake: (() => void) | undefined
  for (const m of msgs) {
    while (inFlight >= window) await new Promise<void>((resolve) => (wake = resolve))
    inFlight++
    const p = core.pipeline.handle({ ...m, receivedAt: Date.now() }).then((o) => o.kind)
    void p.finally(() => {
      inFlight--
      wake?.()
      wake = undefined
    })
    outcomes.push(p)
  }
  return Promise.all(outcomes)
}

/** KMS Decrypt calls for a fleet's 10,000 messages, through a fresh consumer core. */
async function kmsCount(kms: BenchKms): Promise<ConsumerKmsCount> {
  const devices = Array.from(
    { length: FLEET.devices },
    (_, d) =>
      new BenchDevice(
        `bench-fleet-${String(d).padStart(2, '0')}`,
        kms.key,
        defaultEpochLimits,
        1000 * d,
      ),
  )
  const record: TelemetryRecord = { ...benchReading(), time: 1_700_000_000_000, clock: 0 }
  const plaintext = encodeRecords([record])
  const msgs: { topic: string; payload: Uint8Array }[] = []
  for (let n = 0; n < FLEET.messagesPerDevice; n++) {
    for (const d of devices) {
      if (n === FLEET.rotateAfter) d.reboot()
      msgs.push(...d.seal(plaintext))
    }
  }
  const announcements = msgs.filter((m) => m.topic.endsWith('/key')).length
  const messages = msgs.length - announcements
  const sink = new CountingSink()
  const core = newCore(kms, sink)
  const before = kms.decrypts()
  const started = performance.now()
  const outcomes = await feed(core, msgs, WINDOW)
  const elapsedMs = performance.now() - started
  const decrypts = kms.decrypts() - before
  await core.stop(2_000)
  const delivered = outcomes.filter((k) => k === 'delivered').length
  if (delivered !== messages || sink.readings !== messages) {
    throw new Error(`KMS count: ${delivered} of ${messages} messages delivered`)
  }
  return {
    devices: FLEET.devices,
    messages,
    epochs: announcements,
    decrypts,
    perTenThousand: (decrypts * 10_000) / messages,
    elapsedMs,
  }
}

/**
 * Runs the consumer's rows on this runtime (see the module doc). Never throws: what fails reads
 * `n/a (reason)` in the result.
 */
export async function runConsumerRows(
  ctx: BenchContext,
  plan: Plan,
  log: (line: string) => void,
): Promise<ConsumerRows> {
  let kms: BenchKms
  try {
    kms = await startBenchKms()
  } catch (err) {
    return { error: `kms-local: ${reason(err)}` }
  }
  try {
    let open: Omit<ConsumerRows, 'kms' | 'kmsError' | 'error'> | { error: string }
    try {
      open = await openRows(kms, ctx, plan, log)
    } catch (err) {
      open = { error: reason(err) }
    }
    try {
      const count = await kmsCount(kms)
      log(
        `consumer KMS count: ${count.decrypts} Decrypt for ${count.messages} messages, ` +
          `${count.epochs} epochs`,
      )
      return { ...open, kms: count }
    } catch (err) {
      return { ...open, kmsError: reason(err) }
    }
  } finally {
    await kms.close()
  }
}
