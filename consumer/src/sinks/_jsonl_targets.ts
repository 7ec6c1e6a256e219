/**
 * Where the JSONL sink's bytes go: a file (appended, `fdatasync`ed, a failed write cut back off)
 * or a stream (`process.stdout`). Internal to the JSONL sink; separate so tests can drive a file
 * target with a handle that fails.
 */
import type { FileHandle } from 'node:fs/promises'
import { plain } from '../../../platform/src/index.ts'
import { SinkError } from './errors.ts'

/** A stream the sink writes to (`process.stdout`, a socket, a test's collector). */
export interface JsonlStream {
  write(chunk: string, callback: (err?: Error | null) => void): boolean
  on?(event: 'error', listener: (err: Error) => void): unknown
  off?(event: 'error', listener: (err: Error) => void): unknown
}

/** Appends text, resolving once it is flushed. */
export interface Target {
  append(text: string): Promise<void>
  close(): Promise<void>
}

/** A file opened with O_APPEND. */
export class FileTarget implements Target {
  readonly #fh: Pick<FileHandle, 'write' | 'truncate' | 'datasync' | 'close'>
  readonly #fsync: boolean
  readonly #path: string
  #size: number
  /** A failed write that could not be cut back: cut it before anything else is appended. */
  #dirty = false

  constructor(
    fh: Pick<FileHandle, 'write' | 'truncate' | 'datasync' | 'close'>,
    size: number,
    fsync: boolean,
    path: string,
  ) {
    this.#fh = fh
    this.#size = size
    this.#fsync = fsync
    this.#path = path
  }

  async append(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8')
    try {
      if (this.#dirty) {
        await this.#fh.truncate(this.#size)
        this.#dirty = false
      }
      let done = 0
      while (done < bytes.length) {
        const { bytesWritten } = await this.#fh.write(bytes, done, bytes.length - done)
        done += bytesWritten
      }
      if (this.#fsync) await this.#fh.datasync()
    } catch (err) {
      try {
        await this.#fh.truncate(this.#size)
      } catch {
        this.#dirty = true
      }
      throw new SinkError(
        'ERR_SINK_UNAVAILABLE',
        `jsonl:${this.#path}: ${plain((err as Error).message)}`,
        { cause: err },
      )
    }
    this.#size += bytes.length
  }

  async close(): Promise<void> {
    await this.#fh.close()
  }
}

/** A stream; its 'error' events fail this write and every later one. */
export class StreamTarget implements Target {
  readonly #stream: JsonlStream
  #failure: Error | undefined
  readonly #onError = (err: Error): void => {
    this.#failure ??= err
  }

  constructor(stream: JsonlStream) {
    this.#stream = stream
    // An EPIPE (the reader went away) arrives as an 'error' event: without a listener it would
    // crash the process. It fails this write and every later one instead.
    stream.on?.('error', this.#onError)
  }

  append(text: string): Promise<void> {
    const fail = (err: Error): SinkError =>
      new SinkError('ERR_SINK_UNAVAILABLE', `jsonl:-: ${plain(err.message)}`, { cause: err })
    if (this.#failure !== undefined) return Promise.reject(fail(this.#failure))
    return new Promise((resolve, reject) => {
      try {
        this.#stream.write(text, (err) => {
          if (err) {
            this.#failure ??= err
            reject(fail(err))
          } else resolve()
        })
      } catch (err) {
        reject(fail(err as Error))
      }
    })
  }

  async close(): Promise<void> {
    this.#stream.off?.('error', this.#onError)
  }
}
