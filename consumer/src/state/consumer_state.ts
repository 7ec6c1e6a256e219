/**
 * The consumer's shared state: what several instances of one share group must agree on, behind
 * one interface with an in-process implementation and a Redis one (one contract suite,
 * `test/consumer/state/consumer_state_contract.ts`).
 *
 * - **Announcements**: the sealed bytes of every key announcement (safe to store: only a KMS
 *   `Decrypt` opens them), keyed by (device id, epoch id), so any instance after any restart can
 *   recover an epoch's key with one `Decrypt`. CEKs are never stored here.
 * - **Delivered sequence numbers** per device, as a sliding replay window (RFC 4303 §3.4.3
 *   style: the highest number seen and a bitmap of the `windowSize` numbers below it). A number is
 *   marked **after** its readings are committed to the sink, so a crash between the two redelivers
 *   rather than loses (the sink's insert is idempotent). Below the window is `too-old`: treated as
 *   a duplicate, never delivered.
 * - **New-epoch budget**: how many new epochs a device (and everyone) opened in the current
 *   window, so junk full-form messages or a reboot loop cannot burn the KMS quota.
 *
 * @example
 * ```ts
 * const verdict = await state.seen('dev-1', 42) // 'new' | 'duplicate' | 'too-old'
 * if (verdict === 'new') {
 *   await sink.write(records)
 *   const { newly } = await state.markDelivered('dev-1', 42) // false: another instance won the race
 * }
 * ```
 */

/** A stored key announcement (sealed bytes, as received). */
export interface StoredAnnouncement {
  readonly deviceId: string
  /** 16 lower-case hex digits. */
  readonly epochIdHex: string
  readonly topic: string
  readonly bytes: Uint8Array
  /** Milliseconds since 1970, when it was first received. */
  readonly receivedAt: number
}

/** Where a sequence number stands in a device's replay window. */
export type ReplayVerdict = 'new' | 'duplicate' | 'too-old'

/** What marking a number learnt about gaps (numbers skipped over). */
export interface MarkResult {
  /** The highest number delivered for the device after this mark. */
  readonly highest: number
  /**
   * Numbers skipped by this mark: `seq - previousHighest - 1` when it moved the top, else 0 (and 0
   * for a device's first mark: what came before the consumer started is not a gap).
   */
  readonly gap: number
  /**
   * True when this call marked `seq`; false when it was already marked (another instance, or an
   * earlier call, delivered it: count a duplicate) or is below the window (`too-old`, not marked).
   * Atomic across instances: of two racing marks of one number, exactly one sees `true`.
   */
  readonly newly: boolean
}

/** Counts of new epochs opened in the current budget window. */
export interface EpochBudget {
  readonly device: number
  readonly total: number
}

/** The consumer's shared state. */
export interface ConsumerState {
  /** `memory`, or the Redis URL without credentials and the key prefix: safe to print. */
  readonly description: string
  /**
   * Stores an announcement; keeps the first one stored for a (device, epoch). Resolves to true
   * when this call stored it, false when one was there (its lifetime is then extended).
   */
  putAnnouncement(a: StoredAnnouncement): Promise<boolean>
  getAnnouncement(deviceId: string, epochIdHex: string): Promise<StoredAnnouncement | undefined>
  /**
   * Where `seq` stands for `deviceId` (no change): `new` above the highest number or unmarked in
   * the window `(highest - windowSize, highest]`, `duplicate` when marked there, `too-old` at or
   * below `highest - windowSize`.
   */
  seen(deviceId: string, seq: number): Promise<ReplayVerdict>
  /** Marks `seq` delivered; idempotent, atomic (see {@link MarkResult.newly}). */
  markDelivered(deviceId: string, seq: number): Promise<MarkResult>
  /**
   * Optional, for a state held in this process: {@link seen} answered at once, same contract
   * (throws what `seen` rejects with). The pipeline's hot path uses it when present.
   */
  seenSync?(deviceId: string, seq: number): ReplayVerdict
  /** Optional: {@link markDelivered} answered at once, same contract (see {@link seenSync}). */
  markDeliveredSync?(deviceId: string, seq: number): MarkResult
  /**
   * Counts one new epoch for `deviceId` in the window that contains `nowMs` (windows of
   * `windowMs`, aligned to multiples of it) and returns the counts after counting it.
   */
  countNewEpoch(deviceId: string, nowMs: number, windowMs: number): Promise<EpochBudget>
  /** What the store holds, for `sealwire-consumer stats`. */
  stats(): Promise<{ readonly devices: number; readonly announcements: number }>
  close(): Promise<void>
}
