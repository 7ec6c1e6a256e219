/**
 * One of the consumer's MQTT connections (the subscriber opens two: one for key announcements,
 * one for data): its mqtt.js client, its session, its own in-flight window and its own in-order
 * acknowledgements (`_ordered_acks.ts`).
 *
 * - The first connection must succeed or fail loudly (`reconnectPeriod` 0); once it has, the
 *   client reconnects every second and subscribes again (`resubscribe`).
 * - Each QoS 1 message goes to `handle`; its PUBACK goes out once `handle` resolved with a
 *   durable outcome, in receipt order; a `stopped` outcome is never acknowledged. At most
 *   `receiveMaximum` messages of this connection are handled at once: past that mqtt.js is not
 *   told to go on, so it reads no further packet **of this connection** (the other connection is
 *   not affected: that is why announcements have their own).
 * - Without mqtt.js's `_sendPacket` hook, one message at a time (`serial`).
 * - A connection that closes drops the PUBACKs it held: the broker redelivers those messages to
 *   a resumed session (or, with a clean one, forgets them).
 *
 * @example
 * ```ts
 * const c = new ConsumerConnection({ ...options, role: 'keys', clientId: 'c-1-keys', persistent: true, version: 5 })
 * const connack = await c.connect()
 * await c.client.subscribeAsync('sealwire/+/key', { qos: 1 })
 * ```
 */
import mqtt from 'mqtt'
import type { IConnackPacket, IPublishPacket, MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { plain } from '../../../platform/src/index.ts'
import type { InboundMessage, Outcome } from '../pipeline/pipeline.ts'
import { OrderedAcks } from './_ordered_acks.ts'

/** What a connection carries: `keys` (announcements) or `data`. */
export type ConnectionRole = 'keys' | 'data'

/** Options of one connection. */
export interface ConnectionOptions {
  readonly role: ConnectionRole
  readonly url: string
  readonly version: 4 | 5
  readonly clientId: string
  /** A resumable session (`sessionExpirySec`), else a clean one. */
  readonly persistent: boolean
  readonly sessionExpirySec: number
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | undefined
  readonly keepaliveSec: number
  readonly connectTimeoutMs: number
  /** Most messages of this connection received and not yet acknowledged. */
  readonly receiveMaximum: number
  /** Called for every message as it is read, before it is handled. */
  readonly onReceive?: ((topic: string) => void) | undefined
  readonly handle: (msg: InboundMessage) => Promise<Outcome>
  readonly onFatal: (err: unknown) => void
  readonly log: Logger
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
 * One MQTT connection with its own window and ordered acknowledgements (see the module doc).
 *
 * @example
 * ```ts
 * connection.inFlight // messages of this connection being handled now
 * ```
 */
export class ConsumerConnection {
  readonly client: MqttClient
  readonly options: ConnectionOptions
  readonly #acks: OrderedAcks | undefined
  #inFlight = 0
  #waiters: (() => void)[] = []
  #stopping = false

  constructor(options: ConnectionOptions) {
    this.options = options
    this.client = mqtt.connect(options.url, {
      protocolVersion: options.version,
      clientId: options.clientId,
      clean: !options.persistent,
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
      ...(options.version === 5 && {
        properties: {
          sessionExpiryInterval: options.persistent ? options.sessionExpirySec : 0,
          receiveMaximum: options.receiveMaximum,
        },
      }),
    })
    // mqtt.js hands every PUBLISH to handleMessage (documented as overridable) and sends the
    // PUBACK of a QoS 1 message once its callback is called (customHandleAcks is MQTT 5 only).
    this.client.handleMessage = (packet, callback) => this.#onMessage(packet, callback)
    this.#acks = OrderedAcks.supported(this.client) ? new OrderedAcks(this.client) : undefined
  }

  /** How acknowledgements are sent: `ordered` (concurrent handling) or `serial`. */
  get ackMode(): 'ordered' | 'serial' {
    return this.#acks !== undefined ? 'ordered' : 'serial'
  }

  /** Messages of this connection received and not yet durable. */
  get inFlight(): number {
    return this.#inFlight
  }

  /**
   * Waits for the first CONNACK, then turns reconnecting on and logs what happens to the
   * connection from then on. Rejects with what mqtt.js reported when the first connection fails
   * (the client is ended then).
   */
  async connect(): Promise<IConnackPacket> {
    const connack = await firstConnack(this.client)
    const { log, role, clientId } = this.options
    this.client.options.reconnectPeriod = 1000
    this.client.on('connect', (packet) => {
      this.#acks?.reset()
      log.info(
        {
          event: 'mqtt-reconnected',
          connection: role,
          clientId,
          sessionPresent: packet.sessionPresent,
        },
        `reconnected to the broker (${role})`,
      )
    })
    this.client.on('close', () => {
      this.#acks?.reset()
      if (!this.#stopping) {
        log.warn(
          { event: 'mqtt-disconnected', connection: role, clientId },
          `broker connection lost (${role}); reconnecting`,
        )
      }
    })
    this.client.on('error', (err) => {
      log.warn(
        { event: 'mqtt-error', connection: role, error: plain(err.message, 200) },
        `broker connection error (${role})`,
      )
    })
    return connack
  }

  /** No more reconnecting: the consumer is stopping. */
  stopping(): void {
    this.#stopping = true
    this.client.options.reconnectPeriod = 0
  }

  /** Disconnects (after the PUBACKs already released are written). */
  async end(): Promise<void> {
    this.stopping()
    await this.client.endAsync(false)
  }

  #onMessage(packet: IPublishPacket, callback: (err?: Error) => void): void {
    const topic = packet.topic
    this.options.onReceive?.(topic)
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
    // reads no further packet of this connection until the callback is called, so a full window
    // pauses reading here (and only here).
    this.#whenRoom(() => callback())
  }

  #whenRoom(go: () => void): void {
    if (this.#inFlight < this.options.receiveMaximum) go()
    else this.#waiters.push(go)
  }

  async #handle(topic: string, payload: Buffer): Promise<Outcome> {
    this.#inFlight++
    try {
      return await this.options.handle({
        topic,
        payload: new Uint8Array(payload),
        receivedAt: Date.now(),
      })
    } catch (err) {
      this.options.onFatal(err)
      return { kind: 'stopped' }
    } finally {
      this.#inFlight--
      if (this.#inFlight < this.options.receiveMaximum) this.#waiters.shift()?.()
    }
  }
}
