/**
 * Where opened readings go. One output record per reading; a sink's write is **idempotent by
 * (device id, sequence number, index in the message)**: writing the same record twice stores it
 * once. `write` resolves only when the records are durable in the sink (the consumer acknowledges
 * the MQTT message after that); a failure rejects and the consumer holds the acknowledgement, so
 * nothing is lost (backpressure, not a crash). A rejected write reported nothing stored: its
 * `SinkError` code says whether to retry (`ERR_SINK_UNAVAILABLE`) or dead-letter the batch
 * (`ERR_SINK_RECORD_REJECTED`: a record the sink can never store). One contract suite
 * (`test/consumer/sinks/sink_contract.ts`) runs for every sink.
 *
 * @example
 * ```ts
 * const { inserted, duplicates } = await sink.write(records)
 * ```
 */
import type { ClockState, JsonValue } from '../../../envelope/src/index.ts'

/** One delivered reading (the JSONL line and the PostgreSQL row have exactly these fields). */
export interface OutputRecord {
  readonly deviceId: string
  /** The message's device sequence number. */
  readonly seq: number
  /** 0-based index of the reading in its message. */
  readonly index: number
  readonly stream: string
  /** The reading's time, ms since 1970. */
  readonly time: number
  readonly clock: ClockState
  readonly value: JsonValue
  /** 16 lower-case hex digits. */
  readonly epochId: string
  /** When the consumer received the message, ms since 1970. */
  readonly receivedAt: number
}

/** What one write did. */
export interface SinkWriteResult {
  /** Records newly stored. */
  readonly inserted: number
  /** Records already there (same device, seq, index), not stored again. */
  readonly duplicates: number
}

/** A sink. */
export interface Sink {
  /** `jsonl:…` or `postgres://host/db` without credentials: safe to print. */
  readonly description: string
  write(records: readonly OutputRecord[]): Promise<SinkWriteResult>
  close(): Promise<void>
}
