/**
 * The shape check of a letter to keep, the same for every store: a wrong letter is a caller bug
 * (`TypeError` / `RangeError`), raised before anything is written.
 */
import { shown } from '../../../platform/src/index.ts'
import { DEAD_LETTER_REASONS } from './dead_letter_store.ts'
import type { DeadLetterReason, NewDeadLetter } from './dead_letter_store.ts'

const REASONS: ReadonlySet<string> = new Set(DEAD_LETTER_REASONS)

/** True for a known reason. */
export function isReason(reason: unknown): reason is DeadLetterReason {
  return typeof reason === 'string' && REASONS.has(reason)
}

/** A reason, or a RangeError. */
export function assertReason(reason: unknown): asserts reason is DeadLetterReason {
  if (!isReason(reason)) throw new RangeError(`reason: not a dead-letter reason: ${shown(reason)}`)
}

/** A detail line: a string without U+0000 (PostgreSQL text cannot hold it). */
export function assertDetail(detail: unknown): asserts detail is string {
  if (typeof detail !== 'string') throw new TypeError('detail: expected a string')
  if (detail.includes('\u0000')) throw new RangeError('detail: contains U+0000')
}

/** Every field of a new letter. */
export function assertNewLetter(letter: NewDeadLetter): void {
  if (typeof letter !== 'object' || letter === null)
    throw new TypeError('letter: expected an object')
  if (typeof letter.topic !== 'string') throw new TypeError('topic: expected a string')
  if (letter.topic.includes('\u0000')) throw new RangeError('topic: contains U+0000')
  if (!(letter.bytes instanceof Uint8Array)) throw new TypeError('bytes: expected a Uint8Array')
  assertReason(letter.reason)
  assertDetail(letter.detail)
  if (typeof letter.at !== 'number' || !Number.isSafeInteger(letter.at) || letter.at < 0) {
    throw new RangeError(`at: expected a safe integer ≥ 0, got ${shown(letter.at)}`)
  }
}
