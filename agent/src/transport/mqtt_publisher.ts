/**
 * The publisher: takes sealed messages from the outbox and publishes them with QoS 1 over a
 * sliding in-flight window; a message leaves the outbox only when its PUBACK arrives. It owns
 * the connection's life: reconnect with exponential backoff and full jitter (reset after a stable
 * connection), a watchdog that reconnects a connection that is up but makes no progress, and a
 * clean stop that drains in-flight messages for a bounded time. After every (re)connect it
 * resumes from the lowest unacknowledged message: a message whose PUBACK was lost is sent again
 * (a duplicate, which the consumer's replay window drops), never skipped. Each epoch's key
 * announcement is published again, retained, before that epoch's first data message on every
 * new connection (see `_publish_session.ts`).
 *
 * @example
 * ```ts
 * const settings = await loadBrokerSettings({ url: 'mqtt://127.0.0.1:1883', clientId: 'dev-1' })
 * const publisher = new MqttPublisher(outbox, settings, { windowSize: 64 })
 * publisher.on('error', (e) => log.warn(e, 'transport'))
 * publisher.start()
 * // … on SIGTERM:
 * await publisher.stop({ drainMs: 5_000 })
 * ```
 */
import { AckBatcher } from './_ack_batcher.ts'
import { PublishSession } from './_publish_session.ts'
import type { Outgoing } from './_publish_session.ts'
import type { BrokerSettings } from './broker_settings.ts'
import { TransportError } from './errors.ts'
import type { TransportErrorCode } from './errors.ts'
import type { MqttLink } from './mqtt_link.ts'
import type { OutboxSource } from './outbox_source.ts'
import { ProgressWatchdog } from './progress_watchdog.ts'
import { resolvePublisherOptions } from './publisher_options.ts'
import type { PublisherOptions, ResolvedPublisherOptions } from './publisher_options.ts'
import { ReconnectBackoff } from './reconnect_backoff.ts'
import { TransportEvents, errorInfo } from './transport_events.ts'
import type {
  ConnectionState,
  TransportErrorInfo,
  TransportEventMap,
  TransportStats,
} from './transport_events.ts'

/** Options of {@link MqttPublisher.stop}. */
export interface StopOptions {
  /** How long to wait for in-flight PUBACKs before closing (default: the publisher's `drainMs`). */
  readonly drainMs?: number
}

interface Counters {
  published: number
  acknowledged: number
  announcements: number
  reconnects: number
  connections: number
  watchdogFirings: number
  refused: number
  dropped: number
}

/**
 * Publishes an outbox to an MQTT broker.
 *
 * @example
 * ```ts
 * const publisher = new MqttPublisher(new MemoryOutboxSource(), settings)
 * publisher.start()
 * publisher.stats().state // 'connecting'
 * ```
 */
export class MqttPublisher {
  readonly #source: OutboxSource
  readonly #settings: BrokerSettings
  readonly #options: ResolvedPublisherOptions
  readonly #events = new TransportEvents()
  readonly #backoff: ReconnectBackoff
  readonly #acks: AckBatcher
  readonly #stopSignal = new AbortController()
  readonly #counters: Counters = {
    published: 0,
    acknowledged: 0,
    announcements: 0,
    reconnects: 0,
    connections: 0,
    watchdogFirings: 0,
    refused: 0,
    dropped: 0,
  }
  #state: ConnectionState = 'idle'
  #lastError: TransportErrorInfo | undefined
  #session: PublishSession | undefined
  #endSession: ((reason: TransportError) => void) | undefined
  #window = 0
  #connectedSince: number | undefined
  #loop: Promise<void> | undefined
  #stopping = false
  #stopped: Promise<void> | undefined
  #offAppend: (() => void) | undefined

  /**
   * @throws {TransportError} `ERR_TRANSPORT_CONFIG` when an option is out of range.
   */
  constructor(source: OutboxSource, settings: BrokerSettings, options: PublisherOptions = {}) {
    this.#source = source
    this.#settings = settings
    this.#options = resolvePublisherOptions(options)
    this.#backoff = new ReconnectBackoff(this.#options.backoff, this.#options.random)
    this.#acks = new AckBatcher(source, (err) =>
      this.#error(
        new TransportError('ERR_TRANSPORT_SOURCE', `outbox ack failed: ${messageOf(err)}`),
        'ERR_TRANSPORT_SOURCE',
      ),
    )
  }

  /** Adds an event listener; returns the function that removes it. */
  on<K extends keyof TransportEventMap>(
    event: K,
    listener: (e: TransportEventMap[K]) => void,
  ): () => void {
    return this.#events.on(event, listener)
  }

  /** A snapshot of the counters and the connection state. */
  stats(): TransportStats {
    return {
      ...this.#counters,
      state: this.#state,
      inFlight: this.#session?.inFlight ?? 0,
      window: this.#window,
      connectedSince: this.#connectedSince,
      lastError: this.#lastError,
    }
  }

  /** Connects and publishes until {@link MqttPublisher.stop}. Calling it twice is a bug. */
  start(): void {
    if (this.#loop !== undefined || this.#stopping) {
      throw new Error('MqttPublisher.start: already started or stopped')
    }
    this.#offAppend = this.#source.onAppend(() => this.#session?.wake())
    this.#loop = this.#run()
  }

  /**
   * Stops taking messages from the outbox, waits up to `drainMs` for the PUBACKs of the messages
   * in flight, hands those to the outbox, and closes the connection (with DISCONNECT when
   * nothing is left in flight). Messages not acknowledged stay queued. Idempotent.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopped ??= this.#stop(options.drainMs ?? this.#options.drainMs)
    return this.#stopped
  }

  async #stop(drainMs: number): Promise<void> {
    this.#stopping = true
    this.#offAppend?.()
    if (this.#loop === undefined) {
      this.#setState('stopped')
      return
    }
    this.#setState('stopping')
    const session = this.#session
    if (session !== undefined && drainMs > 0) {
      const timer = new AbortController()
      await Promise.race([
        session.drain(),
        this.#options.clock.sleep(drainMs, timer.signal).catch(() => {}),
      ])
      timer.abort()
    }
    this.#stopSignal.abort()
    this.#endSession?.(new TransportError('ERR_TRANSPORT_CONNECTION_LOST', 'stopped'))
    await this.#loop
    await this.#acks.idle()
    this.#setState('stopped')
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return
    this.#state = state
    this.#events.emit('state', { state, at: this.#options.clock.now() })
  }

  #error(err: unknown, fallback: TransportErrorCode): TransportErrorInfo {
    const info = errorInfo(err, fallback, this.#options.clock.now())
    this.#lastError = info
    this.#events.emit('error', info)
    return info
  }

  async #run(): Promise<void> {
    const { clock, connect } = this.#options
    while (!this.#stopping) {
      this.#setState('connecting')
      let link: MqttLink
      try {
        link = await connect(this.#settings, this.#stopSignal.signal)
      } catch (err) {
        if (this.#stopping) break
        await this.#wait(this.#error(err, 'ERR_TRANSPORT_CONNECT'))
        continue
      }
      if (this.#stopping) {
        await link.close(true)
        break
      }
      const since = clock.monotonic()
      this.#counters.connections++
      this.#connectedSince = since
      this.#window = Math.min(this.#options.windowSize, link.receiveMaximum ?? Infinity)
      this.#setState('connected')
      // PUBACKs of the last connection first, so the outbox does not hand them out again.
      await this.#acks.idle()
      const { reason, drained } = await this.#runSession(link)
      this.#connectedSince = undefined
      await link.close(this.#stopping && drained)
      this.#backoff.connectionEnded(clock.monotonic() - since)
      if (this.#stopping) break
      await this.#wait(this.#error(reason, 'ERR_TRANSPORT_CONNECTION_LOST'))
    }
  }

  async #wait(reason: TransportErrorInfo): Promise<void> {
    const delayMs = this.#backoff.next()
    this.#counters.reconnects++
    this.#setState('waiting')
    this.#events.emit('reconnect', { attempt: this.#backoff.attempt, delayMs, reason })
    try {
      await this.#options.clock.sleep(delayMs, this.#stopSignal.signal)
    } catch {
      // Stopped while waiting.
    }
  }

  /** Runs one session on `link` until it fails or the publisher stops. */
  #runSession(link: MqttLink): Promise<{ reason: TransportError; drained: boolean }> {
    const { clock, watchdogMs } = this.#options
    const counters = this.#counters
    const events = this.#events
    return new Promise((resolve) => {
      let session: PublishSession | undefined = undefined
      const finish = (reason: TransportError): void => {
        if (this.#endSession !== finish) return
        this.#endSession = undefined
        this.#session = undefined
        watchdog.stop()
        session?.end()
        resolve({ reason, drained: (session?.inFlight ?? 0) === 0 })
      }
      this.#endSession = finish
      const watchdog = new ProgressWatchdog(clock, watchdogMs, (stalledMs) => {
        counters.watchdogFirings++
        const inFlight = session?.inFlight ?? 0
        events.emit('watchdog', { inFlight, stalledMs })
        finish(
          new TransportError(
            'ERR_TRANSPORT_WATCHDOG',
            `no PUBACK for ${stalledMs} ms with ${inFlight} messages in flight`,
          ),
        )
      })
      void link.closed.then(finish)
      if (this.#stopping) {
        finish(new TransportError('ERR_TRANSPORT_CONNECTION_LOST', 'stopped'))
        return
      }
      session = new PublishSession(
        link,
        this.#source,
        this.#window,
        this.#settings.maxPayloadBytes,
        {
          sent: (o: Outgoing, inFlight: number) => {
            counters.published++
            if (o.retain) counters.announcements++
            if (inFlight === 1) watchdog.busy()
            if (events.has('published')) {
              const { seq, topic, retain } = o
              events.emit('published', { seq, topic, bytes: o.payload.byteLength, retain })
            }
          },
          acked: (o: Outgoing, inFlight: number) => {
            counters.acknowledged++
            if (o.seq !== undefined) this.#acks.add(o.seq)
            watchdog.progress()
            if (inFlight === 0) watchdog.idle()
            if (events.has('acknowledged')) {
              events.emit('acknowledged', { seq: o.seq, topic: o.topic })
            }
          },
          invalid: (m, err) => {
            counters.dropped++
            this.#acks.add(m.seq)
            events.emit('dropped', { seq: m.seq, reason: this.#error(err, err.code) })
          },
          missingAnnouncement: (m) => {
            this.#error(
              new TransportError(
                'ERR_TRANSPORT_SOURCE',
                `no announcement in the outbox for the epoch of message ${m.seq}: sent without one`,
              ),
              'ERR_TRANSPORT_SOURCE',
            )
          },
          fail: (err) => {
            if (err.code === 'ERR_TRANSPORT_PUBLISH_REFUSED') counters.refused++
            finish(err)
          },
        },
      )
      this.#session = session
      session.wake()
    })
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
