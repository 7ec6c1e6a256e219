/**
 * Every default of the agent's durable state, in one typed object (STYLE §4.1). The agent's config
 * overrides any of them; {@link openAgentStore} merges once.
 *
 * @example
 * ```ts
 * const store = await openAgentStore({ stateDir, outbox: { maxBytes: 16 * 2 ** 20 } })
 * storeDefaults.sequence.reserveAhead // 1000
 * ```
 */

/** `full`: every commit is fsynced (survives power loss). `normal`: survives a crash of the process only. */
export type Durability = 'full' | 'normal'

/** What a full outbox does with a new call. */
export type FullPolicy = 'reject-new' | 'drop-oldest'

/** The shape of {@link storeDefaults}. */
export interface StoreDefaults {
  /** `PRAGMA synchronous`: `full` → FULL, `normal` → NORMAL (see README, "Durability"). */
  readonly durability: Durability
  /** Largest WAL file kept after a checkpoint, in bytes (`PRAGMA journal_size_limit`). */
  readonly walSizeLimitBytes: number
  readonly sequence: Readonly<{
    /** K of RFC 8613 App. B.1.1: numbers reserved per durable write. */
    reserveAhead: number
  }>
  readonly outbox: Readonly<{
    /** Group commit: at most this many items (enqueued messages and acks) per transaction… */
    maxBatch: number
    /** …and a request waits at most this long for others to share its transaction. */
    maxDelayMs: number
    /** Limit on stored rows (messages, including announcements kept for queued data). */
    maxCount: number
    /** Limit on stored message bytes (the sealed bytes, not SQLite's overhead). */
    maxBytes: number
    policy: FullPolicy
    /** Data messages older than this are dropped (reason `ttl`); 0 disables expiry. */
    ttlMs: number
    /** How often {@link AgentStore.start}'s loop sweeps expired messages. */
    sweepIntervalMs: number
    /** Bounds of the retry-after hint of `ERR_OUTBOX_FULL`. */
    minRetryAfterMs: number
    maxRetryAfterMs: number
  }>
  readonly timeFloor: Readonly<{
    /** At most one durable write of the time floor per this many milliseconds (spares flash). */
    minWriteIntervalMs: number
  }>
}

/** The defaults. */
export const storeDefaults: StoreDefaults = Object.freeze({
  durability: 'full',
  walSizeLimitBytes: 16 * 2 ** 20,
  sequence: Object.freeze({ reserveAhead: 1_000 }),
  outbox: Object.freeze({
    maxBatch: 256,
    maxDelayMs: 2,
    maxCount: 200_000,
    maxBytes: 64 * 2 ** 20,
    policy: 'reject-new',
    ttlMs: 7 * 24 * 60 * 60 * 1000,
    sweepIntervalMs: 60_000,
    minRetryAfterMs: 1_000,
    maxRetryAfterMs: 60_000,
  }),
  timeFloor: Object.freeze({ minWriteIntervalMs: 60_000 }),
})
