/**
 * The store's outbox as the transport's `OutboxSource` (internal wiring): rows become queued
 * messages, commits wake the publisher.
 */
import type { Outbox, OutboxRow } from './store/index.ts'
import type { Announcement, OutboxSource, QueuedMessage } from './transport/index.ts'

function toQueued(row: OutboxRow): QueuedMessage {
  return {
    seq: row.seq,
    kind: row.kind,
    epochId: row.epochId,
    topic: row.topic,
    payload: row.bytes,
  }
}

/** Adapts {@link Outbox} to {@link OutboxSource}. */
export function outboxFeed(outbox: Outbox): OutboxSource {
  return {
    peek: async (afterSeq, limit) => outbox.peek(afterSeq, limit).map(toQueued),
    ack: (seqs) => outbox.ack(seqs),
    announcementFor: async (epochId): Promise<Announcement | undefined> => {
      const row = outbox.announcementFor(epochId)
      return row === undefined
        ? undefined
        : { epochId: row.epochId, topic: row.topic, payload: row.bytes }
    },
    onAppend: (listener) => outbox.onCommitted(() => listener()),
  }
}
