/**
 * The wire tap: an independent MQTT subscriber on the fleet's broker that records the header of
 * every message on the data and key topics of a prefix, without any key. It subscribes with
 * plain (not shared) subscriptions at QoS 1 under its own client id, so it sees every message
 * however many consumer instances share the data; retained announcements arrive once at
 * subscribe time, flagged `retain`. After a lost connection it reconnects and subscribes again
 * (mqtt.js resubscribes); what was published meanwhile is not seen, which the verdict reports as
 * `wire.notSeen`.
 *
 * @example
 * ```ts
 * const tap = await WireTap.start({ brokerUrl: 'mqtt://127.0.0.1:1883', topicPrefix: 'sealwire' })
 * // … the run …
 * await tap.stop()
 * verifyFleet({ …, wire: tap.messages })
 * ```
 */
import { randomBytes } from 'node:crypto'
import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { topicFiltersFor } from '../../../device-bundle/src/index.ts'
import { verifyDefaults } from './defaults.ts'
import { VerifyError } from './errors.ts'
import type { WireMessage } from './evidence.ts'
import { describeWireMessage } from './wire_message.ts'

/** Options of {@link WireTap.start}. */
export interface WireTapOptions {
  /** `mqtt://host:port` (or `mqtts://`). */
  readonly brokerUrl: string
  /** The fleet's topic prefix: the tap subscribes to `<prefix>/+/data` and `<prefix>/+/key`. */
  readonly topicPrefix: string
  /** 4 (MQTT 3.1.1, default: aedes speaks nothing else) or 5. */
  readonly protocolVersion?: 4 | 5
  /** Receive time source, ms since 1970 (default `Date.now`). */
  readonly now?: () => number
}

/** Counters of a tap. */
export interface WireTapStats {
  /** Messages recorded. */
  readonly messages: number
  /** Connections lost after the first one came up. */
  readonly disconnects: number
}

/**
 * An independent subscriber recording every message's header fields.
 *
 * @example
 * ```ts
 * const tap = await WireTap.start({ brokerUrl, topicPrefix: 'fleet-1' })
 * tap.messages.filter((m) => m.kind === 'key').length
 * ```
 */
export class WireTap {
  readonly #client: MqttClient
  readonly #messages: WireMessage[] = []
  #disconnects = 0
  #stopped: Promise<void> | undefined

  private constructor(client: MqttClient, prefix: string, now: () => number) {
    this.#client = client
    client.on('message', (topic, payload, packet) => {
      const m = describeWireMessage(topic, payload, { prefix, at: now(), retain: packet.retain })
      if (m !== undefined) this.#messages.push(m)
    })
    client.on('close', () => {
      if (this.#stopped === undefined) this.#disconnects++
    })
  }

  /**
   * Connects, subscribes to both topic filters and resolves once the broker granted them.
   *
   * @throws {VerifyError} `ERR_WIRE_TAP` when the broker cannot be reached or refuses the
   *   subscription.
   * @throws {RangeError} a prefix that is not a valid topic prefix.
   * @example
   * ```ts
   * const tap = await WireTap.start({ brokerUrl: broker.url, topicPrefix: 'sealwire' })
   * ```
   */
  static async start(options: WireTapOptions): Promise<WireTap> {
    const filters = topicFiltersFor(options.topicPrefix)
    let client: MqttClient | undefined
    try {
      client = await mqtt.connectAsync(options.brokerUrl, {
        protocolVersion: options.protocolVersion ?? verifyDefaults.tapProtocolVersion,
        clientId: `sealwire-wiretap-${randomBytes(6).toString('hex')}`,
        clean: true,
        reconnectPeriod: verifyDefaults.tapReconnectMs,
        connectTimeout: verifyDefaults.tapConnectTimeoutMs,
      })
      const tap = new WireTap(client, options.topicPrefix, options.now ?? Date.now)
      const granted = await client.subscribeAsync([filters.data, filters.key], { qos: 1 })
      const refused = granted.filter((g) => g.qos !== 0 && g.qos !== 1 && g.qos !== 2)
      if (refused.length > 0) {
        throw new Error(`subscription refused for ${refused.map((g) => g.topic).join(', ')}`)
      }
      return tap
    } catch (err) {
      await client?.endAsync(true).catch(() => {})
      throw new VerifyError(
        'ERR_WIRE_TAP',
        `wire tap: cannot subscribe at ${options.brokerUrl}: ${(err as Error).message}`,
        { cause: err },
      )
    }
  }

  /** Every message recorded so far, in arrival order. */
  get messages(): readonly WireMessage[] {
    return this.#messages
  }

  /** Counters. */
  get stats(): WireTapStats {
    return { messages: this.#messages.length, disconnects: this.#disconnects }
  }

  /** Disconnects; the recorded messages stay readable. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#client.endAsync().catch(() => {})
    return this.#stopped
  }
}
