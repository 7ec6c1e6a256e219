/**
 * A minimal MQTT broker stub on 127.0.0.1, port 0, written against the packet layouts of MQTT
 * 3.1.1 §3 and MQTT 5 §3: it answers CONNECT with a success CONNACK, PINGREQ with PINGRESP,
 * records every PUBLISH, and answers PUBLISH with a PUBACK according to its mode:
 * - `ack`: at once;
 * - `hold`: kept until `release(n)` (to watch the in-flight window);
 * - `never`: never (a broker that accepts and swallows: the watchdog's case);
 * - `refuse`: a PUBACK with reason code `refuseCode` (MQTT 5 only).
 * `dropAll()` destroys every connection, with held PUBACKs unsent.
 */
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'

export interface StubPublish {
  readonly conn: number
  readonly topic: string
  readonly payload: Buffer
  readonly retain: boolean
  readonly qos: number
  readonly packetId: number
  readonly dup: boolean
}

export type StubMode = 'ack' | 'hold' | 'never' | 'refuse'

interface Held {
  readonly socket: Socket
  readonly packetId: number
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0
  let mult = 1
  for (let i = 0; i < 4; i++) {
    if (at + i >= buf.length) return undefined
    const b = buf[at + i]!
    value += (b & 0x7f) * mult
    if ((b & 0x80) === 0) return { value, next: at + i + 1 }
    mult *= 128
  }
  throw new Error('stub: malformed remaining length')
}

export class StubBroker {
  mode: StubMode = 'ack'
  refuseCode = 0x87
  /** Sent as Receive Maximum in an MQTT 5 CONNACK when set. */
  receiveMaximum: number | undefined
  readonly publishes: StubPublish[] = []
  readonly held: Held[] = []
  connections = 0
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  #versions = new Map<Socket, number>()

  private constructor(server: Server) {
    this.#server = server
  }

  static async start(mode: StubMode = 'ack'): Promise<StubBroker> {
    const server = createServer()
    const stub = new StubBroker(server)
    stub.mode = mode
    server.on('connection', (s) => stub.#accept(s))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return stub
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  /** Open connections. */
  get open(): number {
    return this.#sockets.size
  }

  /** Sends `n` held PUBACKs (oldest first) on connections still open. */
  release(n = Infinity): number {
    let sent = 0
    while (sent < n && this.held.length > 0) {
      const h = this.held.shift()!
      if (!h.socket.destroyed) this.#puback(h.socket, h.packetId, 0)
      sent++
    }
    return sent
  }

  dropAll(): void {
    this.held.length = 0
    for (const s of this.#sockets) s.destroy()
  }

  async close(): Promise<void> {
    this.dropAll()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket)
    const conn = ++this.connections
    socket.setNoDelay(true)
    let buf = Buffer.alloc(0)
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
      for (;;) {
        if (buf.length < 2) return
        const len = readVarint(buf, 1)
        if (len === undefined || buf.length < len.next + len.value) return
        const header = buf[0]!
        const body = buf.subarray(len.next, len.next + len.value)
        buf = buf.subarray(len.next + len.value)
        this.#packet(socket, conn, header, body)
      }
    })
  }

  #puback(socket: Socket, packetId: number, reason: number): void {
    const v5 = this.#versions.get(socket) === 5
    socket.write(
      v5 && reason !== 0
        ? Buffer.from([0x40, 0x04, packetId >> 8, packetId & 0xff, reason, 0x00])
        : Buffer.from([0x40, 0x02, packetId >> 8, packetId & 0xff]),
    )
  }

  #packet(socket: Socket, conn: number, header: number, body: Buffer): void {
    const type = header >> 4
    if (type === 1) {
      // CONNECT: protocol name (2-byte length + bytes), then the protocol level.
      const nameLen = body.readUInt16BE(0)
      const version = body[2 + nameLen]!
      this.#versions.set(socket, version)
      const rm = this.receiveMaximum
      socket.write(
        version !== 5
          ? Buffer.from([0x20, 0x02, 0, 0])
          : rm === undefined
            ? Buffer.from([0x20, 0x03, 0, 0, 0])
            : Buffer.from([0x20, 0x06, 0, 0, 0x03, 0x21, rm >> 8, rm & 0xff]),
      )
    } else if (type === 3) {
      const qos = (header >> 1) & 3
      const topicLen = body.readUInt16BE(0)
      const topic = body.subarray(2, 2 + topicLen).toString('utf8')
      let at = 2 + topicLen
      const packetId = qos > 0 ? body.readUInt16BE(at) : 0
      if (qos > 0) at += 2
      if (this.#versions.get(socket) === 5) {
        const props = readVarint(body, at)!
        at = props.next + props.value
      }
      this.publishes.push({
        conn,
        topic,
        payload: Buffer.from(body.subarray(at)),
        retain: (header & 1) === 1,
        qos,
        packetId,
        dup: (header & 8) === 8,
      })
      if (qos === 0) return
      if (this.mode === 'ack') this.#puback(socket, packetId, 0)
      else if (this.mode === 'hold') this.held.push({ socket, packetId })
      else if (this.mode === 'refuse') this.#puback(socket, packetId, this.refuseCode)
    } else if (type === 12) {
      socket.write(Buffer.from([0xd0, 0x00]))
    } else if (type === 14) {
      socket.end()
    }
  }
}
