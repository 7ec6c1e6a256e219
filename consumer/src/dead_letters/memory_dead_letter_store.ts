/**
 * {@link DeadLetterStore} in memory: for tests and for a consumer run that must not write
 * anywhere. Nothing survives the process. Same contract as the folder and PostgreSQL stores.
 *
 * @example
 * ```ts
 * const letters = new MemoryDeadLetterStore()
 * const { id } = await letters.put({ topic, bytes, reason: 'malformed', detail: 'bad CBOR', at: Date.now() })
 * ```
 */
import { assertDetail, assertNewLetter, assertReason } from './_checks.ts'
import type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
  NewDeadLetter,
} from './dead_letter_store.ts'
import { DeadLetterError } from './errors.ts'

/** Options of {@link MemoryDeadLetterStore}. */
export interface MemoryDeadLetterStoreOptions {
  /** Largest message kept; default 16 MiB. */
  readonly maxLetterBytes?: number
}

function copy(l: DeadLetter): DeadLetter {
  return { ...l, bytes: Uint8Array.from(l.bytes) }
}

/** The in-memory {@link DeadLetterStore}. */
export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly description = 'memory'
  readonly #letters = new Map<string, DeadLetter>()
  readonly #maxBytes: number
  #next = 0
  #closed = false

  constructor(options: MemoryDeadLetterStoreOptions = {}) {
    this.#maxBytes = options.maxLetterBytes ?? 16 * 1024 * 1024
  }

  #open(): void {
    if (this.#closed) {
      throw new DeadLetterError('ERR_DEAD_LETTERS_CLOSED', 'the dead-letter store is closed')
    }
  }

  async put(letter: NewDeadLetter): Promise<DeadLetter> {
    assertNewLetter(letter)
    this.#open()
    if (letter.bytes.length > this.#maxBytes) {
      throw new DeadLetterError(
        'ERR_DEAD_LETTER_TOO_LARGE',
        `a ${letter.bytes.length}-byte message is over the ${this.#maxBytes}-byte limit`,
      )
    }
    const stored: DeadLetter = {
      id: String(++this.#next).padStart(12, '0'),
      topic: letter.topic,
      bytes: Uint8Array.from(letter.bytes),
      reason: letter.reason,
      detail: letter.detail,
      at: letter.at,
    }
    this.#letters.set(stored.id, stored)
    return copy(stored)
  }

  async *list(): AsyncIterable<DeadLetter> {
    this.#open()
    const sorted = [...this.#letters.values()].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
    for (const l of sorted) {
      // Removed while the caller was busy with an earlier one: skip it.
      if (this.#letters.has(l.id)) yield copy(this.#letters.get(l.id)!)
    }
  }

  async update(id: string, reason: DeadLetterReason, detail: string): Promise<void> {
    assertReason(reason)
    assertDetail(detail)
    this.#open()
    const l = this.#letters.get(id)
    if (l !== undefined) this.#letters.set(id, { ...l, reason, detail })
  }

  async remove(id: string): Promise<boolean> {
    this.#open()
    return this.#letters.delete(id)
  }

  async count(): Promise<Readonly<Partial<Record<DeadLetterReason, number>>>> {
    this.#open()
    const out: Partial<Record<DeadLetterReason, number>> = {}
    for (const l of this.#letters.values()) out[l.reason] = (out[l.reason] ?? 0) + 1
    return out
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#letters.clear()
  }
}
