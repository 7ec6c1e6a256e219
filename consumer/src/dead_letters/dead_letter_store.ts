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

/** Why a message was dead-lettered (each one a metric label). */
export type DeadLetterReason =
  | 'malformed'
  | 'unsupported-alg'
  | 'unknown-kid'
  | 'decryption-failed'
  | 'epoch-unknown'
  | 'epoch-budget'
  | 'kms-unavailable'
  | 'records-invalid'
  | 'sink-failed'
  | 'bad-topic'

/** A letter to keep. */
export interface NewDeadLetter {
  readonly topic: string
  readonly bytes: Uint8Array
  readonly reason: DeadLetterReason
  /** One sanitized line, no key material or plaintext. */
  readonly detail: string
  /** When it was received, ms since 1970. */
  readonly at: number
}

/** A kept letter. */
export interface DeadLetter extends NewDeadLetter {
  /** Stable id within the store. */
  readonly id: string
}

/** A dead-letter store. */
export interface DeadLetterStore {
  readonly description: string
  put(letter: NewDeadLetter): Promise<DeadLetter>
  /** Every letter, oldest first. */
  list(): AsyncIterable<DeadLetter>
  /** Updates a letter's reason and detail after a replay that failed again. */
  update(id: string, reason: DeadLetterReason, detail: string): Promise<void>
  remove(id: string): Promise<boolean>
  count(): Promise<Readonly<Partial<Record<DeadLetterReason, number>>>>
  close(): Promise<void>
}
