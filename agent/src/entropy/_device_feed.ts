/**
 * Samples from a path: a character device (`/dev/hwrng`), a FIFO, or a regular file. The file is
 * opened with `O_NONBLOCK`, so `open` never waits for a FIFO's writer and each `read` returns at
 * once (libuv runs it on its thread pool; the event loop never blocks). `EAGAIN` (no data yet)
 * and a zero-byte read (no writer, or the end of a file) mean "wait `pollIntervalMs` and retry";
 * a FIFO whose writer comes back is read again. Any other error is `ERR_ENTROPY_SOURCE`.
 * At most `readChunkSamples` bytes are read per call, into one reused buffer: the bound on what
 * this process buffers; the kernel's pipe buffer holds back a faster writer.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { shown } from '../../../platform/src/index.ts'
import { EntropyError } from './errors.ts'
import type { FeedContext, SampleFeed } from './_feed.ts'

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'unknown error'
}

function sourceError(message: string, cause?: unknown): EntropyError {
  return new EntropyError('ERR_ENTROPY_SOURCE', message, { cause, latched: true })
}

/** Opens `path` for non-blocking sample reads. */
export async function openDeviceFeed(path: string, ctx: FeedContext): Promise<SampleFeed> {
  let fh: FileHandle
  try {
    fh = await open(path, OPEN_FLAGS)
  } catch (err) {
    throw sourceError(`cannot open the sample device ${shown(path, 200)}: ${errnoOf(err)}`, err)
  }
  try {
    const info = await fh.stat()
    if (!(info.isCharacterDevice() || info.isFIFO() || info.isFile())) {
      throw sourceError(`${shown(path, 200)} is not a character device, FIFO or file`)
    }
  } catch (err) {
    await fh.close().catch(() => undefined)
    if (err instanceof EntropyError) throw err
    throw sourceError(`cannot stat the sample device ${shown(path, 200)}: ${errnoOf(err)}`, err)
  }
  return new DeviceFeed(fh, path, ctx)
}

class DeviceFeed implements SampleFeed {
  readonly #fh: FileHandle
  readonly #path: string
  readonly #ctx: FeedContext
  readonly #buf: Uint8Array
  readonly #closing = new AbortController()
  // One controller per poll sleep, so no listener piles up on a long-lived signal.
  #sleeping: AbortController | undefined
  #closed: Promise<void> | undefined

  constructor(fh: FileHandle, path: string, ctx: FeedContext) {
    this.#fh = fh
    this.#path = path
    this.#ctx = ctx
    this.#buf = new Uint8Array(ctx.readChunkSamples)
  }

  async read(max: number): Promise<Uint8Array> {
    const want = Math.min(max, this.#buf.length)
    for (;;) {
      if (this.#closing.signal.aborted) return new Uint8Array(0)
      try {
        const { bytesRead } = await this.#fh.read(this.#buf, 0, want, null)
        if (this.#closing.signal.aborted) {
          this.#buf.fill(0)
          return new Uint8Array(0)
        }
        if (bytesRead > 0) return this.#buf.subarray(0, bytesRead)
      } catch (err) {
        if (this.#closing.signal.aborted) return new Uint8Array(0)
        const code = errnoOf(err)
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          throw sourceError(`cannot read the sample device ${shown(this.#path, 200)}: ${code}`, err)
        }
      }
      const sleeping = new AbortController()
      this.#sleeping = sleeping
      try {
        await this.#ctx.clock.sleep(this.#ctx.pollIntervalMs, sleeping.signal)
      } catch {
        return new Uint8Array(0)
      } finally {
        this.#sleeping = undefined
      }
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort()
      this.#sleeping?.abort()
      this.#buf.fill(0)
      // FileHandle.close waits for a read in flight, which returns at once (O_NONBLOCK).
      await this.#fh.close().catch(() => undefined)
    })()
    return this.#closed
  }
}
