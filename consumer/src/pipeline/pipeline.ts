/**
 * The consumer's message pipeline: one MQTT message in, one durable outcome out. A message is
 * acknowledged to the broker only once this resolves: its readings committed to the sink, or the
 * message kept as a dead letter, or it was an already-delivered duplicate, or an announcement
 * whose bytes are in the shared state.
 *
 * Per message:
 * 1. The device id comes from the topic (`<prefix>/<device>/data|key`); any other topic is
 *    `bad-topic`. The envelope is parsed strictly before any key is touched (`malformed`,
 *    `unsupported-alg`); a full message naming a kid this consumer does not serve is
 *    `unknown-kid`, with no KMS call; a message of an epoch held for another device was moved to
 *    this topic and is `decryption-failed`, with no KMS call.
 * 2. The first message of an epoch that is neither in memory nor stored counts against the
 *    new-epoch budget (per device and in total, `ConsumerState.countNewEpoch`); beyond it,
 *    `epoch-budget`, with no KMS call. Concurrent messages of one epoch wait for the first: one
 *    budget count, one `Decrypt`.
 * 3. **Announcements** (key topic, full form) open through `Opener.openAnnouncement`; their bytes
 *    go to the shared state and their sequence number is marked delivered (it carries no
 *    readings, and is not a gap), then the messages parked for the epoch are retried.
 * 4. **Data** (either form) opens through the `Opener`; a compact message of an unknown epoch
 *    waits for an announcement being opened, or is **parked** (kept as an `epoch-unknown` dead
 *    letter, retried when the announcement is opened, for `parking.maxAgeMs` at most). Records
 *    decode (`records-invalid`), the replay window is asked (a duplicate or a number below the
 *    window is counted and dropped, never delivered twice), the readings go to the sink (retried
 *    with backoff while the acknowledgement is held; `sink-failed` after
 *    `sink.deadLetterAfterMs`; `records-invalid` at once for a record the sink can never store),
 *    then the number is marked delivered and any gap is reported.
 * 5. Data messages of one device are handled one at a time, in arrival order; devices in
 *    parallel.
 *
 * State and dead-letter store failures are retried with backoff (the acknowledgement held) until
 * they succeed or the consumer stops; nothing is dropped silently.
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline({ keys, state, sink, deadLetters, metrics, log, settings })
 * const outcome = await pipeline.handle({ topic, payload, receivedAt: Date.now() })
 * if (outcome.kind !== 'stopped') ack()
 * ```
 */
import type { Logger } from 'pino'
import {
  decodeRecords,
  EpochUnknownError,
  epochIdOf,
  parseEnvelope,
  toHex,
} from '../../../envelope/src/index.ts'
import type {
  Opened,
  ParsedCompact,
  ParsedEnvelope,
  TelemetryRecord,
} from '../../../envelope/src/index.ts'
import { deviceIdFromTopic } from '../../../device-bundle/src/index.ts'
import { fullJitterDelay, plain, systemClock } from '../../../platform/src/index.ts'
import type { BackoffBounds, Clock } from '../../../platform/src/index.ts'
import type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
} from '../dead_letters/dead_letter_store.ts'
import { EpochBudgetError, SinkUnavailableError } from '../errors.ts'
import type { KeyLayer } from '../keys/key_layer.ts'
import type { ConsumerMetrics } from '../metrics/consumer_metrics.ts'
import type { OutputRecord, Sink } from '../sinks/sink.ts'
import type { ConsumerState, MarkResult, ReplayVerdict } from '../state/consumer_state.ts'
import { GroupCommit } from './group_commit.ts'
import { KeyedQueue } from './keyed_queue.ts'
import type { Parked } from './parking_lot.ts'
import { ParkingLot } from './parking_lot.ts'
import type { Undeliverable } from './reasons.ts'
import { detailOf, undeliverableOf } from './reasons.ts'

/** One received message. */
export interface InboundMessage {
  readonly topic: string
  readonly payload: Uint8Array
  /** When it was received, ms since 1970. */
  readonly receivedAt: number
}

/** How a message ended. Every kind but `stopped` is durable: acknowledge it. */
export type Outcome =
  | { readonly kind: 'delivered'; readonly readings: number }
  | { readonly kind: 'announcement'; readonly epochId: string }
  | { readonly kind: 'duplicate'; readonly verdict: 'duplicate' | 'too-old' }
  | { readonly kind: 'parked'; readonly epochId: string }
  | { readonly kind: 'dead-lettered'; readonly reason: DeadLetterReason }
  /** The consumer stopped before the message was handled: do not acknowledge it. */
  | { readonly kind: 'stopped' }

/** What retrying one dead letter did. */
export type LetterOutcome =
  | { readonly kind: 'delivered' | 'announcement' | 'duplicate'; readonly removed: true }
  | { readonly kind: 'kept'; readonly reason: DeadLetterReason; readonly detail: string }
  | { readonly kind: 'stopped' }

/** The settings of the pipeline (README "Settings"). */
export interface PipelineSettings {
  readonly topicPrefix: string
  readonly parking: { readonly maxMessages: number; readonly maxAgeMs: number }
  readonly epochBudget: {
    readonly windowMs: number
    readonly perDevice: number
    readonly total: number
  }
  readonly sink: BackoffBounds & {
    readonly deadLetterAfterMs: number
    /** Most readings in one sink write (group commit). */
    readonly batchMaxRecords: number
    /** Most sink writes in flight. */
    readonly batchesInFlight: number
  }
  /** Backoff of retried state and dead-letter store calls. */
  readonly storeRetry: BackoffBounds
}

/** What the pipeline is made of. */
export interface PipelineParts {
  readonly keys: KeyLayer
  readonly state: ConsumerState
  readonly sink: Sink
  readonly deadLetters: DeadLetterStore
  readonly metrics: ConsumerMetrics
  readonly log: Logger
  readonly settings: PipelineSettings
  /** Aborted when the consumer stops: retries and waits end, the message is not acknowledged. */
  readonly signal?: AbortSignal | undefined
  readonly clock?: Clock | undefined
  readonly random?: (() => number) | undefined
}

type Mode = 'live' | 'retry'

/** What handling a message resolved to, before parking and dead-lettering. */
type Result =
  | { readonly kind: 'delivered'; readonly readings: number }
  | { readonly kind: 'announcement'; readonly epochId: string }
  | { readonly kind: 'duplicate'; readonly verdict: 'duplicate' | 'too-old' }
  | { readonly kind: 'park'; readonly deviceId: string; readonly epochId: string }
  | ({ readonly kind: 'undeliverable' } & Undeliverable)

const MOVED: Undeliverable = Object.freeze({
  reason: 'decryption-failed',
  detail: detailOf('ERR_DECRYPTION_FAILED', 'decryption failed'),
})

class Stopped extends Error {
  constructor() {
    super('the consumer is stopping')
  }
}

/** The dead-letter store refused a letter for its size: it cannot be kept, ever. */
class TooLarge extends Error {
  constructor(cause: unknown) {
    super('dead letter too large', { cause })
  }
}

/** Where a topic routes: its device and kind. */
type Route = NonNullable<ReturnType<typeof deviceIdFromTopic>>

/** Topics whose route is remembered at most (the cache is cleared when full). */
const ROUTES_KEPT = 10_000

function epochKey(deviceId: string, epochIdHex: string): string {
  return `${deviceId}\u0000${epochIdHex}`
}

/**
 * The pipeline (see the module doc).
 *
 * @example
 * ```ts
 * await pipeline.handle({ topic: 'sealwire/dev-1/data', payload, receivedAt: Date.now() })
 * ```
 */
export class Pipeline {
  readonly #keys: KeyLayer
  readonly #state: ConsumerState
  readonly #commits: GroupCommit
  readonly #letters: DeadLetterStore
  readonly #metrics: ConsumerMetrics
  readonly #log: Logger
  readonly #settings: PipelineSettings
  readonly #signal: AbortSignal | undefined
  readonly #clock: Clock
  readonly #random: () => number
  readonly #queue = new KeyedQueue()
  readonly #lot: ParkingLot
  /** (device, epoch) → settles when the first message of that epoch has been handled. */
  readonly #pending = new Map<string, Promise<void>>()
  /** Messages and letters being handled now; drain waits for 0. */
  #inFlight = 0
  readonly #idle: (() => void)[] = []
  /** Topic → route, for the topics seen lately (bounded: cleared when full). */
  readonly #routes = new Map<string, Route | null>()
  /** The last compact epoch id seen and its hex: the next message is most likely of it too. */
  readonly #lastEpochId = new Uint8Array(8)
  #lastEpochHex: string | undefined
  #stateFailures = 0

  constructor(parts: PipelineParts) {
    this.#keys = parts.keys
    this.#state = parts.state
    this.#commits = new GroupCommit(parts.sink, {
      maxRecords: parts.settings.sink.batchMaxRecords,
      maxBatches: parts.settings.sink.batchesInFlight,
      onBatch: (result, _records, seconds) => {
        this.#metrics.sinkWritten(result.inserted, result.duplicates, seconds)
      },
    })
    this.#letters = parts.deadLetters
    this.#metrics = parts.metrics
    this.#log = parts.log
    this.#settings = parts.settings
    this.#signal = parts.signal
    this.#clock = parts.clock ?? systemClock
    this.#random = parts.random ?? Math.random
    this.#lot = new ParkingLot({
      maxMessages: parts.settings.parking.maxMessages,
      maxAgeMs: parts.settings.parking.maxAgeMs,
      clock: this.#clock,
      onExpired: (parked, why) => {
        for (const p of parked) {
          this.#metrics.deadLetters.inc({ reason: 'epoch-unknown' })
          this.#log.warn(
            {
              event: 'dead-letter',
              reason: 'epoch-unknown',
              device: p.deviceId,
              epoch: p.epochIdHex,
              letter: p.letterId,
              why,
            },
            `no key announcement for epoch ${p.epochIdHex} of ${p.deviceId}: kept as a dead letter`,
          )
        }
      },
    })
  }

  /** Messages being handled now (received, not yet durable). */
  get inFlight(): number {
    return this.#inFlight
  }

  /** Messages parked now. */
  get parked(): number {
    return this.#lot.size
  }

  /**
   * Handles one received message; resolves once its outcome is durable (acknowledge it then),
   * or with `stopped` when the consumer stopped first (do not acknowledge it).
   */
  handle(msg: InboundMessage): Promise<Outcome> {
    let fast: Promise<Outcome> | undefined
    try {
      fast = this.#fast(msg)
    } catch {
      // Only a message the hot path cannot even look at (it has done nothing then): the general
      // path handles it, and reports what is wrong with it.
    }
    return fast ?? this.#track(this.#handle(msg))
  }

  /**
   * Retries one dead letter (the `replay` command): what opens is delivered once and the letter
   * removed; the rest stays, with its reason and detail updated. Never parks.
   */
  retryLetter(letter: DeadLetter): Promise<LetterOutcome> {
    return this.#track(this.#retryLetter(letter, 'replay'))
  }

  /**
   * Retries the `epoch-unknown` letters that no lot of this instance holds and that are at least
   * `minAgeMs` old: messages parked by an instance that was killed before their announcement was
   * opened (a parked message is a dead letter already acknowledged, so its lot is the only thing
   * that would have retried it), or parked by another live instance (retrying them here as well
   * is harmless: the replay window and the sink's key make the second delivery a duplicate). What
   * opens now is delivered once and its letter removed; the rest stays. At most `limit` letters
   * per call. Resolves to the number delivered.
   */
  async retryOrphanedParked(minAgeMs: number, limit: number): Promise<number> {
    const now = this.#clock.now()
    let delivered = 0
    let tried = 0
    for await (const letter of this.#letters.list()) {
      if (this.#signal?.aborted || tried >= limit) break
      if (letter.reason !== 'epoch-unknown' || now - letter.at < minAgeMs) continue
      if (this.#lot.holds(letter.id)) continue
      tried++
      const outcome = await this.#track(this.#retryLetter(letter, 'replay'))
      if (outcome.kind !== 'kept' && outcome.kind !== 'stopped') delivered++
    }
    if (delivered > 0) {
      this.#log.info(
        { event: 'orphans-retried', tried, delivered },
        `${delivered} parked message(s) another instance left were delivered`,
      )
    }
    return delivered
  }

  /**
   * Waits for the messages in flight (at most `timeoutMs`), then stops the lot's timer. What is
   * parked stays dead-lettered. Resolves to the number still in flight (0 when drained).
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = this.#clock.monotonic() + timeoutMs
    while (this.#inFlight > 0) {
      const left = deadline - this.#clock.monotonic()
      if (left <= 0) break
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>((resolve) => {
        this.#idle.push(resolve)
        timer = setTimeout(resolve, left)
      })
      clearTimeout(timer)
    }
    this.#lot.close()
    return this.#inFlight
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight++
    const settle = (): void => this.#settled()
    p.then(settle, settle)
    return p
  }

  /** One message or letter in flight is done. */
  #settled(): void {
    if (--this.#inFlight === 0 && this.#idle.length > 0) {
      for (const wake of this.#idle.splice(0)) wake()
    }
  }

  /** `deviceIdFromTopic`, remembered for the topics seen lately. */
  #route(topic: string): Route | undefined {
    let route = this.#routes.get(topic)
    if (route === undefined) {
      route = deviceIdFromTopic(topic, this.#settings.topicPrefix) ?? null
      if (this.#routes.size >= ROUTES_KEPT) this.#routes.clear()
      this.#routes.set(topic, route)
    }
    return route ?? undefined
  }

  /** The hex of a compact message's epoch id, reusing the last one's string when it is the same. */
  #epochHex(epochId: Uint8Array): string {
    const last = this.#lastEpochId
    if (this.#lastEpochHex !== undefined && sameBytes(epochId, last)) return this.#lastEpochHex
    const hex = toHex(epochId)
    last.set(epochId)
    this.#lastEpochHex = hex
    return hex
  }

  /**
   * The hot path, taken by a compact data message: the same steps and checks as
   * {@link #process} and {@link #data}. When its device has nothing else queued it runs in the
   * device's turn at once, with no promise before the sink write when the epoch key and the
   * replay state are at hand; else it waits for its turn, already parsed. `undefined` (nothing
   * done, nothing counted) for any other message.
   */
  #fast(msg: InboundMessage): Promise<Outcome> | undefined {
    if (this.#signal?.aborted) return undefined
    const route = this.#route(msg.topic)
    if (route === undefined || route.kind !== 'data') return undefined
    let parsed: ParsedEnvelope
    try {
      parsed = parseEnvelope(msg.payload, this.#keys.opener.limits)
    } catch {
      return undefined
    }
    if (parsed.form !== 'compact') return undefined
    const { deviceId } = route
    const epochId = this.#epochHex(parsed.epochId)
    const owner = this.#keys.cache.deviceOf(epochId)
    if (owner !== undefined && owner !== deviceId) return undefined
    this.#metrics.hot.receivedData++
    this.#inFlight++
    if (this.#queue.tryEnter(deviceId)) return this.#turn(msg, deviceId, parsed, epochId)
    // The device is busy: this message waits for its turn, already parsed.
    return new Promise<Outcome>((resolve) => {
      this.#queue.enter(deviceId, () => resolve(this.#turn(msg, deviceId, parsed, epochId)))
    })
  }

  /**
   * A compact data message of the hot path in its device's turn (taken, and counted in flight):
   * its steps, then the turn handed on and the message counted done.
   */
  #turn(
    msg: InboundMessage,
    deviceId: string,
    parsed: ParsedCompact,
    epochId: string,
  ): Promise<Outcome> {
    let p: Promise<Result>
    try {
      p = this.#data(msg, deviceId, parsed, epochId, 'live')
    } catch (err) {
      p = Promise.reject(err)
    }
    return p.then(
      (result) => {
        this.#queue.leave(deviceId)
        if (result.kind !== 'park' && result.kind !== 'undeliverable') {
          this.#settled()
          return result
        }
        const q = this.#outcome(msg, result)
        const settle = (): void => this.#settled()
        q.then(settle, settle)
        return q
      },
      (err: unknown) => {
        this.#queue.leave(deviceId)
        this.#settled()
        return this.#stoppedOr(err)
      },
    )
  }

  async #handle(msg: InboundMessage): Promise<Outcome> {
    try {
      // Synchronous up to the first await for announcements: an epoch being opened is known to
      // the data messages that follow at once, so they wait for it instead of parking.
      return await this.#outcome(msg, await this.#process(msg, 'live'))
    } catch (err) {
      return this.#stoppedOr(err)
    }
  }

  /** What a result comes to: parked and undeliverable messages are kept as dead letters first. */
  #outcome(msg: InboundMessage, result: Result): Promise<Outcome> {
    switch (result.kind) {
      case 'park':
        return this.#park(msg, result.deviceId, result.epochId)
      case 'undeliverable':
        return this.#deadLetter(msg, result)
      default:
        return Promise.resolve(result)
    }
  }

  /** `stopped` for an error of the consumer stopping; any other error is thrown again. */
  #stoppedOr(err: unknown): Outcome {
    if (err instanceof Stopped || this.#signal?.aborted) return { kind: 'stopped' }
    throw err
  }

  #process(msg: InboundMessage, mode: Mode): Promise<Result> {
    const route = this.#route(msg.topic)
    if (mode === 'live') this.#metrics.countReceived(route?.kind)
    if (route === undefined) {
      return Promise.resolve({
        kind: 'undeliverable',
        reason: 'bad-topic',
        detail: `topic ${plain(msg.topic, 200)} is not ${this.#settings.topicPrefix}/<device>/data or /key`,
      })
    }
    let parsed: ParsedEnvelope
    try {
      parsed = parseEnvelope(msg.payload, this.#keys.opener.limits)
    } catch (err) {
      return Promise.resolve(this.#undeliverable(err))
    }
    const { deviceId } = route
    if (parsed.form === 'full' && !this.#keys.ring.has(parsed.kid)) {
      return Promise.resolve({
        kind: 'undeliverable',
        reason: 'unknown-kid',
        detail: `recipient kid ${toHex(parsed.kid)} is not a served key`,
      })
    }
    const epochId =
      parsed.form === 'full' ? toHex(epochIdOf(parsed.wrapped)) : this.#epochHex(parsed.epochId)
    const owner = this.#keys.cache.deviceOf(epochId)
    if (owner !== undefined && owner !== deviceId) {
      return Promise.resolve({ kind: 'undeliverable', ...MOVED })
    }
    if (route.kind === 'key') {
      if (parsed.form !== 'full') {
        return Promise.resolve({
          kind: 'undeliverable',
          reason: 'malformed',
          detail: detailOf('ERR_ENVELOPE_INVALID', 'an announcement is a full message'),
        })
      }
      return this.#announcement(msg, deviceId, epochId)
    }
    return this.#queue.run(deviceId, () => this.#data(msg, deviceId, parsed, epochId, mode))
  }

  async #announcement(msg: InboundMessage, deviceId: string, epochId: string): Promise<Result> {
    try {
      await this.#withEpoch(deviceId, epochId, async () => {
        const opened = await this.#keys.opener.openAnnouncement(msg.payload, deviceId)
        this.#metrics.opened.inc({ form: 'full', topic: 'key' })
        // Stored before anything is acknowledged: any instance, after any restart, can recover
        // this epoch with one Decrypt. Its number carries no readings: marked, so it is no gap.
        await this.#retrying('putAnnouncement', () =>
          this.#state.putAnnouncement({
            deviceId,
            epochIdHex: epochId,
            topic: msg.topic,
            bytes: msg.payload,
            receivedAt: msg.receivedAt,
          }),
        )
        await this.#retrying('markDelivered', () => this.#state.markDelivered(deviceId, opened.seq))
      })
    } catch (err) {
      return this.#undeliverable(err)
    }
    this.#releaseParked(deviceId, epochId)
    return { kind: 'announcement', epochId }
  }

  /**
   * The per-device part of a data message (run in the device's turn). Synchronous up to the sink
   * write when the epoch's keys are in memory and the state answers at once.
   */
  #data(
    msg: InboundMessage,
    deviceId: string,
    parsed: ParsedEnvelope,
    epochId: string,
    mode: Mode,
  ): Promise<Result> {
    if (parsed.form === 'compact') {
      let opened: Opened | undefined
      try {
        opened = this.#keys.opener.openCompactSync(parsed, deviceId)
      } catch (err) {
        return this.#undeliverableLater(err)
      }
      if (opened !== undefined) return this.#deliver(msg, deviceId, epochId, opened)
    }
    return this.#openThenDeliver(msg, deviceId, parsed, epochId, mode)
  }

  async #openThenDeliver(
    msg: InboundMessage,
    deviceId: string,
    parsed: ParsedEnvelope,
    epochId: string,
    mode: Mode,
  ): Promise<Result> {
    let opened: Opened
    try {
      if (parsed.form === 'full') {
        opened = await this.#withEpoch(deviceId, epochId, () =>
          this.#keys.opener.open(msg.payload, deviceId),
        )
      } else {
        const compact = await this.#openCompact(msg, deviceId, epochId)
        if (compact === undefined) {
          if (mode === 'live') return { kind: 'park', deviceId, epochId }
          return this.#undeliverable(new EpochUnknownError(epochId))
        }
        opened = compact
      }
    } catch (err) {
      return this.#undeliverable(err)
    }
    return this.#deliver(msg, deviceId, epochId, opened)
  }

  /** Records, replay window, sink, mark: the steps after a data message opened. */
  #deliver(
    msg: InboundMessage,
    deviceId: string,
    epochId: string,
    opened: Opened,
  ): Promise<Result> {
    if (opened.form === 'compact') this.#metrics.hot.openedCompactData++
    else this.#metrics.opened.inc({ form: opened.form, topic: 'data' })
    let records: TelemetryRecord[]
    try {
      records = decodeRecords(opened.plaintext)
    } catch (err) {
      return this.#undeliverableLater(err)
    }
    const seq = opened.seq
    const state = this.#state
    let verdict: ReplayVerdict | undefined
    if (state.seenSync !== undefined) {
      try {
        verdict = state.seenSync(deviceId, seq)
      } catch {
        // Retried (and logged) through the asynchronous call below.
      }
    }
    if (verdict === undefined) {
      return this.#retrying('seen', () => state.seen(deviceId, seq)).then((v) =>
        this.#afterSeen(msg, deviceId, epochId, seq, records, v),
      )
    }
    return this.#afterSeen(msg, deviceId, epochId, seq, records, verdict)
  }

  #afterSeen(
    msg: InboundMessage,
    deviceId: string,
    epochId: string,
    seq: number,
    records: readonly TelemetryRecord[],
    verdict: ReplayVerdict,
  ): Promise<Result> {
    if (verdict !== 'new') {
      this.#metrics.duplicates.inc({ verdict })
      this.#log.debug({ event: 'duplicate', device: deviceId, seq, verdict }, 'duplicate dropped')
      return Promise.resolve({ kind: 'duplicate', verdict })
    }
    const receivedAt = msg.receivedAt
    const output: OutputRecord[] = new Array(records.length)
    for (let index = 0; index < records.length; index++) {
      const r = records[index]!
      output[index] = {
        deviceId,
        seq,
        index,
        stream: r.stream,
        time: r.time,
        clock: r.clock,
        value: r.value,
        epochId,
        receivedAt,
      }
    }
    const started = this.#clock.monotonic()
    return this.#commits.write(output).then(
      () => this.#afterWrite(deviceId, seq, output.length),
      (err: unknown) =>
        this.#writeRetrying(output, started, err).then(
          () => this.#afterWrite(deviceId, seq, output.length),
          (e: unknown) => this.#undeliverable(e),
        ),
    )
  }

  /** Marks the number delivered once its readings are durable, and reports a gap. */
  #afterWrite(deviceId: string, seq: number, readings: number): Result | Promise<Result> {
    const state = this.#state
    if (state.markDeliveredSync !== undefined) {
      let mark: MarkResult | undefined
      try {
        mark = state.markDeliveredSync(deviceId, seq)
      } catch {
        // Retried (and logged) through the asynchronous call below.
      }
      if (mark !== undefined) return this.#marked(deviceId, seq, readings, mark)
    }
    return this.#retrying('markDelivered', () => state.markDelivered(deviceId, seq)).then((m) =>
      this.#marked(deviceId, seq, readings, m),
    )
  }

  #marked(deviceId: string, seq: number, readings: number, mark: MarkResult): Result {
    if (!mark.newly) {
      // Another instance delivered it meanwhile (the sink stored its readings once).
      this.#metrics.duplicates.inc({ verdict: 'duplicate' })
      return { kind: 'duplicate', verdict: 'duplicate' }
    }
    this.#metrics.hot.delivered++
    if (mark.gap > 0) {
      this.#metrics.gaps.inc(mark.gap)
      this.#metrics.gapEvents.inc()
      this.#log.warn(
        { event: 'gap', device: deviceId, seq, missing: mark.gap, after: seq - mark.gap - 1 },
        `${mark.gap} sequence number(s) of ${deviceId} skipped before ${seq}`,
      )
    }
    return { kind: 'delivered', readings }
  }

  /** Opens a compact message; `undefined` when its epoch is unknown (nothing being opened). */
  async #openCompact(
    msg: InboundMessage,
    deviceId: string,
    epochId: string,
  ): Promise<Opened | undefined> {
    for (;;) {
      try {
        return await this.#keys.opener.open(msg.payload, deviceId)
      } catch (err) {
        if (!(err instanceof EpochUnknownError)) throw err
      }
      const pending = this.#pending.get(epochKey(deviceId, epochId))
      if (pending === undefined) return undefined
      await pending
    }
  }

  /**
   * Runs `open` for a message of (device, epoch). The first message of an epoch not in memory
   * goes alone: it recovers a stored epoch, or counts a new one against the budget, then opens
   * (one Decrypt); the others wait for it, then open from memory. If it fails, the next one
   * tries.
   */
  async #withEpoch<T>(deviceId: string, epochId: string, open: () => Promise<T>): Promise<T> {
    const k = epochKey(deviceId, epochId)
    for (;;) {
      if (this.#keys.cache.peek(deviceId, epochId) !== undefined) return open()
      const pending = this.#pending.get(k)
      if (pending !== undefined) {
        await pending
        continue
      }
      const first = this.#firstOfEpoch(deviceId, epochId, open)
      const settled = first.then(
        () => undefined,
        () => undefined,
      )
      this.#pending.set(k, settled)
      try {
        return await first
      } finally {
        if (this.#pending.get(k) === settled) this.#pending.delete(k)
      }
    }
  }

  async #firstOfEpoch<T>(deviceId: string, epochId: string, open: () => Promise<T>): Promise<T> {
    // A stored announcement makes a known epoch (recovered with one Decrypt), not a new one.
    const known = await this.#keys.cache.get(deviceId, epochId)
    if (known === undefined) {
      const { windowMs, perDevice, total } = this.#settings.epochBudget
      const counts = await this.#retrying('countNewEpoch', () =>
        this.#state.countNewEpoch(deviceId, this.#clock.now(), windowMs),
      )
      this.#metrics.newEpochs.inc()
      if (counts.device > perDevice || counts.total > total) {
        throw new EpochBudgetError(deviceId, counts, this.#settings.epochBudget)
      }
    }
    return open()
  }

  /**
   * After a failed sink write (`err`, the write begun at `started`): retried with backoff while
   * the acknowledgement is held; `sink-failed` after `sink.deadLetterAfterMs`; a record the sink
   * can never store is refused at once.
   */
  async #writeRetrying(
    records: readonly OutputRecord[],
    started: number,
    err: unknown,
  ): Promise<void> {
    const { deadLetterAfterMs } = this.#settings.sink
    for (let attempt = 0; ; attempt++) {
      this.#stopIfAborted()
      this.#metrics.sinkFailures.inc()
      // A record the sink can never store: retrying cannot help.
      if (codeOf(err) === 'ERR_SINK_RECORD_REJECTED') throw err
      const waited = this.#clock.monotonic() - started
      this.#log.warn(
        { event: 'sink-failed', attempt: attempt + 1, code: codeOf(err), error: messageOf(err) },
        'sink write failed; acknowledgement held, retrying',
      )
      if (waited >= deadLetterAfterMs) throw new SinkUnavailableError(Math.round(waited), err)
      await this.#sleep(fullJitterDelay(Math.min(attempt, 20), this.#settings.sink, this.#random))
      try {
        await this.#commits.write(records)
        this.#log.info({ event: 'sink-recovered', attempts: attempt + 2 }, 'sink write succeeded')
        return
      } catch (e) {
        err = e
      }
    }
  }

  /** Retries a state or dead-letter store call until it succeeds or the consumer stops. */
  async #retrying<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call()
      } catch (err) {
        if (err instanceof TooLarge) throw err
        this.#stopIfAborted()
        this.#metrics.stateFailures.inc()
        if (this.#stateFailures++ % 100 === 0) {
          this.#log.warn(
            {
              event: 'store-failed',
              call: what,
              attempt: attempt + 1,
              code: codeOf(err),
              error: messageOf(err),
            },
            `${what} failed; acknowledgement held, retrying`,
          )
        }
        await this.#sleep(
          fullJitterDelay(Math.min(attempt, 20), this.#settings.storeRetry, this.#random),
        )
      }
    }
  }

  async #sleep(ms: number): Promise<void> {
    try {
      await this.#clock.sleep(ms, this.#signal)
    } catch {
      throw new Stopped()
    }
  }

  #stopIfAborted(): void {
    if (this.#signal?.aborted) throw new Stopped()
  }

  /** {@link #undeliverable} as a promise (a rejection for what it throws). */
  #undeliverableLater(err: unknown): Promise<Result> {
    try {
      return Promise.resolve(this.#undeliverable(err))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  #undeliverable(err: unknown): Result {
    this.#stopIfAborted()
    if (err instanceof Stopped) throw err
    const why = undeliverableOf(err)
    if (why === undefined) throw err
    return { kind: 'undeliverable', ...why }
  }

  async #deadLetter(msg: InboundMessage, why: Undeliverable): Promise<Outcome> {
    const letter = await this.#keep(msg, why.reason, why.detail)
    this.#metrics.deadLetters.inc({ reason: why.reason })
    this.#log.warn(
      {
        event: 'dead-letter',
        reason: why.reason,
        topic: plain(msg.topic, 200),
        letter: letter?.id,
        detail: why.detail,
      },
      `message dead-lettered: ${why.reason}`,
    )
    return { kind: 'dead-lettered', reason: why.reason }
  }

  /**
   * Writes a dead letter (retried until it is stored). A letter over the store's size limit is
   * the one thing not kept: it is counted and logged as dropped.
   */
  async #keep(
    msg: InboundMessage,
    reason: DeadLetterReason,
    detail: string,
  ): Promise<DeadLetter | undefined> {
    try {
      return await this.#retrying('deadLetters.put', async () => {
        try {
          return await this.#letters.put({
            topic: msg.topic,
            bytes: msg.payload,
            reason,
            detail,
            at: msg.receivedAt,
          })
        } catch (err) {
          if (codeOf(err) === 'ERR_DEAD_LETTER_TOO_LARGE') throw new TooLarge(err)
          throw err
        }
      })
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err
      this.#metrics.deadLettersDropped.inc({ reason })
      this.#log.error(
        {
          event: 'dead-letter-dropped',
          reason,
          topic: plain(msg.topic, 200),
          bytes: msg.payload.length,
        },
        `a ${msg.payload.length}-byte message (${reason}) is too large to keep as a dead letter: dropped`,
      )
      return undefined
    }
  }

  async #park(msg: InboundMessage, deviceId: string, epochId: string): Promise<Outcome> {
    const detail = `parked: no key announcement for epoch ${epochId} yet`
    const letter = await this.#keep(msg, 'epoch-unknown', detail)
    if (letter === undefined) return { kind: 'dead-lettered', reason: 'epoch-unknown' }
    this.#metrics.parkedTotal.inc()
    this.#lot.park({
      deviceId,
      epochIdHex: epochId,
      letterId: letter.id,
      topic: msg.topic,
      bytes: msg.payload,
      receivedAt: msg.receivedAt,
    })
    this.#log.debug(
      { event: 'parked', device: deviceId, epoch: epochId, letter: letter.id },
      'parked',
    )
    // The announcement may have been opened while the letter was written.
    if (this.#keys.cache.peek(deviceId, epochId) !== undefined)
      this.#releaseParked(deviceId, epochId)
    return { kind: 'parked', epochId }
  }

  #releaseParked(deviceId: string, epochId: string): void {
    for (const p of this.#lot.take(deviceId, epochId)) {
      void this.#track(this.#unpark(p)).catch((err: unknown) => {
        this.#log.error(
          { event: 'unpark-failed', letter: p.letterId, error: messageOf(err) },
          'unpark failed',
        )
      })
    }
  }

  async #unpark(p: Parked): Promise<void> {
    this.#metrics.unparked.inc()
    const letter: DeadLetter = {
      id: p.letterId,
      topic: p.topic,
      bytes: p.bytes,
      reason: 'epoch-unknown',
      detail: '',
      at: p.receivedAt,
    }
    const outcome = await this.#retryLetter(letter, 'live')
    if (outcome.kind === 'kept') {
      this.#metrics.deadLetters.inc({ reason: outcome.reason })
      this.#log.warn(
        {
          event: 'dead-letter',
          reason: outcome.reason,
          letter: p.letterId,
          detail: outcome.detail,
        },
        `parked message dead-lettered: ${outcome.reason}`,
      )
    }
  }

  async #retryLetter(letter: DeadLetter, source: 'replay' | 'live'): Promise<LetterOutcome> {
    try {
      const result = await this.#process(
        { topic: letter.topic, payload: letter.bytes, receivedAt: letter.at },
        'retry',
      )
      if (result.kind === 'park') throw new Error('unreachable: retries never park')
      if (result.kind === 'undeliverable') {
        if (result.reason !== letter.reason || result.detail !== letter.detail) {
          await this.#retrying('deadLetters.update', () =>
            this.#letters.update(letter.id, result.reason, result.detail),
          )
        }
        return { kind: 'kept', reason: result.reason, detail: result.detail }
      }
      await this.#retrying('deadLetters.remove', () => this.#letters.remove(letter.id))
      this.#log.debug(
        { event: 'letter-delivered', letter: letter.id, source, outcome: result.kind },
        'dead letter handled',
      )
      return { kind: result.kind, removed: true }
    } catch (err) {
      if (err instanceof Stopped || this.#signal?.aborted) return { kind: 'stopped' }
      throw err
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function messageOf(err: unknown): string {
  return plain(err instanceof Error ? err.message : String(err), 300)
}
