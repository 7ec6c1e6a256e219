/**
 * The consumer's MQTT side: **two connections**, two subscriptions, acknowledgements after
 * durable handling.
 *
 * - **Key topics** `<prefix>/+/key`, QoS 1, **not shared**, on a connection of their own
 *   (client id `<clientId>-keys`): every instance sees every key announcement, and, as they are
 *   retained, learns every current epoch at subscribe time. The broker keeps a queue and an
 *   in-flight window per connection, so announcements never wait behind data the consumer is
 *   holding (a full data window, a data queue at its broker limit), and a full data queue never
 *   makes the broker drop an announcement. Data is subscribed only once the retained
 *   announcements have stopped arriving (`settleMs` without one, `maxSettleMs` at most), so a
 *   consumer started mid-epoch opens compact messages without parking them.
 * - **Data topics** through a **shared subscription** `$share/<group>/<prefix>/+/data`, QoS 1, on
 *   the data connection (client id `<clientId>`), so the instances of one group split the load.
 *   Against a broker without shared subscriptions (MQTT 3.1.1, such as the embedded aedes, or an
 *   MQTT 5 broker whose CONNACK says so) the consumer subscribes to `<prefix>/+/data` and runs as
 *   a **single instance**, and says so.
 * - **Sessions**, the same rules on both connections: Mosquitto keeps assigning shares to a
 *   disconnected persistent session (its messages wait there, lost if the session expires), and
 *   with a clean session a crash loses the messages in flight to it. So: with a stable `clientId`
 *   (one per instance, such as a pod name) each session expires `sessionExpirySec` after a
 *   disconnect (default 60 s): a restarted instance gets its unacknowledged messages again.
 *   Without one, a random id (`sealwire-consumer-<12 hex>`, and `…-keys`) and clean sessions.
 * - **Acknowledgement** of a QoS 1 message only once the pipeline says it is durable (sink
 *   committed, dead-lettered, a duplicate, a stored announcement), in receipt order per
 *   connection, with up to `receiveMaximum` messages in flight per connection (MQTT 5's Receive
 *   Maximum; against 3.1.1 brokers reading pauses there). A message the consumer stopped before
 *   handling is never acknowledged.
 * - `protocolVersion: 'auto'` tries MQTT 5 and falls back to 3.1.1 when the broker refuses it
 *   (decided on the key connection, the first one; the data connection uses the same).
 *
 * @example
 * ```ts
 * const sub = await MqttSubscriber.start({ url, topicPrefix: 'sealwire', shareGroup: 'sealwire', handle, log })
 * await sub.stop(async () => undefined)
 * ```
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { topicFiltersFor } from '../../../device-bundle/src/index.ts'
import { plain, withoutUserinfo } from '../../../platform/src/index.ts'
import { BrokerError } from '../errors.ts'
import type { InboundMessage, Outcome } from '../pipeline/pipeline.ts'
import { ConsumerConnection } from './_connection.ts'
import type { ConnectionOptions, ConnectionRole } from './_connection.ts'

/** The suffix of the key connection's client id. */
const KEY_CLIENT_SUFFIX = '-keys'

/** Options of {@link MqttSubscriber.start}. */
export interface SubscriberOptions {
  /** `mqtt://host[:port]` or `mqtts://host[:port]`, possibly with `user:password@`. */
  readonly url: string
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | undefined
  readonly protocolVersion: 'auto' | 4 | 5
  /**
   * A stable id for resumable sessions (the data connection's; the key connection's is this
   * plus `-keys`); absent: a random id and clean sessions.
   */
  readonly clientId?: string | undefined
  readonly sessionExpirySec: number
  readonly keepaliveSec: number
  readonly connectTimeoutMs: number
  readonly topicPrefix: string
  readonly shareGroup: string
  /** Most messages received and not yet acknowledged, per connection. */
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
  /** The data connection's client id. */
  readonly clientId: string
  /** The key connection's client id (`<clientId>-keys`). */
  readonly keyClientId: string
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
  readonly #version: 4 | 5
  readonly #persistent: boolean
  readonly #clientId: string
  readonly #keys: ConsumerConnection
  #data: ConsumerConnection | undefined
  #info: SubscriptionInfo | undefined
  #lastKeyAt = 0

  private constructor(options: SubscriberOptions, version: 4 | 5) {
    this.#options = options
    this.#version = version
    this.#persistent = options.clientId !== undefined && options.sessionExpirySec > 0
    this.#clientId = options.clientId ?? `sealwire-consumer-${randomBytes(6).toString('hex')}`
    this.#keys = this.#connection('keys', `${this.#clientId}${KEY_CLIENT_SUFFIX}`)
  }

  /** What the subscriber settled on. */
  get info(): SubscriptionInfo {
    return this.#info!
  }

  /** Messages received and not yet durable, on both connections. */
  get inFlight(): number {
    return this.#keys.inFlight + (this.#data?.inFlight ?? 0)
  }

  /**
   * Connects (keys, then data), subscribes and starts handling messages.
   *
   * @throws {BrokerError} `ERR_BROKER_REFUSED` or `ERR_BROKER_UNREACHABLE` when a first
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

  #connection(role: ConnectionRole, clientId: string): ConsumerConnection {
    const o = this.#options
    const options: ConnectionOptions = {
      role,
      url: o.url,
      version: this.#version,
      clientId,
      persistent: this.#persistent,
      sessionExpirySec: o.sessionExpirySec,
      username: o.username,
      password: o.password,
      tls: o.tls,
      keepaliveSec: o.keepaliveSec,
      connectTimeoutMs: o.connectTimeoutMs,
      receiveMaximum: o.receiveMaximum,
      onReceive: role === 'keys' ? () => (this.#lastKeyAt = Date.now()) : undefined,
      handle: o.handle,
      onFatal: o.onFatal,
      log: o.log,
    }
    return new ConsumerConnection(options)
  }

  #logConnected(c: ConsumerConnection, sessionPresent: boolean): void {
    const { log, url, sessionExpirySec } = this.#options
    log.info(
      {
        event: 'mqtt-connected',
        connection: c.options.role,
        broker: withoutUserinfo(url),
        protocol: this.#version === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
        clientId: c.options.clientId,
        session: this.#persistent
          ? `persistent, expires ${sessionExpirySec} s after a disconnect`
          : 'clean',
        sessionPresent,
        ackMode: c.ackMode,
      },
      `connected to ${withoutUserinfo(url)} (${c.options.role})`,
    )
  }

  async #start(): Promise<MqttSubscriber> {
    const options = this.#options
    const { log } = options
    const filters = topicFiltersFor(options.topicPrefix)
    const keyConnack = await this.#keys.connect()
    this.#logConnected(this.#keys, keyConnack.sessionPresent)
    try {
      this.#lastKeyAt = Date.now()
      await this.#keys.client.subscribeAsync(filters.key, { qos: 1 })
      // Let the retained announcements arrive before the data they open.
      const startedAt = Date.now()
      for (;;) {
        const now = Date.now()
        if (now - this.#lastKeyAt >= options.settleMs || now - startedAt >= options.maxSettleMs)
          break
        await new Promise((resolve) => setTimeout(resolve, Math.min(options.settleMs, 50)))
      }
      // Connected only now: a resumed data session gets its queued messages at CONNACK.
      const data = this.#connection('data', this.#clientId)
      this.#data = data
      const connack = await data.connect()
      this.#logConnected(data, connack.sessionPresent)
      const shared =
        this.#version === 5 && connack.properties?.sharedSubscriptionAvailable !== false
      const dataFilter = shared ? `$share/${options.shareGroup}/${filters.data}` : filters.data
      this.#info = Object.freeze({
        protocolVersion: this.#version,
        clientId: this.#clientId,
        keyClientId: this.#keys.options.clientId,
        dataFilter,
        keyFilter: filters.key,
        shared,
        ackMode: data.ackMode,
      })
      if (connack.sessionPresent) {
        // A session kept from a consumer that took keys and data on one connection: its key
        // subscription goes; announcements come on the key connection.
        await data.client.unsubscribeAsync(filters.key).catch(() => undefined)
      }
      await data.client.subscribeAsync(dataFilter, { qos: 1 })
      if (!shared) {
        log.warn(
          { event: 'single-instance', filter: dataFilter },
          'the broker offers no shared subscriptions (MQTT 3.1.1, or not offered): running as a single instance; start no other instance with this broker',
        )
      }
      log.info(
        {
          event: 'subscribed',
          data: dataFilter,
          key: filters.key,
          dataClientId: this.#clientId,
          keyClientId: this.#keys.options.clientId,
        },
        'subscribed',
      )
      return this
    } catch (err) {
      await Promise.all([this.#keys.end(), this.#data?.end()]).catch(() => undefined)
      throw err
    }
  }

  /**
   * Stops: unsubscribes from data (the group's other instances take over), waits for the
   * messages in flight (`drain`, which the caller bounds; announcements still arrive meanwhile),
   * sends their acknowledgements, and disconnects both connections.
   */
  async stop(drain: () => Promise<unknown>): Promise<void> {
    const data = this.#data
    data?.stopping()
    try {
      if (data?.client.connected === true) await data.client.unsubscribeAsync(this.info.dataFilter)
    } catch {
      // Disconnecting ends the subscription of a clean session anyway.
    }
    await drain()
    this.#keys.stopping()
    await Promise.all([data?.end(), this.#keys.end()])
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
