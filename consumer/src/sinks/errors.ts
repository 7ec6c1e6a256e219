/**
 * The errors of the sinks (`consumer/src/sinks/`): one class, {@link SinkError}, with a stable
 * `code`. A record of the wrong shape is a caller bug (`TypeError` / `RangeError`, STYLE §3.2).
 *
 * @example
 * ```ts
 * try {
 *   await sink.write(records)
 * } catch (err) {
 *   if (err instanceof SinkError && err.code === 'ERR_SINK_RECORD_REJECTED') deadLetter('records-invalid')
 *   else holdAck() // ERR_SINK_UNAVAILABLE: retry later, nothing was stored
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/** Every code this folder throws. */
export type SinkErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_SINK_UNAVAILABLE'
  | 'ERR_SINK_RECORD_REJECTED'
  | 'ERR_SINK_FILE_INVALID'
  | 'ERR_SINK_TABLE_INVALID'
  | 'ERR_SINK_CLOSED'

/**
 * A sink failed. Whatever the code, a rejected `write` reported nothing stored: the caller holds
 * the acknowledgement and writes the same records again later (the sink is idempotent).
 *
 * | code | when | caller |
 * |---|---|---|
 * | `ERR_CONFIG` | `--sink` is not `jsonl:PATH`, `jsonl:-` or `postgres://…`; a bad option; a JSONL path whose folder is missing or that is not a regular file | exit 78 |
 * | `ERR_SINK_UNAVAILABLE` | the file or database failed (I/O error, connection lost, table dropped, timeout) | retry later |
 * | `ERR_SINK_RECORD_REJECTED` | a record the sink cannot store, ever (PostgreSQL text cannot hold U+0000); `recordIndex` names it when known | dead-letter, do not retry |
 * | `ERR_SINK_FILE_INVALID` | an existing JSONL file whose last lines are not sealwire records (the wrong file?) | exit 78 |
 * | `ERR_SINK_TABLE_INVALID` | an existing table without the columns or the unique key `(device_id, seq, idx)` | exit 78 |
 * | `ERR_SINK_CLOSED` | a write after `close()` | a bug |
 *
 * @example
 * ```ts
 * // error ERR_SINK_UNAVAILABLE: postgres://db:5432/telemetry: 42P01 relation "readings" does not exist
 * ```
 */
export class SinkError extends CodedError<SinkErrorCode> {
  /** `ERR_SINK_RECORD_REJECTED`: the index of the refused record in the batch, when known. */
  readonly recordIndex: number | undefined

  constructor(
    code: SinkErrorCode,
    message: string,
    options?: { cause?: unknown; recordIndex?: number },
  ) {
    super(code, message, options)
    this.recordIndex = options?.recordIndex
  }
}
