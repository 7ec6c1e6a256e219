/**
 * The narrow view of the outbox that the publisher needs, and nothing more: read queued messages
 * in sequence order without removing them, remove them once the broker has acknowledged them,
 * find the announcement of an epoch, and hear about new messages. The durable SQLite outbox is
 * adapted to it by the agent; {@link MemoryOutboxSource} is the in-memory implementation.
 *
 * Contract (every implementation passes `test/agent/transport/outbox_source_contract.ts`):
 * - `peek(afterSeq, limit)` returns up to `limit` queued messages with `seq > afterSeq`, in
 *   ascending `seq` order, and removes nothing. `-1` reads from the start.
 * - `ack(seqs)` removes those messages; unknown or already removed numbers are ignored (an ack
 *   can arrive twice after a reconnect).
 * - `announcementFor(epochId)` returns the key announcement of that epoch (the exact bytes the
 *   consumer will open, on the key topic) while any message of the epoch may still be sent.
 * - `onAppend(listener)` calls `listener` after messages are appended; returns an unsubscribe.
 *
 * @example
 * ```ts
 * const source: OutboxSource = new MemoryOutboxSource()
 * const batch = await source.peek(-1, 64)
 * await source.ack(batch.map((m) => m.seq))
 * ```
 */

/** What the consumer needs to learn an epoch: the sealed announcement and where it goes. */
export interface Announcement {
  /** The epoch id (8 bytes: the first 8 of SHA-256 of the wrapped CEK). */
  readonly epochId: Uint8Array
  /** The device's key topic. */
  readonly topic: string
  /** The sealed announcement (full form COSE_Encrypt), sent unchanged. */
  readonly payload: Uint8Array
}

/**
 * One queued message. `kind: 'announcement'` is published retained on its (key) topic;
 * `kind: 'data'` without retain, after its epoch's announcement on the same connection.
 */
export interface QueuedMessage extends Announcement {
  /** The outbox order: unique, ascending in append order. */
  readonly seq: number
  readonly kind: 'data' | 'announcement'
}

/** The outbox as the publisher sees it. */
export interface OutboxSource {
  /** Up to `limit` queued messages with `seq > afterSeq`, ascending; removes nothing. */
  peek(afterSeq: number, limit: number): Promise<readonly QueuedMessage[]>
  /** Removes acknowledged messages; unknown numbers are ignored. */
  ack(seqs: readonly number[]): Promise<void>
  /** The announcement of `epochId`, or `undefined` when the outbox no longer has it. */
  announcementFor(epochId: Uint8Array): Promise<Announcement | undefined>
  /** Calls `listener` after messages are appended. Returns the unsubscribe function. */
  onAppend(listener: () => void): () => void
}
