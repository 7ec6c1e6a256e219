/**
 * One MQTT connection, as the publisher uses it: connect, QoS 1 publish resolved by its PUBACK,
 * one "closed" promise, close. The default {@link connectMqttLink} wraps mqtt.js with its own
 * reconnect turned off (`reconnectPeriod: 0`) and a clean session: every reconnect is a new
 * client, so nothing of mqtt.js's offline queue or resend-on-reconnect store is involved, and
 * the publisher alone decides what to send again (from the lowest unacknowledged message). The
 * interface is the seam tests use to replace the network.
 *
 * @example
 * ```ts
 * const link = await connectMqttLink(settings, AbortSignal.timeout(10_000))
 * link.publish('sealwire/dev-1/data', payload, false, (err) => {}) // called on PUBACK
 * await link.close(true)
 * ```
 */
import mqtt from 'mqtt'
import type { IClientOptions, IConnackPacket, MqttClient } from 'mqtt'
import { plain } from '../../../platform/src/index.ts'
import type { BrokerSettings } from './broker_settings.ts'
import { TransportError } from './errors.ts'

/** One established connection. */
export interface MqttLink {
  /** The broker's Receive Maximum (MQTT 5 CONNACK), when it sent one. */
  readonly receiveMaximum: number | undefined
  /**
   * Publishes with QoS 1 and calls `done` once: with no argument when the PUBACK arrives, or with
   * `ERR_TRANSPORT_PUBLISH_REFUSED` (failure reason code) or `ERR_TRANSPORT_CONNECTION_LOST`.
   * A callback, not a promise: this is the per-message hot path, and the next message should go
   * out in the same tick as the PUBACK that frees its slot.
   */
  publish(
    topic: string,
    payload: Uint8Array,
    retain: boolean,
    done: (err?: TransportError) => void,
  ): void
  /** Resolves (never rejects) once, when the connection is lost or closed, with the reason. */
  readonly closed: Promise<TransportError>
  /** Closes: `graceful` sends DISCONNECT first; otherwise the socket is destroyed. */
  close(graceful: boolean): Promise<void>
}

/** Opens a link; rejects with `ERR_TRANSPORT_CONNECT`. `signal` aborts the attempt. */
export type MqttLinkFactory = (settings: BrokerSettings, signal: AbortSignal) => Promise<MqttLink>

function reasonOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'number' ? code : undefined
}

function clientOptions(s: BrokerSettings): IClientOptions {
  const buf = (b: Uint8Array | undefined): Buffer | undefined =>
    b === undefined ? undefined : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  return {
    protocol: s.tlsEnabled ? 'mqtts' : 'mqtt',
    host: s.host,
    port: s.port,
    protocolVersion: s.protocolVersion,
    clientId: s.clientId,
    keepalive: s.keepaliveSec,
    connectTimeout: s.connectTimeoutMs,
    clean: true,
    // The publisher owns reconnects and resends (see the module doc).
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    ...(s.username === undefined ? {} : { username: s.username }),
    ...(s.password === undefined ? {} : { password: s.password }),
    ...(s.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
    ...(s.tlsEnabled
      ? {
          rejectUnauthorized: true,
          ...(s.tls.ca === undefined ? {} : { ca: buf(s.tls.ca) }),
          ...(s.tls.cert === undefined ? {} : { cert: buf(s.tls.cert) }),
          ...(s.tls.key === undefined ? {} : { key: buf(s.tls.key) }),
          // SNI: AWS IoT Core routes by it; mqtt.js sets it from host for names, not addresses.
          ...(/^[\d.]+$|:/.test(s.host) ? {} : { servername: s.host }),
        }
      : {}),
  }
}

class MqttJsLink implements MqttLink {
  readonly receiveMaximum: number | undefined
  readonly closed: Promise<TransportError>
  readonly #client: MqttClient
  #resolveClosed!: (e: TransportError) => void
  #ended = false

  constructor(client: MqttClient, connack: IConnackPacket) {
    this.#client = client
    this.receiveMaximum = connack.properties?.receiveMaximum
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve))
    const lost = (message: string, reasonCode?: number): void => {
      this.#resolveClosed(
        new TransportError('ERR_TRANSPORT_CONNECTION_LOST', plain(message), {
          ...(reasonCode === undefined ? {} : { reasonCode }),
        }),
      )
    }
    client.on('error', (err) => lost(`connection error: ${err.message}`, reasonOf(err)))
    client.on('disconnect', (p) =>
      lost(`the broker sent DISCONNECT (reason ${p.reasonCode ?? 0})`, p.reasonCode),
    )
    client.on('close', () => lost('connection closed'))
    // A client already closed before we listened (mqtt.js emits synchronously in places).
    if (!client.connected) lost('connection closed')
  }

  publish(
    topic: string,
    payload: Uint8Array,
    retain: boolean,
    done: (err?: TransportError) => void,
  ): void {
    if (this.#ended || !this.#client.connected) {
      done(new TransportError('ERR_TRANSPORT_CONNECTION_LOST', 'not connected'))
      return
    }
    const body = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
    this.#client.publish(topic, body, { qos: 1, retain }, (err) => {
      if (err === undefined || err === null) return done()
      const reasonCode = reasonOf(err)
      done(
        reasonCode === undefined
          ? new TransportError('ERR_TRANSPORT_CONNECTION_LOST', plain(err.message))
          : new TransportError(
              'ERR_TRANSPORT_PUBLISH_REFUSED',
              `the broker refused a publish on ${JSON.stringify(topic)}: ${plain(err.message)}`,
              { reasonCode },
            ),
      )
    })
  }

  close(graceful: boolean): Promise<void> {
    if (this.#ended) return Promise.resolve()
    this.#ended = true
    // end(true) fails every pending publish callback ("Connection closed"), so no promise of
    // ours is left hanging; end(false) sends DISCONNECT and waits for outgoing to be empty.
    return new Promise((resolve) => {
      this.#client.end(!graceful || !this.#client.connected, () => resolve())
    })
  }
}

/**
 * Connects with mqtt.js. Rejects with `ERR_TRANSPORT_CONNECT` (with the CONNACK reason code when
 * the broker refused) or with the signal's reason when aborted.
 *
 * @example
 * ```ts
 * const link = await connectMqttLink(settings, controller.signal)
 * ```
 */
export const connectMqttLink: MqttLinkFactory = (settings, signal) =>
  new Promise<MqttLink>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const client = mqtt.connect(clientOptions(settings))
    let settled = false
    const fail = (err: unknown, message: string): void => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      client.end(true)
      reject(err instanceof TransportError ? err : connectError(message, reasonOf(err), err))
    }
    const onAbort = (): void => {
      if (settled) return
      settled = true
      client.end(true)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    // mqtt.js throws on an 'error' event nobody listens to: keep this one for the client's life.
    client.on('error', (err) => fail(err, err.message))
    client.on('close', () => fail(undefined, 'connection closed before CONNACK'))
    client.once('connect', (connack) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      resolve(new MqttJsLink(client, connack))
    })
  })

function connectError(message: string, reasonCode: number | undefined, cause: unknown) {
  return new TransportError('ERR_TRANSPORT_CONNECT', `connect failed: ${plain(message)}`, {
    ...(reasonCode === undefined ? {} : { reasonCode }),
    ...(cause === undefined ? {} : { cause }),
  })
}
