/**
 * The flaky link: a TCP proxy on 127.0.0.1 between one device (or a few) and the broker that
 * passes, delays, black-holes, cuts or refuses connections on command. The fleet runner puts one
 * in front of each agent and drives it from a fault schedule (`link_schedule.ts`).
 *
 * @example
 * ```ts
 * const link = await startFlakyLink({ target: { host: '127.0.0.1', port: 1883 } })
 * // agent: --broker mqtt://127.0.0.1:${link.port}
 * link.set({ kind: 'blackhole' })
 * link.set({ kind: 'cut' }) // one-shot: every connection reset, then 'pass'
 * await link.close()
 * ```
 */
import { createServer, connect } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { Pipe } from './_pipe.ts'
import { resetSocket } from './_reset.ts'
import { checkLinkMode } from './link_mode.ts'
import type { LinkMode } from './link_mode.ts'

/** Counters of a link since it started. */
export interface LinkStats {
  /** Client connections accepted and proxied (refused ones not included). */
  connections: number
  /** Connections reset by `cut` or `refuse` while open. */
  cuts: number
  /** Client connections reset at once because the link was `refuse`. */
  refused: number
  /** Bytes forwarded from the device to the target. */
  bytesUp: number
  /** Bytes forwarded from the target to the device. */
  bytesDown: number
}

/** A running flaky link. */
export interface FlakyLink {
  /** The listening port on 127.0.0.1. */
  readonly port: number
  /** Changes the mode; takes effect at once (`cut` is a one-shot, then `pass`). */
  set(mode: LinkMode): void
  /** The current mode (never `cut`). */
  readonly mode: LinkMode
  /** Live counters (read-only for the caller). */
  readonly stats: Readonly<LinkStats>
  /** Connections open now. */
  readonly open: number
  /** Stops listening and resets every connection. Idempotent. */
  close(): Promise<void>
}

/** Options of {@link startFlakyLink}. */
export interface FlakyLinkOptions {
  /** Where connections go (the broker). */
  readonly target: { readonly host: string; readonly port: number }
  /** Port to listen on, 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number
  /** The first mode (default `pass`). */
  readonly mode?: LinkMode
}

interface Connection {
  readonly client: Socket
  readonly upstream: Socket
  readonly pipes: readonly [Pipe, Pipe]
}

const PASS: LinkMode = Object.freeze({ kind: 'pass' })

function checkPort(port: unknown, what: string, min: number): number {
  if (typeof port !== 'number' || !Number.isSafeInteger(port) || port < min || port > 65_535) {
    throw new RangeError(`${what} must be an integer from ${min} to 65535`)
  }
  return port
}

class Link implements FlakyLink {
  readonly stats: LinkStats = { connections: 0, cuts: 0, refused: 0, bytesUp: 0, bytesDown: 0 }
  readonly #server: Server
  readonly #target: { host: string; port: number }
  readonly #connections = new Set<Connection>()
  #mode: LinkMode
  #closed: Promise<void> | undefined

  constructor(server: Server, target: { host: string; port: number }, mode: LinkMode) {
    this.#server = server
    this.#target = target
    this.#mode = mode
    server.on('connection', (client) => this.#accept(client))
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  get mode(): LinkMode {
    return this.#mode
  }

  get open(): number {
    return this.#connections.size
  }

  set(mode: LinkMode): void {
    const next = checkLinkMode(mode)
    if (next.kind === 'cut' || next.kind === 'refuse') this.#resetAll()
    this.#mode = next.kind === 'cut' ? PASS : next
    for (const c of this.#connections) for (const p of c.pipes) p.pump()
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      for (const c of this.#connections) this.#drop(c)
    })
    return this.#closed
  }

  #accept(client: Socket): void {
    client.on('error', () => {})
    if (this.#mode.kind === 'refuse' || this.#closed !== undefined) {
      this.stats.refused++
      resetSocket(client)
      return
    }
    this.stats.connections++
    const upstream = connect({
      host: this.#target.host,
      port: this.#target.port,
      allowHalfOpen: true,
    })
    upstream.on('error', () => {})
    upstream.setNoDelay(true)
    client.setNoDelay(true)
    const ctl = (count: (n: number) => void) => ({ mode: () => this.#mode, forwarded: count })
    const up = new Pipe(
      client,
      upstream,
      ctl((n) => (this.stats.bytesUp += n)),
    )
    const down = new Pipe(
      upstream,
      client,
      ctl((n) => (this.stats.bytesDown += n)),
    )
    const conn: Connection = { client, upstream, pipes: [up, down] }
    this.#connections.add(conn)
    let closed = 0
    const onClose = (): void => {
      if (++closed === 2) this.#connections.delete(conn)
    }
    client.on('close', onClose)
    upstream.on('close', onClose)
    up.pump()
  }

  #resetAll(): void {
    for (const c of this.#connections) {
      this.stats.cuts++
      this.#drop(c)
    }
  }

  #drop(c: Connection): void {
    for (const p of c.pipes) p.discard()
    resetSocket(c.client)
    resetSocket(c.upstream)
    this.#connections.delete(c)
  }
}

/**
 * Starts a flaky link listening on 127.0.0.1 that forwards to `target`.
 *
 * @throws {RangeError} a port out of range.
 * @example
 * ```ts
 * const link = await startFlakyLink({ target: { host: '127.0.0.1', port: broker.port } })
 * ```
 */
export async function startFlakyLink(options: FlakyLinkOptions): Promise<FlakyLink> {
  const target = {
    host: options.target.host,
    port: checkPort(options.target.port, 'target.port', 1),
  }
  if (typeof target.host !== 'string' || target.host === '') {
    throw new TypeError('target.host must be a non-empty string')
  }
  const port = checkPort(options.port ?? 0, 'port', 0)
  const mode = checkLinkMode(options.mode ?? PASS)
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true })
  const link = new Link(server, target, mode.kind === 'cut' ? PASS : mode)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return link
}
