/**
 * Every default of the dead-letter stores, in one typed object (STYLE §4.1).
 *
 * @example
 * ```ts
 * await DirectoryDeadLetterStore.open(dir, { maxLetterBytes: deadLetterDefaults.maxLetterBytes / 4 })
 * ```
 */

/** The shape of {@link deadLetterDefaults}. */
export interface DeadLetterDefaults {
  /** Largest message kept, in bytes. */
  readonly maxLetterBytes: number
  /** Folder store: modes of the folder and of each letter (letters hold topics and sealed bytes). */
  readonly dirMode: number
  readonly fileMode: number
  /** PostgreSQL store: the table (`schema.table` accepted), letters per page of `list()`. */
  readonly table: string
  readonly pageSize: number
  readonly poolSize: number
  readonly connectTimeoutMs: number
  readonly statementTimeoutMs: number
}

/** The defaults. */
export const deadLetterDefaults: DeadLetterDefaults = Object.freeze({
  maxLetterBytes: 16 * 1024 * 1024,
  dirMode: 0o700,
  fileMode: 0o600,
  table: 'sealwire_dead_letters',
  pageSize: 100,
  poolSize: 2,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
})
