/**
 * A plain Mosquitto of the test's own (the machine's broker on 1883 cannot be stopped): a
 * minimal config (one anonymous listener on a free loopback port, no persistence, no queue
 * limits), started as a child process, killed with SIGKILL and started again on the same port.
 *
 * The agent reaches it through a {@link TcpGate}: after a restart the test subscribes first and
 * only then opens the gate, so no message can reach the fresh broker before the subscriber does
 * (a broker without persistence delivers a message only to subscriptions that exist).
 */
import { accepts, freePort } from '../tls/_mosquitto.ts'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { join } from 'node:path'

export { mosquittoBinary } from '../tls/_mosquitto.ts'

/** A Mosquitto that can be killed and started again on its port. */
export class OwnMosquitto {
  readonly binary: string
  readonly dir: string
  port = 0
  #child: ChildProcess | undefined
  #log = ''

  constructor(binary: string, dir: string) {
    this.binary = binary
    this.dir = dir
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  /** What it logged (kept for failure messages). */
  log(): string {
    return this.#log
  }

  /** Starts it: on a free port the first time, on the same port after that. */
  async start(): Promise<void> {
    const fixed = this.port !== 0
    for (let attempt = 0; ; attempt++) {
      if (!fixed) this.port = await freePort()
      try {
        await this.#startOnce()
        return
      } catch (err) {
        // Another process took the port between choosing and binding it: only the first start
        // may move to another port (a restart must keep its port).
        if (fixed || attempt >= 2 || !/Address already in use/i.test(String(err))) throw err
      }
    }
  }

  async #startOnce(): Promise<void> {
    const configFile = join(this.dir, 'mosquitto.conf')
    const config = [
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      // A subscriber that falls behind must not lose QoS 1 messages to a queue limit.
      'max_queued_messages 0',
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      // As root, Mosquitto would switch to the "mosquitto" user, which cannot read our folder.
      // (Not `os.userInfo()`: Bun 1.4.5 answers "unknown" for root.)
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${this.port} 127.0.0.1`,
      '',
    ].join('\n')
    await writeFile(configFile, config, { mode: 0o600 })
    const child = spawn(this.binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (b: Buffer): void => {
      this.#log = (this.#log + b.toString('utf8')).slice(-64 * 1024)
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    let spawnError: Error | undefined
    child.once('error', (err) => (spawnError = err))
    const deadline = Date.now() + 10_000
    for (;;) {
      if (spawnError !== undefined) throw spawnError
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `mosquitto exited (${child.exitCode ?? child.signalCode}) at start: ${this.#log}`,
        )
      }
      if (await accepts(this.port)) break
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`mosquitto did not listen on ${this.port} within 10 s: ${this.#log}`)
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    this.#child = child
  }

  /** SIGKILL: no clean shutdown, every connection cut; resolves once it is gone. */
  async kill9(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGKILL')
    await gone
  }
}

/**
 * A TCP relay on a port of its own to a target port. Closed, it takes connections and cuts them
 * at once (to a client, a broker that is down); open, it relays bytes both ways, and cuts the
 * client when the target goes away.
 */
export class TcpGate {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  #open = false
  readonly #target: number
  port = 0
  /** Connections relayed to the target. */
  relayed = 0

  constructor(target: number) {
    this.#target = target
    this.#server = createServer((client) => this.#relay(client))
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(0, '127.0.0.1', () => resolve())
    })
    this.port = (this.#server.address() as { port: number }).port
  }

  open(): void {
    this.#open = true
  }

  /** Stops relaying new connections and cuts the current ones. */
  close(): void {
    this.#open = false
    for (const s of this.#sockets) s.destroy()
  }

  async stop(): Promise<void> {
    this.close()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #relay(client: Socket): void {
    this.#sockets.add(client)
    client.once('close', () => this.#sockets.delete(client))
    client.on('error', () => undefined)
    if (!this.#open) {
      client.destroy()
      return
    }
    this.relayed++
    const upstream = connect({ host: '127.0.0.1', port: this.#target })
    this.#sockets.add(upstream)
    upstream.once('close', () => {
      this.#sockets.delete(upstream)
      client.destroy()
    })
    upstream.on('error', () => undefined)
    client.once('close', () => upstream.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  }
}
