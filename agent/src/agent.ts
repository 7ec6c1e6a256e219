/**
 * The running agent: readings in (HTTP, stdin, or `submit` in process), sealed records out to
 * the durable outbox, then to MQTT.
 *
 * One pass of the pipeline (`#flush`): readings waiting since the pass before (at most
 * `batch.maxDelayMs`) are stamped with the record clock, grouped into messages of at most
 * `batch.maxReadings` records and `batch.maxBytes` record bytes, sealed in order with sequence
 * numbers from the store's allocator, and handed to the outbox in **one** call, which commits
 * them all or none (group commit shares the transaction with other work). Every `submit` of the
 * pass resolves only after that commit, so a 200 means durably queued. If the outbox refuses the
 * call, nothing of the pass is stored and, should the pass have started an epoch, the sealer
 * rotates so that no stored data ever belongs to an unannounced epoch.
 *
 * Entropy failure latches: the pipeline refuses every later reading with the entropy error and
 * no new epoch starts; the alarm gauge drops to 0 and one log event is written.
 *
 * @example
 * ```ts
 * const agent = await Agent.start({ settings, device })
 * await agent.submit([{ stream: 'temp', value: 21.5 }])
 * await agent.stop()
 * ```
 */
import type { Logger } from 'pino'
import type { TelemetryRecord } from '../../envelope/src/index.ts'
import { createKeyWrapper, encodeRecords, Sealer, toHex } from '../../envelope/src/index.ts'
import type { VerifiedDevice } from '../../device-bundle/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import { CodedError, systemClock } from '../../platform/src/index.ts'
import { RecordClock } from './clock/record_clock.ts'
import type { AgentSettings } from './config/defaults.ts'
import type { EntropySource } from './entropy/index.ts'
import type { Reading } from './ingest/parse_readings.ts'
import { checkReading } from './ingest/parse_readings.ts'
import { AgentMetrics } from './metrics/agent_metrics.ts'
import type { MetricsSnapshot } from './metrics/agent_metrics.ts'
import { outboxFeed } from './outbox_feed.ts'
import type { AgentStore, OutboxItem } from './store/index.ts'
import type { BrokerSettings, MqttLinkFactory } from './transport/index.ts'
import { MqttPublisher } from './transport/index.ts'
import { AGENT_VERSION } from './version.ts'

/** Codes of {@link AgentError}. */
export type AgentErrorCode = 'ERR_AGENT_STOPPING' | 'ERR_AGENT_SEAL'

/** The agent refused work: it is stopping, or sealing failed for a reason of its own. */
export class AgentError extends CodedError<AgentErrorCode> {}

/** What {@link Agent} is built from (the CLI resolves these from settings). */
export interface AgentParts {
  readonly settings: AgentSettings
  readonly device: VerifiedDevice
  readonly store: AgentStore
  readonly entropy: EntropySource
  readonly broker: BrokerSettings
  readonly logger: Logger
  readonly clock?: Clock
  /** Connects to the broker (tests inject faults here). */
  readonly connect?: MqttLinkFactory
  readonly random?: () => number
  /** Tells whether systemd-timesyncd has synchronised (the `ntp` clock trust). */
  readonly ntpSynchronized?: () => boolean
}

interface Pending {
  readonly readings: readonly Reading[]
  readonly resolve: (n: number) => void
  readonly reject: (err: unknown) => void
}

const utf8 = new TextEncoder()

/** A running agent. */
export class Agent {
  readonly deviceId: string
  readonly metrics: AgentMetrics
  readonly store: AgentStore
  readonly entropy: EntropySource
  readonly publisher: MqttPublisher
  readonly recordClock: RecordClock
  readonly #settings: AgentSettings
  readonly #device: VerifiedDevice
  readonly #log: Logger
  readonly #clock: Clock
  readonly #sealer: Sealer
  readonly #brokerUrl: string
  #pending: Pending[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #flushing: Promise<void> = Promise.resolve()
  #stopping = false
  #lastError: string | undefined
  readonly #unsubscribe: (() => void)[] = []

  private constructor(parts: AgentParts) {
    this.#settings = parts.settings
    this.#device = parts.device
    this.deviceId = parts.device.config.deviceId
    this.store = parts.store
    this.entropy = parts.entropy
    this.#log = parts.logger
    this.#clock = parts.clock ?? systemClock
    this.recordClock = new RecordClock({
      clock: this.#clock,
      floorMs: this.store.timeFloor.floor,
      trust: parts.settings.clock.trust,
      ...(parts.ntpSynchronized && { ntpSynchronized: parts.ntpSynchronized }),
    })
    this.#sealer = new Sealer({
      wrapper: createKeyWrapper(parts.device.bundle.key),
      deviceId: this.deviceId,
      random: (n) => this.entropy.randomBytes(n),
      now: () => this.#clock.now(),
      limits: parts.settings.epoch,
      bootCount: this.store.sequence.bootCount,
      agentVersion: AGENT_VERSION,
    })
    this.#brokerUrl = parts.broker.url
    this.publisher = new MqttPublisher(outboxFeed(this.store.outbox), parts.broker, {
      windowSize: parts.settings.transport.windowSize,
      watchdogMs: parts.settings.transport.watchdogMs,
      drainMs: parts.settings.transport.drainMs,
      backoff: parts.settings.transport.backoff,
      clock: this.#clock,
      ...(parts.random && { random: parts.random }),
      ...(parts.connect && { connect: parts.connect }),
    })
    this.metrics = new AgentMetrics({ deviceId: this.deviceId, read: () => this.snapshot() })
  }

  /**
   * Starts the agent's parts in order: the store's sweeps, the entropy source's start-up test,
   * the publisher. Resolves once readings can be submitted.
   *
   * @throws the entropy source's error when its start-up test fails (nothing is sealed).
   */
  static async start(parts: AgentParts): Promise<Agent> {
    const agent = new Agent(parts)
    await agent.#start()
    return agent
  }

  async #start(): Promise<void> {
    this.store.start()
    this.#unsubscribe.push(
      this.entropy.onFailure((err) => {
        // The current CEK was drawn before the failure: close its epoch, so nothing more is
        // sealed under it; no new epoch can start while the failure is latched.
        this.#sealer.rotate()
        this.metrics.entropyFailures.inc({ code: err.code })
        this.#setError(`${err.code}: ${err.message}`)
        this.#log.error(
          { event: 'entropy-failure', code: err.code, detail: err.message },
          'entropy health test failed; sealing stopped',
        )
      }),
      this.store.outbox.onDropped((reason, drop) => {
        this.metrics.messagesDropped.inc({ reason }, drop.messages)
        this.metrics.bytesDropped.inc({ reason }, drop.bytes)
        this.#log.warn(
          { event: 'outbox-drop', reason, messages: drop.messages, bytes: drop.bytes },
          'outbox dropped messages by policy',
        )
      }),
    )
    await this.entropy.start()
    const brokerUrl = this.#brokerUrl
    this.#unsubscribe.push(
      this.publisher.on('state', ({ state }) => {
        if (state !== 'connected') return
        this.recordClock.brokerConnected()
        this.#log.info({ event: 'connected', broker: brokerUrl }, 'connected to the broker')
      }),
      this.publisher.on('reconnect', ({ attempt, delayMs, reason }) => {
        this.metrics.reconnects.inc()
        this.#setError(`${reason.code}: ${reason.message}`)
        this.#log.warn(
          { event: 'reconnect', attempt, delayMs, code: reason.code, detail: reason.message },
          'broker connection lost; reconnecting',
        )
      }),
      this.publisher.on('watchdog', ({ inFlight, stalledMs }) => {
        this.#log.warn(
          { event: 'watchdog', inFlight, stalledMs },
          'no PUBACK progress; reconnecting',
        )
      }),
      this.publisher.on('dropped', ({ seq, reason }) => {
        this.metrics.messagesDropped.inc({ reason: 'refused' })
        this.#log.error(
          { event: 'broker-refused', seq, code: reason.code, detail: reason.message },
          'the broker refused a message',
        )
      }),
      this.publisher.on('published', () => this.metrics.messagesPublished.inc()),
      this.publisher.on('acknowledged', () => this.metrics.messagesAcknowledged.inc()),
    )
    this.publisher.start()
    this.#log.info(
      {
        event: 'started',
        device: this.deviceId,
        pin: this.#device.bundle.pinSha256,
        boot: this.store.sequence.bootCount,
      },
      'sealwire-agent started',
    )
  }

  #setError(text: string): void {
    this.#lastError = text
    this.store.recordError(text)
  }

  /**
   * Queues readings; resolves with their count once all are durably in the outbox. All or
   * nothing: a bad reading refuses the call with `ERR_READING_INVALID` before anything is
   * sealed; a full outbox (`reject-new`) refuses it with `ERR_OUTBOX_FULL` (`retryAfterMs`).
   *
   * @example
   * ```ts
   * await agent.submit({ stream: 'temp', value: 21.5 }) // 1
   * ```
   */
  submit(input: Reading | readonly Reading[]): Promise<number> {
    let readings: Reading[]
    try {
      const list = Array.isArray(input) ? input : [input as Reading]
      readings = list.map((r: unknown, i) => checkReading(r, `index ${i}`))
      if (readings.length === 0) return Promise.resolve(0)
      if (this.#stopping) throw new AgentError('ERR_AGENT_STOPPING', 'the agent is stopping')
      this.#assertEntropyHealthy()
    } catch (err) {
      this.countRejected(err, Array.isArray(input) ? input.length : 1)
      return Promise.reject(err)
    }
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ readings, resolve, reject })
      this.#schedule()
    })
  }

  #assertEntropyHealthy(): void {
    const health = this.entropy.health()
    if (health.state === 'failed' && health.failure) {
      throw new CodedError(health.failure.code, `entropy source failed: ${health.failure.message}`)
    }
  }

  /** Counts `n` readings refused with `err` (by reason) in the metrics. */
  countRejected(err: unknown, n: number): void {
    const code = (err as { code?: unknown }).code
    const reason =
      code === 'ERR_READING_INVALID' || code === 'ERR_RECORDS_INVALID'
        ? 'invalid'
        : code === 'ERR_OUTBOX_FULL' || code === 'ERR_OUTBOX_TOO_LARGE'
          ? 'outbox_full'
          : typeof code === 'string' && code.startsWith('ERR_ENTROPY')
            ? 'entropy'
            : code === 'ERR_AGENT_STOPPING'
              ? 'stopping'
              : 'internal'
    this.metrics.readingsRejected.inc({ reason }, n)
  }

  #schedule(): void {
    if (this.#timer !== undefined) return
    const delay = this.#settings.batch.maxDelayMs
    const run = (): void => {
      this.#timer = undefined
      this.#flushing = this.#flushing.then(() => this.#flush())
    }
    if (delay <= 0) {
      this.#timer = setTimeout(run, 0)
    } else {
      this.#timer = setTimeout(run, delay)
    }
  }

  async #flush(): Promise<void> {
    const pending = this.#pending
    this.#pending = []
    if (pending.length === 0) return
    let items: OutboxItem[]
    let epochStarted = false
    // Kept here, not read back from the sealer: an entropy failure during the commit below
    // rotates the sealer, and its epoch id is then gone.
    let lastEpochId: Uint8Array | undefined
    const counts = { data: 0, announcement: 0 }
    try {
      this.#assertEntropyHealthy()
      const records: TelemetryRecord[] = []
      for (const p of pending) {
        for (const r of p.readings) {
          const stamp = this.recordClock.stamp(r.time)
          records.push({ stream: r.stream, time: stamp.time, clock: stamp.clock, value: r.value })
        }
      }
      this.store.timeFloor.raiseFloor(this.recordClock.floor)
      items = []
      const { topics } = this.#device.config
      for (const group of this.#groups(records)) {
        const out = this.#sealer.seal(encodeRecords(group), () => this.store.sequence.next())
        if (out.announcement) {
          epochStarted = true
          lastEpochId = out.announcement.epochId
          counts.announcement++
          items.push({
            seq: out.announcement.seq,
            epochId: out.announcement.epochId,
            kind: 'announcement',
            topic: topics.key,
            bytes: out.announcement.bytes,
          })
        }
        counts.data++
        items.push({
          seq: out.message.seq,
          epochId: out.message.epochId,
          kind: 'data',
          topic: topics.data,
          bytes: out.message.bytes,
        })
      }
      await this.store.outbox.enqueue(items)
    } catch (err) {
      if (epochStarted) this.#sealer.rotate()
      const n = pending.reduce((s, p) => s + p.readings.length, 0)
      this.countRejected(err, n)
      const code = (err as { code?: unknown }).code
      if (code !== 'ERR_OUTBOX_FULL') {
        this.#setError(
          `${String(code ?? 'ERR_INTERNAL')}: ${err instanceof Error ? err.message : String(err)}`,
        )
        this.#log.error({ event: 'seal-failed', code }, 'readings refused')
      }
      for (const p of pending) p.reject(err)
      return
    }
    if (epochStarted) {
      this.metrics.epochs.inc(counts.announcement)
      this.#log.info({ event: 'epoch', epoch: toHex(lastEpochId!) }, 'new data-key epoch')
    }
    this.metrics.messagesSealed.inc({ kind: 'data' }, counts.data)
    if (counts.announcement > 0)
      this.metrics.messagesSealed.inc({ kind: 'announcement' }, counts.announcement)
    for (const p of pending) {
      this.metrics.readingsAccepted.inc(p.readings.length)
      p.resolve(p.readings.length)
    }
  }

  /** Splits records into messages of at most `maxReadings` records and `maxBytes` bytes. */
  *#groups(records: readonly TelemetryRecord[]): Generator<TelemetryRecord[]> {
    const { maxReadings, maxBytes } = this.#settings.batch
    let group: TelemetryRecord[] = []
    let bytes = 0
    for (const r of records) {
      // An upper bound of the record's encoding: the value as JSON is never shorter than as CBOR
      // by more than the 12-byte record head, so this keeps a message under its limit.
      const size = utf8.encode(JSON.stringify(r.value)).length + utf8.encode(r.stream).length + 24
      if (group.length > 0 && (group.length >= maxReadings || bytes + size > maxBytes)) {
        yield group
        group = []
        bytes = 0
      }
      group.push(r)
      bytes += size
    }
    if (group.length > 0) yield group
  }

  /** Live state for metrics, `/healthz` and `status`. */
  snapshot(): MetricsSnapshot {
    const depth = this.store.outbox.depth()
    const stats = this.publisher.stats()
    return {
      outboxMessages: depth.count,
      outboxBytes: depth.bytes,
      oldestQueuedAgeSeconds: (depth.oldestAgeMs ?? 0) / 1000,
      brokerConnected: stats.state === 'connected' ? 1 : 0,
      entropyHealthy: this.entropy.health().state === 'ok' ? 1 : 0,
      clockSynced: this.recordClock.synced ? 1 : 0,
      sequenceHighWater: Math.max(0, this.store.sequence.peekNext - 1),
      inFlight: stats.inFlight,
    }
  }

  /** Health for `/healthz`: failing when entropy has failed or the agent is stopping. */
  health(): { ok: boolean; detail: Record<string, unknown> } {
    const entropy = this.entropy.health()
    const snap = this.snapshot()
    const ok = entropy.state === 'ok' && !this.#stopping
    return {
      ok,
      detail: {
        device: this.deviceId,
        entropy: entropy.state,
        ...(entropy.failure && { reason: entropy.failure.code }),
        broker: snap.brokerConnected === 1 ? 'connected' : 'disconnected',
        outboxMessages: snap.outboxMessages,
        clockSynced: snap.clockSynced === 1,
        ...(this.#lastError !== undefined && { lastError: this.#lastError }),
      },
    }
  }

  /**
   * Stops intake, seals and queues what was accepted, drains in-flight messages for at most
   * `drainMs`, then closes the store cleanly.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#flushing = this.#flushing.then(() => this.#flush())
    }
    await this.#flushing
    await this.publisher.stop({ drainMs: options.drainMs ?? this.#settings.transport.drainMs })
    for (const off of this.#unsubscribe) off()
    this.store.timeFloor.raiseFloor(this.recordClock.floor)
    await this.entropy.stop()
    await this.store.stop()
    this.#sealer.close()
    this.#log.info({ event: 'stopped' }, 'sealwire-agent stopped')
  }
}
