/**
 * Acknowledges QoS 1 messages only once they are durably handled, in the order they were
 * received (MQTT 3.1.1 §4.6 and MQTT 5 §4.6: "It MUST send PUBACK packets in the order in which
 * the corresponding PUBLISH packets were received"), while messages are handled concurrently.
 *
 * mqtt.js sends a PUBACK as soon as the callback of its (overridable) `handleMessage` has been
 * called, and reads no further packet until that PUBACK is written, so acknowledging there after
 * the work would handle one message at a time. Instead the callback is called at once, and the
 * PUBACK mqtt.js then writes through its (private) `_sendPacket` is held here: its completion
 * callback runs at once (so mqtt.js reads on), and the packet itself goes out when its message,
 * and every message received before it on the same connection, is done. A held PUBACK of a connection that closed
 * is dropped: the broker redelivers the message to a persistent session (or, with a clean one,
 * forgets it). mqtt.js is pinned; {@link OrderedAcks.supported} checks the hook exists, and the
 * subscriber falls back to one message at a time without it.
 *
 * @example
 * ```ts
 * const acks = new OrderedAcks(client)
 * const entry = acks.received(packet.messageId)
 * handle(msg).then(() => acks.done(entry))
 * ```
 */

/** A PUBACK packet as mqtt.js builds it. */
interface PubackPacket {
  readonly cmd: 'puback'
  readonly messageId?: number | undefined
}

type SendPacket = (
  packet: { cmd: string; messageId?: number },
  cb?: (err?: unknown) => void,
  ...rest: unknown[]
) => void

/** The mqtt.js client surface this relies on. */
interface HookableClient {
  _sendPacket: SendPacket
}

/** One received message awaiting its acknowledgement. */
export interface AckEntry {
  readonly messageId: number
  readonly generation: number
  done: boolean
  puback: PubackPacket | undefined
}

/**
 * In-order acknowledgements on one mqtt.js client (see the module doc).
 */
export class OrderedAcks {
  readonly #send: SendPacket
  #generation = 0
  #queue: AckEntry[] = []
  #byId = new Map<number, AckEntry>()

  /** True when `client` has the hook this needs. */
  static supported(client: unknown): boolean {
    return typeof (client as Partial<HookableClient> | null)?._sendPacket === 'function'
  }

  constructor(client: unknown) {
    if (!OrderedAcks.supported(client)) throw new TypeError('OrderedAcks: unsupported client')
    const hookable = client as HookableClient
    const original = hookable._sendPacket.bind(hookable)
    this.#send = original
    hookable._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const entry = this.#byId.get(packet.messageId)
        if (entry !== undefined && entry.puback === undefined) {
          entry.puback = packet as PubackPacket
          cb?.()
          this.#flush()
          return
        }
      }
      original(packet, cb, ...rest)
    }
  }

  /** Messages received on the current connection and not yet acknowledged. */
  get pending(): number {
    return this.#queue.length
  }

  /** A new connection: what was held for the old one is dropped. */
  reset(): void {
    this.#generation++
    this.#queue = []
    this.#byId = new Map()
  }

  /** Registers a received QoS 1 message, before mqtt.js is told to acknowledge it. */
  received(messageId: number): AckEntry {
    const entry: AckEntry = {
      messageId,
      generation: this.#generation,
      done: false,
      puback: undefined,
    }
    this.#queue.push(entry)
    this.#byId.set(messageId, entry)
    return entry
  }

  /** The message is durably handled: its PUBACK goes out once every earlier one has. */
  done(entry: AckEntry): void {
    if (entry.generation !== this.#generation) return
    entry.done = true
    this.#flush()
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!
      if (!head.done || head.puback === undefined) return
      this.#queue.shift()
      this.#byId.delete(head.messageId)
      this.#send(head.puback)
    }
  }
}
