/**
 * The runner's handle on one device host process: spawn it, read its events, send it commands,
 * cut its power (SIGKILL) and boot it again on the same folders.
 *
 * @example
 * ```ts
 * const host = new HostProcess(0, specPath, (e) => fleet.onEvent(e))
 * host.start()
 * host.powerCut() // SIGKILL, mid-write
 * host.start() // reboot: the same device folders and state folders
 * ```
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { HostCommand, HostEvent } from './host_protocol.ts'
import { parseHostEvent } from './host_protocol.ts'
import { programPath } from './scripts.ts'

/** One device host process (its incarnations over power cuts). */
export class HostProcess {
  readonly index: number
  readonly #specPath: string
  readonly #onEvent: (host: number, e: HostEvent) => void
  readonly #onExit: (host: number, code: number | null, signal: string | null) => void
  readonly #stderr: WriteStream
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  /** Incarnations started (1 after the first start). */
  boots = 0

  constructor(
    index: number,
    specPath: string,
    stderrLog: string,
    onEvent: (host: number, e: HostEvent) => void,
    onExit: (host: number, code: number | null, signal: string | null) => void,
  ) {
    this.index = index
    this.#specPath = specPath
    this.#onEvent = onEvent
    this.#onExit = onExit
    this.#stderr = createWriteStream(stderrLog, { flags: 'a' })
  }

  /** The running incarnation's process id. */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** True while an incarnation runs. */
  get running(): boolean {
    return this.#child !== undefined
  }

  /** Starts an incarnation (power on). */
  start(): void {
    if (this.#child !== undefined) throw new Error(`host ${this.index} is already running`)
    this.boots++
    const child = spawn(process.execPath, [programPath('host'), this.#specPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.#child = child
    child.stderr!.pipe(this.#stderr, { end: false })
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity })
    lines.on('line', (line) => {
      if (line.trim() === '') return
      let event: HostEvent
      try {
        event = parseHostEvent(line)
      } catch (err) {
        this.#stderr.write(
          `runner: bad event line from host ${this.index}: ${(err as Error).message}\n`,
        )
        return
      }
      this.#onEvent(this.index, event)
    })
    child.stdin!.on('error', () => {}) // a killed host's stdin: EPIPE is expected
    this.#exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        if (this.#child === child) this.#child = undefined
        this.#onExit(this.index, code, signal)
        resolve()
      })
    })
  }

  /** Sends one command; ignored when the host is not running (its power is off). */
  send(cmd: HostCommand): void {
    this.#child?.stdin!.write(`${JSON.stringify(cmd)}\n`)
  }

  /** Power cut: SIGKILL at whatever moment the host is in. Resolves once it is gone. */
  async powerCut(): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    child.kill('SIGKILL')
    await this.#exited
  }

  /** Clean shutdown: `stop`, then SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    this.send({ cmd: 'stop' })
    child.stdin!.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    await this.#exited
    clearTimeout(timer)
  }

  /** Closes the stderr log. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#stderr.end(() => resolve()))
  }
}
