/**
 * The consumer's MQTT side: one connection, two subscriptions, acknowledgements after durable
 * handling.
 *
 * - **Key topics** `<prefix>/+/key`, QoS 1, **not shared**: every instance sees every key
 *   announcement, and, as they are retained, learns every current epoch at subscribe time. They
 *   are subscribed first, and data only once the retained announcements have stopped arriving
 *   (`settleMs` without one, `maxSettleMs` at most), so a consumer started mid-epoch opens
 *   compact messages without parking them.
 * - **Data topics** through a **shared subscription** `$share/<group>/<prefix>/+/data`, QoS 1, so
 *   the instances of one group split the load. Against a broker without shared subscriptions
 *   (MQTT 3.1.1, such as the embedded aedes, or an MQTT 5 broker whose CONNACK says so) the
 *   consumer subscribes to `<prefix>/+/data` and runs as a **single instance**, and says so.
 * - **Sessions**: Mosquitto keeps assigning shares to a disconnected persistent session (its
 *   messages wait there, lost if the session expires), and with a clean session a crash loses the
 *   messages in flight to it. So: with a stable `clientId` (one per instance, such as a pod name)
 *   the session expires `sessionExpirySec` after a disconnect (default 60 s): a restarted
 *   instance gets its unacknowledged messages again. Without one, a random id and a clean start.
 * - **Acknowledgement** of a QoS 1 message only once the pipeline says it is durable (sink
 *   committed, dead-lettered, a duplicate, a stored announcement), in receipt order, with up to
 *   `receiveMaximum` messages in flight (MQTT 5's Receive Maximum; against 3.1.1 brokers reading
 *   pauses there). A message the consumer stopped before handling is never acknowledged.
 * - `protocolVersion: 'auto'` tries MQTT 5 and falls back to 3.1.1 when the broker refuses it.
 *
 * @example
 * ```ts
 * const sub = await MqttSubscriber.start({ url, topicPrefix: 'sealwire', shareGroup: 'sealwire', handle, log })
 * await sub.stop()
 * ```
 */
import { randomBytes } from 'node:crypto'
import mqtt from 'mqtt'
import type { IConnackPacket, IPublishPacket, MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { topicFiltersFor } from '../../../device-bundle/src/index.ts'
import { plain, withoutUserinfo } from '../../../platform/src/index.ts'
import { BrokerError } from '../errors.ts'
import type { InboundMessage, Outcome } from '../pipeline/pipeline.ts'
import { OrderedAcks } from './_ordered_acks.ts'

/** Options of {@link MqttSubscriber.start}. */
export interface SubscriberOptions {
  /** `mqtt://host[:port]` or `mqtts://host[:port]`, possibly with `user:password@`. */
  readonly url: string
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | undefined
  readonly protocolVersion: 'auto' | 4 | 5
  /** A stable id for a resumable session; absent: a random id and a clean session. */
  readonly clientId?: string | undefined
  readonly sessionExpirySec: number
  readonly keepaliveSec: number
  readonly connectTimeoutMs: number
  readonly topicPrefix: string
  readonly shareGroup: string
  /** Most messages received and not yet acknowledged. */
  readonly receiveMaximum: number
  /** Quiet time on the key topics before data is subscribed, in ms. */
  readonly settleMs: number
  readonly maxSettleMs: number
  /** Handles one message; resolves once it is durable (`stopped`: never acknowledge it). */
  readonly handle: (msg: InboundMessage) => Promise<Outcome>
  /** A handler that threw (a bug): the consumer should stop. */
  readonly onFatal: (err: unknown) => void
  readonly log: Logger
}

/** What the subscriber settled on. */
export interface SubscriptionInfo {
  readonly protocolVersion: 4 | 5
  readonly clientId: string
  /** The data filter subscribed: shared, or plain for a single instance. */
  readonly dataFilter: string
  readonly keyFilter: string
  readonly shared: boolean
  /** How acknowledgements are sent: `ordered` (concurrent handling) or `serial`. */
  readonly ackMode: 'ordered' | 'serial'
}

function isProtocolRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  return e?.code === 1 || (typeof e?.message === 'string' && /protocol version/i.test(e.message))
}

/** Waits for the first CONNACK, or the error (or close) that comes instead. */
function firstConnack(client: MqttClient): Promise<IConnackPacket> {
  return new Promise<IConnackPacket>((resolve, reject) => {
    const settle = (): void => {
      client.off('connect', onConnect)
      client.off('error', onError)
      client.off('close', onClose)
    }
    const onConnect = (packet: IConnackPacket): void => {
      settle()
      resolve(packet)
    }
    const onError = (err: Error): void => {
      settle()
      client.end(true)
      reject(err)
    }
    const onClose = (): void => onError(new Error('the connection closed before CONNACK'))
    client.on('connect', onConnect)
    client.on('error', onError)
    client.on('close', onClose)
  })
}

/**
 * A running subscription (see the module doc).
 *
 * @example
 * ```ts
 * sub.info.shared // false against aedes
 * ```
 */
export class MqttSubscriber {
  readonly #options: SubscriberOptions
  readonly #client: MqttClient
  readonly #version: 4 | 5
  readonly #clientId: string
  readonly #persistent: boolean
  #info: SubscriptionInfo | undefined
  #acks: OrderedAcks | undefined
  #inFlight = 0
  #waiters: (() => void)[] = []
  #stopping = false
  #lastKeyAt = 0

  private constructor(options: SubscriberOptions, version: 4 | 5) {
    this.#options = options
    this.#version = version
    this.#persistent = options.clientId !== undefined && options.sessionExpirySec > 0
    this.#clientId = options.clientId ?? `sealwire-consumer-${randomBytes(6).toString('hex')}`
    this.#client = mqtt.connect(options.url, {
      protocolVersion: version,
      clientId: this.#clientId,
      clean: !this.#persistent,
      keepalive: options.keepaliveSec,
      connectTimeout: options.connectTimeoutMs,
      // The first connection must fail loudly; reconnecting is turned on once it succeeded.
      reconnectPeriod: 0,
      resubscribe: true,
      ...(options.username !== undefined && { username: options.username }),
      ...(options.password !== undefined && { password: options.password }),
      ...(options.tls?.ca !== undefined && { ca: options.tls.ca }),
      ...(options.tls?.cert !== undefined && { cert: options.tls.cert }),
      ...(options.tls?.key !== undefined && { key: options.tls.key }),
      ...(version === 5 && {
        properties: {
          sessionExpiryInterval: this.#persistent ? options.sessionExpirySec : 0,
          receiveMaximum: options.receiveMaximum,
        },
      }),
    })
    // mqtt.js hands every PUBLISH to handleMessage (documented as overridable) and sends the
    // PUBACK of a QoS 1 message once its callback is called (customHandleAcks is MQTT 5 only).
    this.#client.handleMessage = (packet, callback) => this.#onMessage(packet, callback)
    if (OrderedAcks.supported(this.#client)) this.#acks = new OrderedAcks(this.#client)
  }

  /** What the subscriber settled on. */
  get info(): SubscriptionInfo {
    return this.#info!
  }

  /** Messages received and not yet durable. */
  get inFlight(): number {
    return this.#inFlight
  }

  /**
   * Connects, subscribes (keys, then data) and starts handling messages.
   *
   * @throws {BrokerError} `ERR_BROKER_REFUSED` or `ERR_BROKER_UNREACHABLE` when the first
   *   connection fails.
   */
  static async start(options: SubscriberOptions): Promise<MqttSubscriber> {
    const auto = options.protocolVersion === 'auto'
    const version = auto ? 5 : (options.protocolVersion as 4 | 5)
    try {
      return await new MqttSubscriber(options, version).#start()
    } catch (err) {
      if (auto && isProtocolRefusal(err)) {
        options.log.info({ event: 'mqtt-fallback' }, 'the broker refused MQTT 5; using MQTT 3.1.1')
        try {
          return await new MqttSubscriber(options, 4).#start()
        } catch (again) {
          throw brokerError(options.url, again)
        }
      }
      throw brokerError(options.url, err)
    }
  }

  async #start(): Promise<MqttSubscriber> {
    const options = this.#options
    const { log } = options
    const client = this.#client
    const connack = await firstConnack(client)
    const filters = topicFiltersFor(options.topicPrefix)
    const shared = this.#version === 5 && connack.properties?.sharedSubscriptionAvailable !== false
    const dataFilter = shared ? `$share/${options.shareGroup}/${filters.data}` : filters.data
    this.#info = Object.freeze({
      protocolVersion: this.#version,
      clientId: this.#clientId,
      dataFilter,
      keyFilter: filters.key,
      shared,
      ackMode: this.#acks !== undefined ? 'ordered' : 'serial',
    })
    client.options.reconnectPeriod = 1000
    client.on('connect', (packet) => {
      this.#acks?.reset()
      log.info(
        { event: 'mqtt-reconnected', sessionPresent: packet.sessionPresent },
        'reconnected to the broker',
      )
    })
    client.on('close', () => {
      this.#acks?.reset()
      if (!this.#stopping)
        log.warn({ event: 'mqtt-disconnected' }, 'broker connection lost; reconnecting')
    })
    client.on('error', (err) => {
      log.warn({ event: 'mqtt-error', error: plain(err.message, 200) }, 'broker connection error')
    })
    log.info(
      {
        event: 'mqtt-connected',
        broker: withoutUserinfo(options.url),
        protocol: this.#version === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
        clientId: this.#clientId,
        session: this.#persistent
          ? `persistent, expires ${options.sessionExpirySec} s after a disconnect`
          : 'clean',
        sessionPresent: connack.sessionPresent,
        ackMode: this.info.ackMode,
      },
      `connected to ${withoutUserinfo(options.url)}`,
    )
    this.#lastKeyAt = Date.now()
    await client.subscribeAsync(filters.key, { qos: 1 })
    // Let the retained announcements arrive before the data they open.
    const startedAt = Date.now()
    for (;;) {
      const now = Date.now()
      if (now - this.#lastKeyAt >= options.settleMs || now - startedAt >= options.maxSettleMs) break
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.settleMs, 50)))
    }
    await client.subscribeAsync(dataFilter, { qos: 1 })
    if (!shared) {
      log.warn(
        { event: 'single-instance', filter: dataFilter },
        'the broker offers no shared subscriptions (MQTT 3.1.1, or not offered): running as a single instance; start no other instance with this broker',
      )
    }
    log.info({ event: 'subscribed', data: dataFilter, key: filters.key }, 'subscribed')
    return this
  }

  /**
   * Stops: unsubscribes from data (the group's other instances take over), waits for the
   * messages in flight (`drain`, which the caller bounds), sends their acknowledgements, and
   * disconnects.
   */
  async stop(drain: () => Promise<unknown>): Promise<void> {
    this.#stopping = true
    this.#client.options.reconnectPeriod = 0
    try {
      if (this.#client.connected) await this.#client.unsubscribeAsync(this.info.dataFilter)
    } catch {
      // Disconnecting ends the subscription of a clean session anyway.
    }
    await drain()
    await this.#client.endAsync(false)
  }

  #onMessage(packet: IPublishPacket, callback: (err?: Error) => void): void {
    const topic = packet.topic
    if (topic.endsWith('/key')) this.#lastKeyAt = Date.now()
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const acks = this.#acks
    if (packet.qos === 0) {
      // Nothing to acknowledge; handled like any other (a QoS 0 publisher accepts loss).
      void this.#handle(topic, payload)
      this.#whenRoom(() => callback())
      return
    }
    if (acks === undefined || packet.messageId === undefined) {
      // One message at a time: its PUBACK goes once it is handled.
      void this.#handle(topic, payload).then((outcome) => {
        if (outcome.kind !== 'stopped') callback()
      })
      return
    }
    const entry = acks.received(packet.messageId)
    void this.#handle(topic, payload).then((outcome) => {
      if (outcome.kind !== 'stopped') acks.done(entry)
    })
    // The PUBACK mqtt.js writes after this callback is held until the message is durable; mqtt.js
    // reads no further packet until the callback is called, so a full window pauses reading.
    this.#whenRoom(() => callback())
  }

  #whenRoom(go: () => void): void {
    if (this.#inFlight <= this.#options.receiveMaximum) go()
    else this.#waiters.push(go)
  }

  async #handle(topic: string, payload: Buffer): Promise<Outcome> {
    this.#inFlight++
    try {
      return await this.#options.handle({
        topic,
        payload: new Uint8Array(payload),
        receivedAt: Date.now(),
      })
    } catch (err) {
      this.#options.onFatal(err)
      return { kind: 'stopped' }
    } finally {
      this.#inFlight--
      if (this.#inFlight <= this.#options.receiveMaximum) this.#waiters.shift()?.()
    }
  }
}

function brokerError(url: string, err: unknown): BrokerError {
  if (err instanceof BrokerError) return err
  const why = err instanceof Error ? err.message : String(err)
  // mqtt.js gives a CONNACK refusal its return or reason code as a number.
  const refused = typeof (err as { code?: unknown } | null)?.code === 'number'
  return new BrokerError(
    refused ? 'ERR_BROKER_REFUSED' : 'ERR_BROKER_UNREACHABLE',
    `${withoutUserinfo(url)}: ${plain(why, 200)}`,
    { cause: err },
  )
}
