/**
 * Group commit in front of a sink: the readings of messages handled at the same time go to the
 * sink as one batch (one `INSERT … ON CONFLICT DO NOTHING`, one `fdatasync`), so a sink that
 * pays per commit keeps up with many devices. No waiting is added: a batch leaves as soon as a
 * batch slot is free (`maxBatches` in flight), with everything queued by then (up to
 * `maxRecords`). Each caller's write resolves when the batch holding its records is durable, or
 * rejects with the batch's error (it then retries, as for any sink failure). A batch refused for
 * one record the sink can never store (`ERR_SINK_RECORD_REJECTED`) is split, so only the message
 * holding that record is refused.
 *
 * @example
 * ```ts
 * const commits = new GroupCommit(sink, { maxRecords: 1000, maxBatches: 2, onBatch })
 * await commits.write(records) // durable
 * ```
 */
import type { OutputRecord, Sink, SinkWriteResult } from '../sinks/sink.ts'

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** Most records in one batch (a single write larger than this goes alone). */
  readonly maxRecords: number
  /** Most batches in flight at once. */
  readonly maxBatches: number
  /** Called for each durable batch: its result, its size, its time in seconds. */
  readonly onBatch?:
    ((result: SinkWriteResult, records: number, seconds: number) => void) | undefined
}

interface Pending {
  readonly records: readonly OutputRecord[]
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/**
 * Batches concurrent writes (see the module doc).
 *
 * @example
 * ```ts
 * await Promise.all([commits.write(a), commits.write(b)]) // one sink.write(a ++ b)
 * ```
 */
export class GroupCommit {
  readonly #sink: Sink
  readonly #options: GroupCommitOptions
  #queue: Pending[] = []
  #running = 0

  constructor(sink: Sink, options: GroupCommitOptions) {
    if (!Number.isSafeInteger(options.maxRecords) || options.maxRecords < 1) {
      throw new RangeError('maxRecords: expected a positive integer')
    }
    if (!Number.isSafeInteger(options.maxBatches) || options.maxBatches < 1) {
      throw new RangeError('maxBatches: expected a positive integer')
    }
    this.#sink = sink
    this.#options = options
  }

  /** Resolves when `records` are durable in the sink. */
  write(records: readonly OutputRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ records, resolve, reject })
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#running < this.#options.maxBatches && this.#queue.length > 0) {
      let batch: Pending[]
      let size = this.#queue[0]!.records.length
      let n = 1
      while (
        n < this.#queue.length &&
        size + this.#queue[n]!.records.length <= this.#options.maxRecords
      ) {
        size += this.#queue[n]!.records.length
        n++
      }
      if (n === this.#queue.length) {
        batch = this.#queue
        this.#queue = []
      } else {
        batch = this.#queue.splice(0, n)
      }
      this.#running++
      this.#commit(batch, () => {
        this.#running--
        this.#pump()
      })
    }
  }

  /** Writes one batch and settles its callers, then calls `done` (no promise of its own). */
  #commit(batch: readonly Pending[], done: () => void): void {
    const records = batch.length === 1 ? batch[0]!.records : batch.flatMap((p) => p.records)
    const started = performance.now()
    let written: Promise<SinkWriteResult>
    try {
      written = this.#sink.write(records)
    } catch (err) {
      written = Promise.reject(err)
    }
    written.then(
      (result) => {
        try {
          this.#options.onBatch?.(result, records.length, (performance.now() - started) / 1000)
        } catch (err) {
          for (const p of batch) p.reject(err)
          done()
          return
        }
        for (const p of batch) p.resolve()
        done()
      },
      (err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code
        if (code === 'ERR_SINK_RECORD_REJECTED' && batch.length > 1) {
          // One message's record: find it by writing each message on its own.
          let left = batch.length
          for (const p of batch) {
            this.#commit([p], () => {
              if (--left === 0) done()
            })
          }
          return
        }
        for (const p of batch) p.reject(err)
        done()
      },
    )
  }
}
