/**
 * Every default of the consumer's shared state, in one typed object (STYLE §4.1); each
 * implementation merges it once with its options.
 *
 * @example
 * ```ts
 * new MemoryConsumerState({ windowSize: stateDefaults.windowSize * 2 })
 * ```
 */

/** The shape of {@link stateDefaults}. */
export interface StateDefaults {
  /**
   * Sequence numbers a device's replay window remembers below its highest one (RFC 4303 §3.4.3
   * uses 32 or 64; a gateway's outbox can redeliver far more out of order after a reconnect).
   * Every instance sharing one Redis must use the same value.
   */
  readonly windowSize: number
  /** Smallest and largest accepted `windowSize` (a bitmap of `windowSize` bits per device). */
  readonly minWindowSize: number
  readonly maxWindowSize: number
  /**
   * How long a stored announcement is kept after its last `putAnnouncement`, in ms; 0 keeps it
   * forever. Matches the agent's outbox TTL (7 days): no message of an older epoch can still come.
   */
  readonly announcementTtlMs: number
  /** Redis key prefix: every key of one deployment starts with it. */
  readonly keyPrefix: string
  /** Redis: how long to wait for a connection, and for one command's answer, in ms. */
  readonly connectTimeoutMs: number
  readonly commandTimeoutMs: number
}

/** The defaults. */
export const stateDefaults: StateDefaults = Object.freeze({
  windowSize: 4096,
  minWindowSize: 8,
  maxWindowSize: 1 << 20,
  announcementTtlMs: 7 * 24 * 60 * 60 * 1000,
  keyPrefix: 'sealwire:',
  connectTimeoutMs: 5_000,
  commandTimeoutMs: 10_000,
})
