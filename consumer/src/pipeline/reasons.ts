/**
 * Why a message cannot be delivered: every error the open path can meet, mapped to its
 * dead-letter reason (each a metric label) and a one-line detail that holds no key material and
 * no plaintext (the envelope's decryption failure is one fixed message). An error with no reason
 * here is a bug, not a dead letter.
 *
 * | error | reason |
 * |---|---|
 * | `ERR_ENVELOPE_MALFORMED`, `ERR_ENVELOPE_LIMIT`, `ERR_ENVELOPE_INVALID` | `malformed` |
 * | `ERR_ENVELOPE_UNSUPPORTED_ALG` | `unsupported-alg` |
 * | `ERR_DECRYPTION_FAILED` | `decryption-failed` |
 * | `ERR_EPOCH_UNKNOWN` | `epoch-unknown` |
 * | `ERR_EPOCH_BUDGET` | `epoch-budget` |
 * | `ERR_UNWRAP_UNAVAILABLE`, `ERR_KEY_STORE_UNAVAILABLE` (KMS away while recovering an epoch) | `kms-unavailable` |
 * | `ERR_RECORDS_INVALID`, `ERR_SINK_RECORD_REJECTED` (a record the sink can never store) | `records-invalid` |
 * | `ERR_SINK_UNAVAILABLE` | `sink-failed` |
 *
 * @example
 * ```ts
 * undeliverableOf(new DecryptionFailedError()) // { reason: 'decryption-failed', detail: 'ERR_DECRYPTION_FAILED: decryption failed' }
 * ```
 */
import { plain } from '../../../platform/src/index.ts'
import type { DeadLetterReason } from '../dead_letters/dead_letter_store.ts'

/** Longest detail kept with a dead letter. */
const DETAIL_MAX_CHARS = 300

const REASON_OF_CODE: ReadonlyMap<string, DeadLetterReason> = new Map<string, DeadLetterReason>([
  ['ERR_ENVELOPE_MALFORMED', 'malformed'],
  ['ERR_ENVELOPE_LIMIT', 'malformed'],
  ['ERR_ENVELOPE_INVALID', 'malformed'],
  ['ERR_ENVELOPE_UNSUPPORTED_ALG', 'unsupported-alg'],
  ['ERR_DECRYPTION_FAILED', 'decryption-failed'],
  ['ERR_EPOCH_UNKNOWN', 'epoch-unknown'],
  ['ERR_EPOCH_BUDGET', 'epoch-budget'],
  ['ERR_UNWRAP_UNAVAILABLE', 'kms-unavailable'],
  ['ERR_KEY_STORE_UNAVAILABLE', 'kms-unavailable'],
  ['ERR_RECORDS_INVALID', 'records-invalid'],
  ['ERR_SINK_RECORD_REJECTED', 'records-invalid'],
  ['ERR_SINK_UNAVAILABLE', 'sink-failed'],
])

/** A reason and its detail. */
export interface Undeliverable {
  readonly reason: DeadLetterReason
  /** One sanitized line. */
  readonly detail: string
}

/**
 * One sanitized detail line.
 *
 * @example
 * ```ts
 * detailOf('ERR_X', 'line\nbreak') // 'ERR_X: line\\nbreak'
 * ```
 */
export function detailOf(code: string, message: string): string {
  return plain(`${code}: ${message}`, DETAIL_MAX_CHARS)
}

/**
 * The reason and detail of an error of the open path, or `undefined` for any other error.
 *
 * @example
 * ```ts
 * undeliverableOf(new Error('bug')) // undefined
 * ```
 */
export function undeliverableOf(err: unknown): Undeliverable | undefined {
  if (!(err instanceof Error)) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return undefined
  const reason = REASON_OF_CODE.get(code)
  if (reason === undefined) return undefined
  let message = err.message
  // The unwrap's own error (kms-client's KmsError) says why KMS was away; it holds no key bytes.
  const cause = (err as { cause?: unknown }).cause
  if (reason === 'kms-unavailable' && cause instanceof Error) message += `: ${cause.message}`
  return { reason, detail: detailOf(code, message) }
}
