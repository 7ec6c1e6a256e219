/**
 * Serves a {@link NoiseSource} through a named pipe, so the agent's `{ path }` input reads it
 * exactly as it reads `/dev/hwrng`: `mkfifo -m 600 PATH`, then a writer that keeps the pipe
 * full, honouring every fault (a starved source writes at its allowance). Needs a POSIX system
 * with `mkfifo(1)` (Linux, macOS); HARDWARE.md is normative.
 *
 * The server holds a read end of its own (opened `O_RDONLY | O_NONBLOCK` before the write end),
 * for two reasons: the write end then opens at once whether or not the agent is there, and the
 * pipe never breaks when the agent stops or is killed (a rebooted agent finds it still fed). When
 * the fault changes, the server reads out and discards what the pipe still holds (up to the
 * pipe's capacity, 64 KiB on Linux), so the next sample the agent reads follows the new fault —
 * as a device whose noise source breaks has no healthy samples left to give. The agent may still
 * take a chunk of old samples in the instant before that.
 *
 * @example
 * ```ts
 * const fifo = await serveNoiseFifo(noise, join(dir, 'hwrng'))
 * // SEALWIRE_ENTROPY_SOURCE=hardware SEALWIRE_ENTROPY_DEVICE=<fifo.path> sealwire-agent run …
 * await fifo.close()
 * ```
 */
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { open, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { shown } from '../../../platform/src/index.ts'
import { HardwareSimError } from './errors.ts'
import type { NoiseSource } from './noise_source.ts'

/** A FIFO being fed; {@link close} stops the writer and removes the FIFO. */
export interface NoiseFifo {
  readonly path: string
  /** Samples written into the pipe so far (including any later discarded on a fault change). */
  readonly written: number
  /** The error that stopped the writer, if one did (the FIFO then stays silent). */
  readonly error: Error | undefined
  close(): Promise<void>
}

function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'unknown error'
}

function mkfifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('mkfifo', ['-m', '600', path], (err, _stdout, stderr) => {
      if (err === null) return resolve()
      const code = errnoOf(err)
      reject(
        new HardwareSimError(
          'ERR_SIM_FIFO',
          code === 'ENOENT'
            ? 'mkfifo(1) was not found: serving noise over a FIFO needs a POSIX system (Linux, macOS)'
            : `cannot make the FIFO ${shown(path, 200)}: ${String(stderr).trim() || code}`,
          { cause: err },
        ),
      )
    })
  })
}

/**
 * Makes a FIFO at `path` (which must not exist) and keeps it fed from `source`.
 *
 * @throws {HardwareSimError} `ERR_SIM_FIFO` when the FIFO cannot be made or opened.
 * @example
 * ```ts
 * const fifo = await serveNoiseFifo(new NoiseSource({ seed: 1 }), '/tmp/sim/hwrng')
 * ```
 */
export async function serveNoiseFifo(source: NoiseSource, path: string): Promise<NoiseFifo> {
  if (typeof path !== 'string' || path === '')
    throw new TypeError('path: expected a non-empty path')
  await mkfifo(path)
  let reader: FileHandle | undefined
  let writer: FileHandle
  try {
    reader = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
    writer = await open(path, constants.O_WRONLY | constants.O_NONBLOCK)
  } catch (err) {
    await reader?.close().catch(() => undefined)
    await unlink(path).catch(() => undefined)
    throw new HardwareSimError(
      'ERR_SIM_FIFO',
      `cannot open the FIFO ${shown(path, 200)}: ${errnoOf(err)}`,
      { cause: err },
    )
  }
  return new FifoServer(source, path, reader, writer)
}

class FifoServer implements NoiseFifo {
  readonly path: string
  written = 0
  error: Error | undefined
  readonly #source: NoiseSource
  readonly #reader: FileHandle
  readonly #writer: FileHandle
  readonly #offFault: () => void
  readonly #loop: Promise<void>
  #closing = false
  #drainWanted = false
  #pending: Uint8Array = new Uint8Array(0)
  #waiting: AbortController | undefined
  #closed: Promise<void> | undefined

  constructor(source: NoiseSource, path: string, reader: FileHandle, writer: FileHandle) {
    this.#source = source
    this.path = path
    this.#reader = reader
    this.#writer = writer
    this.#offFault = source.onFaultChange(() => {
      this.#drainWanted = true
      this.#waiting?.abort()
    })
    this.#loop = this.#feed().catch((err: unknown) => {
      this.error = err instanceof Error ? err : new Error(String(err))
    })
  }

  async #feed(): Promise<void> {
    while (!this.#closing) {
      if (this.#drainWanted) {
        this.#drainWanted = false
        this.#pending = new Uint8Array(0)
        await this.#drain()
        continue
      }
      if (this.#pending.length === 0) this.#pending = this.#source.paced(this.#source.chunkSamples)
      if (this.#pending.length === 0) {
        await this.#wait()
        continue
      }
      try {
        const { bytesWritten } = await this.#writer.write(this.#pending, 0, this.#pending.length)
        this.written += bytesWritten
        this.#pending = this.#pending.subarray(bytesWritten)
      } catch (err) {
        const code = errnoOf(err)
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw err
        await this.#wait()
      }
    }
  }

  /** Reads out and discards what the pipe holds. */
  async #drain(): Promise<void> {
    const buf = new Uint8Array(this.#source.chunkSamples)
    for (;;) {
      try {
        const { bytesRead } = await this.#reader.read(buf, 0, buf.length, null)
        if (bytesRead === 0) return
      } catch (err) {
        const code = errnoOf(err)
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return
        throw err
      }
    }
  }

  async #wait(): Promise<void> {
    const waiting = new AbortController()
    this.#waiting = waiting
    try {
      await this.#source.clock.sleep(this.#source.tickMs, waiting.signal)
    } catch {
      // Woken early: closing, or a fault change to act on.
    } finally {
      this.#waiting = undefined
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true
      this.#offFault()
      this.#waiting?.abort()
      await this.#loop
      await this.#writer.close().catch(() => undefined)
      await this.#reader.close().catch(() => undefined)
      await unlink(this.path).catch(() => undefined)
    })()
    return this.#closed
  }
}
