/**
 * Every message the consumer cannot deliver is kept here — bytes, topic, reason, time — and can be
 * replayed (`sealwire-consumer replay`): what opens then is delivered once and removed, the rest
 * stays with its (possibly new) reason. Implementations: a folder (one file per letter, written
 * atomically) and PostgreSQL. One contract suite
 * (`test/consumer/dead_letters/dead_letter_contract.ts`).
 *
 * @example
 * ```ts
 * await letters.put({ topic, bytes, reason: 'epoch-unknown', detail: 'no announcement after 30 s', at: Date.now() })
 * for await (const l of letters.list()) { … await letters.remove(l.id) }
 * ```
 */

/** Every {@link DeadLetterReason}, in a stable order (metric labels, `stats` output). */
export const DEAD_LETTER_REASONS = Object.freeze([
  'malformed',
  'unsupported-alg',
  'unknown-kid',
  'decryption-failed',
  'epoch-unknown',
  'epoch-budget',
  'kms-unavailable',
  'records-invalid',
  'sink-failed',
  'bad-topic',
] as const)

/** Why a message was dead-lettered (each one a metric label). */
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number]

/** A letter to keep. */
export interface NewDeadLetter {
  /** The MQTT topic it came on (no U+0000, as MQTT requires). */
  readonly topic: string
  /** The message as received, kept byte for byte. */
  readonly bytes: Uint8Array
  readonly reason: DeadLetterReason
  /** One sanitized line (no U+0000), no key material or plaintext. */
  readonly detail: string
  /** When it was received, ms since 1970. */
  readonly at: number
}

/** A kept letter. */
export interface DeadLetter extends NewDeadLetter {
  /** Stable id within the store (opaque; a folder's ids also sort by `at`). */
  readonly id: string
}

/** A dead-letter store. */
export interface DeadLetterStore {
  readonly description: string
  put(letter: NewDeadLetter): Promise<DeadLetter>
  /**
   * Every letter, oldest `at` first (ties in the order one process put them). Read lazily, in
   * pages: letters put or removed while iterating may or may not appear.
   */
  list(): AsyncIterable<DeadLetter>
  /**
   * Updates a letter's reason and detail after a replay that failed again. A letter that is no
   * longer there (removed meanwhile) is not an error: nothing happens.
   */
  update(id: string, reason: DeadLetterReason, detail: string): Promise<void>
  /** Removes a letter; false when there was none. */
  remove(id: string): Promise<boolean>
  /** Letters kept, by reason (reasons with none are absent). */
  count(): Promise<Readonly<Partial<Record<DeadLetterReason, number>>>>
  close(): Promise<void>
}
