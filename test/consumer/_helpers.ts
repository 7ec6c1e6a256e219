/**
 * Helpers of the consumer tests: kms-local with a KMS key, devices that seal as the agent does
 * (the envelope's Sealer, records codec, topic layout), in-memory sink and dead-letter fakes with
 * failure injection, a quiet logger that keeps its events, and the pipeline settings used in
 * tests.
 */
import { randomBytes } from 'node:crypto'
import { CreateKeyCommand } from '@aws-sdk/client-kms'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { createKeyWrapper, encodeRecords, Sealer, toHex } from '../../envelope/src/index.ts'
import type { EpochLimits, Form, TelemetryRecord } from '../../envelope/src/index.ts'
import { fetchPublicKey, KmsSession } from '../../kms-client/src/index.ts'
import type { CheckedPublicKey } from '../../kms-client/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalOptions, KmsLocalServer } from '../../kms-local/src/index.ts'
import type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
  NewDeadLetter,
} from '../../consumer/src/dead_letters/dead_letter_store.ts'
import { createConsumerCore } from '../../consumer/src/consumer_core.ts'
import type { KeyLayerSettings } from '../../consumer/src/keys/key_layer.ts'
import { keyRingOf } from '../../consumer/src/keys/key_ring.ts'
import type { KeyRing } from '../../consumer/src/keys/key_ring.ts'
import type { PipelineSettings } from '../../consumer/src/pipeline/pipeline.ts'
import type { OutputRecord, Sink, SinkWriteResult } from '../../consumer/src/sinks/sink.ts'
import { MemoryConsumerState } from '../../consumer/src/state/index.ts'
import type { ConsumerState } from '../../consumer/src/state/index.ts'
import { kmsClientFor } from '../helpers/index.ts'

/** Environment for sessions: no AWS_* from the machine leaks in. */
export const KMS_ENV = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }

/** A kms-local endpoint with one RSA-2048 key, and a session on it. */
export interface TestKms {
  readonly server: KmsLocalServer
  readonly session: KmsSession
  readonly key: CheckedPublicKey
  readonly ring: KeyRing
  /** Another key (creates one more on first call). */
  otherKey(): Promise<CheckedPublicKey>
  decrypts(): number
  close(): Promise<void>
}

/** Starts kms-local and creates a key; `retry` overrides the session's retry policy. */
export async function startTestKms(
  options: KmsLocalOptions = {},
  retry?: { maxRetries: number; initialMs: number; maxMs: number },
  onRetry?: (operation: string, event: { error: unknown }) => void,
): Promise<TestKms> {
  const server = await startKmsLocal({ port: 0, ...options })
  const admin = kmsClientFor(server)
  const session = new KmsSession({
    endpoint: server.endpoint,
    region: server.region,
    env: KMS_ENV,
    ...(retry !== undefined && { retry }),
    ...(onRetry !== undefined && { onRetry }),
  })
  const create = async (): Promise<CheckedPublicKey> => {
    const out = await admin.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    )
    return (await fetchPublicKey(session, out.KeyMetadata!.Arn!)).checked
  }
  const key = await create()
  let other: CheckedPublicKey | undefined
  return {
    server,
    session,
    key,
    ring: keyRingOf([{ keyId: key.keyArn, checked: key }]),
    otherKey: async () => (other ??= await create()),
    decrypts: () => server.callCount('Decrypt'),
    close: async () => {
      session.close()
      admin.destroy()
      await server.close()
    },
  }
}

/** A sealed message as it goes over MQTT. */
export interface Msg {
  readonly topic: string
  readonly payload: Uint8Array
  readonly seq: number
  readonly form: Form
  readonly epochId: string
}

/** A device that seals as the agent does: its own Sealer and sequence counter. */
export class SimDevice {
  readonly deviceId: string
  readonly topics: { readonly data: string; readonly key: string }
  readonly sealer: Sealer
  seq: number
  readonly #bootCount: number

  constructor(
    deviceId: string,
    prefix: string,
    key: CheckedPublicKey,
    options: { limits?: Partial<EpochLimits>; firstSeq?: number; bootCount?: number } = {},
  ) {
    this.deviceId = deviceId
    this.topics = { data: `${prefix}/${deviceId}/data`, key: `${prefix}/${deviceId}/key` }
    this.#bootCount = options.bootCount ?? 0
    this.sealer = this.#sealer(key, options.limits)
    this.seq = options.firstSeq ?? 0
  }

  #sealer(key: CheckedPublicKey, limits: Partial<EpochLimits> | undefined): Sealer {
    return new Sealer({
      wrapper: createKeyWrapper(key.key),
      deviceId: this.deviceId,
      random: (n) => new Uint8Array(randomBytes(n)),
      bootCount: this.#bootCount,
      agentVersion: 'test',
      ...(limits !== undefined && { limits }),
    })
  }

  /** Seals one message of `records`; the announcement first when an epoch starts. */
  seal(records: readonly TelemetryRecord[], form: Form = 'compact'): Msg[] {
    const out = this.sealer.seal(encodeRecords(records), () => ++this.seq, form)
    const msgs: Msg[] = []
    if (out.announcement) {
      msgs.push({
        topic: this.topics.key,
        payload: out.announcement.bytes,
        seq: out.announcement.seq,
        form: 'full',
        epochId: toHex(out.announcement.epochId),
      })
    }
    msgs.push({
      topic: this.topics.data,
      payload: out.message.bytes,
      seq: out.message.seq,
      form: out.message.form,
      epochId: toHex(out.message.epochId),
    })
    return msgs
  }

  /** One reading `value` on stream `s`, time 1.7e12 + seq. */
  reading(value: number, stream = 'temp'): TelemetryRecord[] {
    return [{ stream, time: 1_700_000_000_000 + this.seq, clock: 0, value }]
  }
}

/** A sink in memory, idempotent by (device, seq, index), with failures on demand. */
export class MemorySink implements Sink {
  readonly description = 'memory'
  readonly rows = new Map<string, OutputRecord>()
  writes = 0
  /** The next `failures` writes reject. */
  failures = 0
  /** Every write rejects while true. */
  down = false

  write(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    this.writes++
    if (this.down || this.failures > 0) {
      if (this.failures > 0) this.failures--
      return Promise.reject(Object.assign(new Error('sink down'), { code: 'ERR_SINK_UNAVAILABLE' }))
    }
    let inserted = 0
    for (const r of records) {
      const k = `${r.deviceId}/${r.seq}/${r.index}`
      if (this.rows.has(k)) continue
      this.rows.set(k, r)
      inserted++
    }
    return Promise.resolve({ inserted, duplicates: records.length - inserted })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

/** A dead-letter store in memory. */
export class MemoryDeadLetters implements DeadLetterStore {
  readonly description = 'memory'
  readonly letters = new Map<string, DeadLetter>()
  #next = 0

  put(letter: NewDeadLetter): Promise<DeadLetter> {
    const stored: DeadLetter = { ...letter, id: String(++this.#next).padStart(8, '0') }
    this.letters.set(stored.id, stored)
    return Promise.resolve(stored)
  }

  async *list(): AsyncIterable<DeadLetter> {
    for (const l of [...this.letters.values()]) yield l
  }

  update(
    id: string,
    reason: DeadLetterReason,
    detail: string,
  ): ReturnType<DeadLetterStore['update']> {
    const l = this.letters.get(id)
    if (l) this.letters.set(id, { ...l, reason, detail })
    return Promise.resolve(l !== undefined) as unknown as ReturnType<DeadLetterStore['update']>
  }

  remove(id: string): Promise<boolean> {
    return Promise.resolve(this.letters.delete(id))
  }

  count(): Promise<Readonly<Partial<Record<DeadLetterReason, number>>>> {
    const out: Partial<Record<DeadLetterReason, number>> = {}
    for (const l of this.letters.values()) out[l.reason] = (out[l.reason] ?? 0) + 1
    return Promise.resolve(out)
  }

  byReason(reason: DeadLetterReason): DeadLetter[] {
    return [...this.letters.values()].filter((l) => l.reason === reason)
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

/** A silent logger that keeps every event (pino objects). */
export function quietLogger(): { log: Logger; events: Record<string, unknown>[] } {
  const events: Record<string, unknown>[] = []
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void events.push(JSON.parse(line) as Record<string, unknown>) },
  )
  return { log, events }
}

/** Key-layer settings for tests. */
export const TEST_KEY_SETTINGS: KeyLayerSettings = Object.freeze({
  cacheEntries: 10_000,
  cacheTtlMs: 3_600_000,
  ratePerSecond: 400,
  maxConcurrent: 32,
  throttleRetryMs: 60_000,
})

/** Pipeline settings for tests (`over` replaces parts). */
export function testPipelineSettings(
  prefix: string,
  over: Partial<PipelineSettings> = {},
): PipelineSettings {
  return {
    topicPrefix: prefix,
    parking: { maxMessages: 10_000, maxAgeMs: 30_000 },
    epochBudget: { windowMs: 600_000, perDevice: 100, total: 100_000 },
    sink: {
      initialMs: 5,
      maxMs: 50,
      deadLetterAfterMs: 5_000,
      batchMaxRecords: 1000,
      batchesInFlight: 2,
    },
    storeRetry: { initialMs: 5, maxMs: 50 },
    ...over,
  }
}

/** The parts {@link testCore} builds a consumer core from; each defaults to a fresh one. */
export interface TestCoreParts {
  readonly state?: ConsumerState
  readonly sink?: MemorySink
  readonly letters?: MemoryDeadLetters
  readonly session?: KmsSession
  /** Replaces parts of {@link TEST_KEY_SETTINGS}. */
  readonly keys?: Partial<KeyLayerSettings>
  /** Replaces parts of {@link testPipelineSettings}. */
  readonly pipeline?: Partial<PipelineSettings>
}

/**
 * A consumer core on the test KMS with in-memory state, sink and dead letters (or the ones
 * given), the test settings and a quiet logger whose events are kept.
 */
export function testCore(kms: TestKms, prefix: string, parts: TestCoreParts = {}) {
  const state = parts.state ?? new MemoryConsumerState()
  const sink = parts.sink ?? new MemorySink()
  const letters = parts.letters ?? new MemoryDeadLetters()
  const { log, events } = quietLogger()
  const core = createConsumerCore({
    ring: kms.ring,
    session: parts.session ?? kms.session,
    state,
    sink,
    deadLetters: letters,
    settings: {
      keys: { ...TEST_KEY_SETTINGS, ...parts.keys },
      pipeline: testPipelineSettings(prefix, parts.pipeline),
    },
    log,
  })
  return { core, state, sink, letters, events }
}

/** A fresh topic prefix. */
export function uniquePrefix(): string {
  return `sealwire-test/${randomBytes(6).toString('hex')}`
}

/** Polls `condition` until true, or throws naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
