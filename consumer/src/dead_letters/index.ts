/**
 * Dead letters: every message the consumer cannot deliver, kept (bytes, topic, reason, time) and
 * replayable, behind {@link DeadLetterStore}: in memory, in a folder, or in PostgreSQL. The
 * contract is this folder's README.md; the folder format is in `consumer/README.md`.
 *
 * @example
 * ```ts
 * import { deadLettersFromSpec } from './dead_letters/index.ts'
 * const letters = await deadLettersFromSpec(settings.deadLetters)
 * ```
 */
export { DEAD_LETTER_REASONS } from './dead_letter_store.ts'
export type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
  NewDeadLetter,
} from './dead_letter_store.ts'
export { MemoryDeadLetterStore } from './memory_dead_letter_store.ts'
export type { MemoryDeadLetterStoreOptions } from './memory_dead_letter_store.ts'
export { DirectoryDeadLetterStore } from './directory_dead_letter_store.ts'
export type { DirectoryDeadLetterStoreOptions } from './directory_dead_letter_store.ts'
export { PostgresDeadLetterStore } from './postgres_dead_letter_store.ts'
export type { PostgresDeadLetterStoreOptions } from './postgres_dead_letter_store.ts'
export { deadLettersFromSpec } from './dead_letters_from_spec.ts'
export type { DeadLetterSpecOptions } from './dead_letters_from_spec.ts'
export { LETTER_FORMAT } from './_letter_file.ts'
export { deadLetterDefaults } from './defaults.ts'
export type { DeadLetterDefaults } from './defaults.ts'
export { DeadLetterError } from './errors.ts'
export type { DeadLetterErrorCode } from './errors.ts'
