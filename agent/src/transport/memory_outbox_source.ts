/**
 * An {@link OutboxSource} in memory: for tests, the simulator, and as the reference of the
 * contract. Not durable. Announcements appended as queued messages are also kept for
 * `announcementFor` until {@link MemoryOutboxSource.forgetAnnouncement}.
 *
 * @example
 * ```ts
 * const source = new MemoryOutboxSource()
 * source.append({ kind: 'data', topic: 'sealwire/dev-1/data', payload, epochId })
 * source.size // 1
 * ```
 */
import type { Announcement, OutboxSource, QueuedMessage } from './outbox_source.ts'

function epochKey(epochId: Uint8Array): string {
  return Buffer.from(epochId.buffer, epochId.byteOffset, epochId.byteLength).toString('hex')
}

/** A message to append: everything but the sequence number, which the source assigns. */
export type NewQueuedMessage = Omit<QueuedMessage, 'seq'>

/**
 * The in-memory outbox source.
 *
 * @example
 * ```ts
 * const source = new MemoryOutboxSource()
 * source.setAnnouncement({ epochId, topic: 'sealwire/dev-1/key', payload: announcement })
 * ```
 */
export class MemoryOutboxSource implements OutboxSource {
  /** Sorted by seq; may still hold acknowledged messages (in `#gone`) until compaction. */
  #queue: QueuedMessage[] = []
  #live = new Set<number>()
  #gone = new Set<number>()
  #nextSeq: number
  #announcements = new Map<string, Announcement>()
  #listeners = new Set<() => void>()
  /** How many `ack` calls were made, for tests. */
  ackCalls = 0

  /** @param firstSeq the sequence number of the first appended message (default 1). */
  constructor(firstSeq = 1) {
    this.#nextSeq = firstSeq
  }

  /** Queued messages. */
  get size(): number {
    return this.#live.size
  }

  /** A copy of the queued messages in order. */
  snapshot(): readonly QueuedMessage[] {
    return this.#queue.filter((m) => this.#live.has(m.seq))
  }

  /** Appends messages in order, notifies listeners, returns the assigned messages. */
  append(...messages: readonly NewQueuedMessage[]): QueuedMessage[] {
    const added = messages.map((m) => ({ ...m, seq: this.#nextSeq++ }))
    for (const m of added) {
      this.#queue.push(m)
      this.#live.add(m.seq)
      if (m.kind === 'announcement') this.setAnnouncement(m)
    }
    if (added.length > 0) for (const l of [...this.#listeners]) l()
    return added
  }

  /** Keeps `a` as the announcement of its epoch (without queueing it). */
  setAnnouncement(a: Announcement): void {
    this.#announcements.set(epochKey(a.epochId), {
      epochId: a.epochId,
      topic: a.topic,
      payload: a.payload,
    })
  }

  /** Forgets the announcement of `epochId`. */
  forgetAnnouncement(epochId: Uint8Array): void {
    this.#announcements.delete(epochKey(epochId))
  }

  async peek(afterSeq: number, limit: number): Promise<readonly QueuedMessage[]> {
    const out: QueuedMessage[] = []
    // The queue is sorted by seq: find the first above afterSeq by binary search.
    let lo = 0
    let hi = this.#queue.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#queue[mid]!.seq <= afterSeq) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < this.#queue.length && out.length < limit; i++) {
      const m = this.#queue[i]!
      if (!this.#gone.has(m.seq)) out.push(m)
    }
    return out
  }

  async ack(seqs: readonly number[]): Promise<void> {
    this.ackCalls++
    for (const seq of seqs) if (this.#live.delete(seq)) this.#gone.add(seq)
    // Compact once half the array is acknowledged: amortised O(1) per message.
    if (this.#gone.size > 64 && this.#gone.size * 2 > this.#queue.length) {
      this.#queue = this.#queue.filter((m) => this.#live.has(m.seq))
      this.#gone.clear()
    }
  }

  async announcementFor(epochId: Uint8Array): Promise<Announcement | undefined> {
    return this.#announcements.get(epochKey(epochId))
  }

  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }
}
