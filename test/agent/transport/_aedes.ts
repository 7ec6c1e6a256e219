/**
 * An in-process aedes broker (MQTT 3.1.1 only) on 127.0.0.1, port 0 by default, that can be
 * stopped and started again on the same port with a fresh broker (nothing retained survives,
 * as after a crash of a broker without persistence). `onPublish` sees every client PUBLISH with
 * the connection it came on; `subscribe` registers a broker-side subscriber before clients can
 * connect, so it cannot miss a message published after a restart.
 *
 * `stop()` drops every connection and frees the port at once, but closes the old aedes only in
 * `close()`: aedes 1.2 writes the PUBACK of a QoS 1 PUBLISH *before* routing it
 * (`lib/handlers/publish.js`), so closing it at once could lose a message it had acknowledged,
 * a broker-side loss no client can prevent or detect. Letting it finish routing keeps the test
 * about the client.
 */
import { Aedes } from 'aedes'
import type { AedesPublishPacket, Client } from 'aedes'
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'

export interface SeenPublish {
  /** Which connection (1-based, counted over restarts) sent it. */
  readonly conn: number
  readonly topic: string
  readonly payload: Buffer
  readonly retain: boolean
}

export class AedesHarness {
  readonly seen: SeenPublish[] = []
  connections = 0
  broker: Aedes | undefined
  #server: Server | undefined
  #sockets = new Set<Socket>()
  #port = 0
  #conns = new WeakMap<Client, number>()
  #subscribers: { topic: string; deliver: (p: AedesPublishPacket) => void }[] = []
  #retired: Aedes[] = []

  get port(): number {
    return this.#port
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.#port}`
  }

  /** Adds a broker-side subscriber, kept across restarts. */
  subscribe(topic: string, deliver: (p: AedesPublishPacket) => void): void {
    this.#subscribers.push({ topic, deliver })
    this.broker?.subscribe(
      topic,
      (p, cb) => (deliver(p), cb()),
      () => {},
    )
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker({ maxClientsIdLength: 128 })
    for (const s of this.#subscribers) {
      await new Promise<void>((resolve) =>
        broker.subscribe(s.topic, (p, cb) => (s.deliver(p), cb()), resolve),
      )
    }
    broker.on('client', (c) => this.#conns.set(c, ++this.connections))
    broker.on('publish', (p, c) => {
      if (c === null) return
      this.seen.push({
        conn: this.#conns.get(c) ?? 0,
        topic: p.topic,
        payload: Buffer.from(p.payload),
        retain: p.retain,
      })
    })
    const server = createServer(broker.handle)
    server.on('connection', (s) => {
      this.#sockets.add(s)
      s.on('close', () => this.#sockets.delete(s))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.#port, '127.0.0.1', () => resolve())
    })
    this.#port = (server.address() as AddressInfo).port
    this.broker = broker
    this.#server = server
  }

  /** Stops abruptly: every connection destroyed, the port released (see the module doc). */
  async stop(): Promise<void> {
    const server = this.#server
    if (this.broker !== undefined) this.#retired.push(this.broker)
    this.#server = undefined
    this.broker = undefined
    for (const s of this.#sockets) s.destroy()
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Stops, and closes every broker this harness started. */
  async close(): Promise<void> {
    await this.stop()
    for (const b of this.#retired.splice(0)) {
      await new Promise<void>((resolve) => b.close(() => resolve()))
    }
  }

  /** Drops every client connection; the broker stays up. */
  dropClients(): void {
    for (const s of this.#sockets) s.destroy()
  }
}
