/**
 * The errors of the agent's durable state (`agent/src/store/`): one base class, {@link StoreError},
 * with a stable `code`, and {@link OutboxFullError} for the one refusal a producer is expected to
 * retry. Caller bugs (an item of the wrong shape, a sequence number out of order) are `TypeError` /
 * `RangeError`, never one of these (STYLE §3.2).
 *
 * @example
 * ```ts
 * try {
 *   await outbox.enqueue(items)
 * } catch (err) {
 *   if (err instanceof OutboxFullError) reply(503, { 'Retry-After': Math.ceil(err.retryAfterMs / 1000) })
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/** Every code this folder throws. */
export type StoreErrorCode =
  | 'ERR_STORE_SCHEMA_NEWER'
  | 'ERR_STORE_NOT_INITIALIZED'
  | 'ERR_STORE_CLOSED'
  | 'ERR_STORE_WRITE'
  | 'ERR_SEQUENCE_EXHAUSTED'
  | 'ERR_OUTBOX_FULL'
  | 'ERR_OUTBOX_TOO_LARGE'
  | 'ERR_OUTBOX_NO_ANNOUNCEMENT'

/**
 * Base class of the store's errors.
 *
 * | code | when |
 * |---|---|
 * | `ERR_STORE_SCHEMA_NEWER` | `agent.db` was written by a newer agent (its `user_version` is above ours) |
 * | `ERR_STORE_NOT_INITIALIZED` | a status read found a database no agent has set up yet |
 * | `ERR_STORE_CLOSED` | a write after `close()` |
 * | `ERR_STORE_WRITE` | SQLite failed to commit (disk full, I/O error): nothing of the batch was stored |
 * | `ERR_SEQUENCE_EXHAUSTED` | the device sequence number reached 2^53 − 1 (the envelope's `MAX_SEQUENCE`) |
 * | `ERR_OUTBOX_FULL` | {@link OutboxFullError}: the outbox is at its limit under `reject-new` |
 * | `ERR_OUTBOX_TOO_LARGE` | one call holds more than the outbox could ever hold |
 * | `ERR_OUTBOX_NO_ANNOUNCEMENT` | a data message of an epoch whose announcement is not in the outbox |
 *
 * @example
 * ```ts
 * if (err instanceof StoreError && err.code === 'ERR_STORE_SCHEMA_NEWER') process.exitCode = 78
 * ```
 */
export class StoreError extends CodedError<StoreErrorCode> {}

/**
 * The outbox is full and its policy is `reject-new`: nothing of the call was stored. `retryAfterMs`
 * is a hint for the producer (an HTTP `Retry-After`), estimated from the recent acknowledgement
 * rate and clamped to the outbox's `retryAfterMs` bounds.
 *
 * @example
 * ```ts
 * err.code // 'ERR_OUTBOX_FULL'
 * err.retryAfterMs // 5000
 * ```
 */
export class OutboxFullError extends StoreError {
  static readonly code = 'ERR_OUTBOX_FULL' as const
  /** Suggested wait before retrying, in milliseconds. */
  readonly retryAfterMs: number
  /** Which limit refused the call. */
  readonly limit: 'count' | 'bytes'

  constructor(limit: 'count' | 'bytes', retryAfterMs: number) {
    super(
      'ERR_OUTBOX_FULL',
      `outbox full (${limit === 'count' ? 'message count' : 'bytes'} limit); retry after ${retryAfterMs} ms`,
    )
    this.limit = limit
    this.retryAfterMs = retryAfterMs
  }
}
