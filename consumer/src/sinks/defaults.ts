/**
 * Every default of the sinks, in one typed object (STYLE §4.1).
 *
 * @example
 * ```ts
 * await JsonlSink.open('/var/lib/sealwire/out.jsonl', { dedupeEntries: sinkDefaults.jsonl.dedupeEntries * 4 })
 * ```
 */

/** The shape of {@link sinkDefaults}. */
export interface SinkDefaults {
  readonly jsonl: Readonly<{
    /** `fsync` the file before `write` resolves (off: a power cut may lose acknowledged lines). */
    fsync: boolean
    /** Keys `(device, seq, index)` remembered to drop duplicates: the exactly-once bound. */
    dedupeEntries: number
    /** At open, at most this many bytes of the file's end are read to rebuild those keys. */
    rebuildMaxBytes: number
    /** Mode of a new file: readings are plaintext. */
    fileMode: number
  }>
  readonly postgres: Readonly<{
    /** Table of the readings; `schema.table` accepted. */
    table: string
    /** Create the table when it is missing. */
    createTable: boolean
    /** Pool size, connect timeout and per-statement timeout. */
    poolSize: number
    connectTimeoutMs: number
    statementTimeoutMs: number
  }>
}

/** The defaults. */
export const sinkDefaults: SinkDefaults = Object.freeze({
  jsonl: Object.freeze({
    fsync: true,
    dedupeEntries: 100_000,
    rebuildMaxBytes: 64 * 1024 * 1024,
    fileMode: 0o600,
  }),
  postgres: Object.freeze({
    table: 'sealwire_readings',
    createTable: true,
    poolSize: 4,
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 30_000,
  }),
})
