/**
 * The JSONL sink (`--sink jsonl:PATH`, `jsonl:-` for stdout): one JSON object per reading per
 * line, with exactly the {@link OutputRecord} fields in this order:
 *
 * `{"deviceId":…,"seq":…,"index":…,"stream":…,"time":…,"clock":…,"value":…,"epochId":…,"receivedAt":…}`
 *
 * `write` appends the batch's new lines in one write and resolves after they are flushed: a file
 * is `fdatasync`ed (unless `fsync: false`), a stream's write callback has fired. A failed write is
 * cut back off the file (`ftruncate` to the length before it), so nothing of a rejected batch
 * stays, and lines never interleave (writes are serialized).
 *
 * **Idempotency is bounded.** The sink remembers the `(device, seq, index)` keys of the last
 * `dedupeEntries` lines it wrote (default 100,000) and drops a record it remembers, counting a
 * duplicate. On open of an existing file it reads the keys back from the file's last lines (at
 * most `rebuildMaxBytes`), and a torn last line (a crash mid-write, never acknowledged) is cut
 * off, or completed with its newline when it is a whole record. So across a crash the JSONL sink
 * is exactly-once only within that bound: a redelivery older than the last `dedupeEntries` lines
 * is written again. **PostgreSQL is the exactly-once sink.** One process writes one file.
 *
 * @example
 * ```ts
 * const sink = await JsonlSink.open('/var/lib/sealwire/readings.jsonl')
 * await sink.write(records) // { inserted: 3, duplicates: 0 }
 * const out = JsonlSink.toStream(process.stdout) // jsonl:-
 * ```
 */
import { constants } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { open, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fsyncDir, plain, shown } from '../../../platform/src/index.ts'
import { BoundedKeySet } from './_bounded_key_set.ts'
import { readJsonlTail } from './_jsonl_tail.ts'
import { FileTarget, StreamTarget } from './_jsonl_targets.ts'
import type { JsonlStream, Target } from './_jsonl_targets.ts'
import { assertOutputRecords, recordJson, recordKey } from './_output_record.ts'
import { sinkDefaults } from './defaults.ts'
import { SinkError } from './errors.ts'
import type { OutputRecord, Sink, SinkWriteResult } from './sink.ts'

/** Options of {@link JsonlSink.open}. */
export interface JsonlFileOptions {
  /** Default true: `fdatasync` before `write` resolves. */
  readonly fsync?: boolean
  /** Default 100,000: keys remembered (the exactly-once bound). */
  readonly dedupeEntries?: number
  /** Default 64 MiB: at most this much of an existing file's end is read at open. */
  readonly rebuildMaxBytes?: number
  /** Default 0o600: mode of a new file. */
  readonly fileMode?: number
}

/** Options of {@link JsonlSink.toStream}. */
export interface JsonlStreamOptions {
  readonly dedupeEntries?: number
}

export type { JsonlStream }

/** What {@link JsonlSink.open} found in an existing file. */
export interface JsonlRecovery {
  /** Keys read back from the file's last lines. */
  readonly keys: number
  /** Bytes of a torn last line cut off (0: none). */
  readonly tornBytesRemoved: number
}

function checkCount(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new SinkError('ERR_CONFIG', `${name}: expected an integer ≥ 1, got ${shown(v)}`)
  }
  return v
}

/** The JSONL {@link Sink}. */
export class JsonlSink implements Sink {
  readonly description: string
  /** What opening an existing file found (zeros for a new file or a stream). */
  readonly recovery: JsonlRecovery
  readonly #target: Target
  readonly #written: BoundedKeySet
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false
  #closing: Promise<void> | undefined

  private constructor(
    description: string,
    target: Target,
    written: BoundedKeySet,
    recovery: JsonlRecovery,
  ) {
    this.description = description
    this.#target = target
    this.#written = written
    this.recovery = recovery
  }

  /**
   * Opens (or creates) the file at `path` for appending, reading back the keys of its last lines.
   *
   * @throws {SinkError} `ERR_CONFIG` when the folder is missing, the path is not a regular file or
   *   cannot be opened, or an option is wrong; `ERR_SINK_FILE_INVALID` when the file's last lines
   *   are not sealwire output records; `ERR_SINK_UNAVAILABLE` when reading or repairing it fails.
   */
  static async open(path: string, options: JsonlFileOptions = {}): Promise<JsonlSink> {
    const d = sinkDefaults.jsonl
    const dedupeEntries = checkCount('dedupeEntries', options.dedupeEntries ?? d.dedupeEntries)
    const rebuildMaxBytes = checkCount(
      'rebuildMaxBytes',
      options.rebuildMaxBytes ?? d.rebuildMaxBytes,
    )
    const fsync = options.fsync ?? d.fsync
    const where = `jsonl:${path}`
    if (typeof path !== 'string' || path === '') {
      throw new SinkError(
        'ERR_CONFIG',
        'jsonl: a path is required (jsonl:PATH, or jsonl:- for stdout)',
      )
    }
    try {
      if (!(await stat(dirname(path))).isDirectory()) throw new Error('not a folder')
    } catch {
      throw new SinkError(
        'ERR_CONFIG',
        `${where}: the folder ${shown(dirname(path), 200)} does not exist`,
      )
    }
    let fh: FileHandle
    let existed = true
    try {
      await stat(path)
    } catch {
      existed = false
    }
    try {
      // O_NONBLOCK: a FIFO given as the path is refused below instead of hanging the open.
      fh = await open(
        path,
        constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | (constants.O_NONBLOCK ?? 0),
        options.fileMode ?? d.fileMode,
      )
    } catch (err) {
      throw new SinkError('ERR_CONFIG', `${where}: ${plain((err as Error).message)}`, {
        cause: err,
      })
    }
    try {
      const info = await fh.stat()
      if (!info.isFile()) {
        throw new SinkError(
          'ERR_CONFIG',
          `${where}: not a regular file (use jsonl:- to write to stdout)`,
        )
      }
      if (!existed) await fsyncDir(dirname(path))
      const tail = await readJsonlTail(fh, info.size, dedupeEntries, rebuildMaxBytes, path)
      const written = new BoundedKeySet(dedupeEntries)
      for (const key of tail.keys) written.add(key)
      let size = info.size
      let tornBytesRemoved = 0
      if (tail.tornBytes > 0 && tail.tornIsRecord) {
        await fh.write('\n')
        size += 1
        written.add(tail.tornKey!)
      } else if (tail.tornBytes > 0) {
        size -= tail.tornBytes
        await fh.truncate(size)
        tornBytesRemoved = tail.tornBytes
      }
      if (tail.tornBytes > 0) await fh.datasync()
      const target = new FileTarget(fh, size, fsync, path)
      return new JsonlSink(where, target, written, {
        keys: tail.keys.length + (tail.tornIsRecord ? 1 : 0),
        tornBytesRemoved,
      })
    } catch (err) {
      await fh.close().catch(() => undefined)
      if (err instanceof SinkError) throw err
      throw new SinkError('ERR_SINK_UNAVAILABLE', `${where}: ${plain((err as Error).message)}`, {
        cause: err,
      })
    }
  }

  /**
   * A sink writing to `stream` (`jsonl:-` is `toStream(process.stdout)`). `close()` leaves the
   * stream open. Nothing is read back: duplicates are dropped within this process's memory only.
   */
  static toStream(stream: JsonlStream, options: JsonlStreamOptions = {}): JsonlSink {
    const dedupeEntries = checkCount(
      'dedupeEntries',
      options.dedupeEntries ?? sinkDefaults.jsonl.dedupeEntries,
    )
    return new JsonlSink('jsonl:-', new StreamTarget(stream), new BoundedKeySet(dedupeEntries), {
      keys: 0,
      tornBytesRemoved: 0,
    })
  }

  async write(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    assertOutputRecords(records)
    if (this.#closed) {
      throw new SinkError('ERR_SINK_CLOSED', `${this.description}: the sink is closed`)
    }
    const run = this.#queue.then(() => this.#write(records))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #write(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    const keys: string[] = []
    const batch = new Set<string>()
    let text = ''
    for (const r of records) {
      const key = recordKey(r.deviceId, r.seq, r.index)
      if (this.#written.has(key) || batch.has(key)) continue
      batch.add(key)
      keys.push(key)
      text += `${recordJson(r)}\n`
    }
    if (text !== '') await this.#target.append(text)
    for (const key of keys) this.#written.add(key)
    return { inserted: keys.length, duplicates: records.length - keys.length }
  }

  /** Lets the writes already called finish, then closes the file (a stream stays open). */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true
      this.#closing = this.#queue.then(async () => {
        this.#written.clear()
        await this.#target.close()
      })
    }
    return this.#closing
  }
}
