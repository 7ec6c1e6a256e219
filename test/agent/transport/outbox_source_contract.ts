/**
 * The contract every `OutboxSource` must pass (`agent/src/transport/outbox_source.ts` states it):
 * peek in ascending order above a sequence number without removing, limits, ack removes and is
 * idempotent, announcements by epoch id compared by value, and the append notification. The
 * durable outbox runs it through its adapter with its own `append`.
 *
 * @example
 * ```ts
 * outboxSourceContract('MemoryOutboxSource', async () => {
 *   const source = new MemoryOutboxSource()
 *   return { source, append: async (ms) => void source.append(...ms) }
 * })
 * ```
 */
import { describe, expect, it } from 'vitest'
import type { NewQueuedMessage, OutboxSource } from '../../../agent/src/transport/index.ts'
import { announcementOf, dataOf, epochId } from './_fixtures.ts'

/** A source under test and the way to queue messages into it. */
export interface OutboxSourceFixture {
  readonly source: OutboxSource
  /** Queues `messages` in order (the source assigns ascending sequence numbers). */
  append(messages: readonly NewQueuedMessage[]): Promise<void>
  /** Releases resources. */
  close?(): Promise<void>
}

export function outboxSourceContract(name: string, make: () => Promise<OutboxSourceFixture>): void {
  const prefix = 'contract/p'

  async function withFixture(fn: (f: OutboxSourceFixture) => Promise<void>): Promise<void> {
    const f = await make()
    try {
      await fn(f)
    } finally {
      await f.close?.()
    }
  }

  describe(`OutboxSource contract: ${name}`, () => {
    it('peeks in ascending order, above afterSeq, up to limit, without removing', () =>
      withFixture(async ({ source, append }) => {
        expect(await source.peek(-1, 10)).toEqual([])
        await append([
          announcementOf(prefix, 1),
          ...[0, 1, 2, 3, 4].map((i) => dataOf(prefix, 1, i)),
        ])
        const all = await source.peek(-1, 100)
        expect(all).toHaveLength(6)
        const seqs = all.map((m) => m.seq)
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
        expect(new Set(seqs).size).toBe(6)
        expect(all[0]).toMatchObject({ kind: 'announcement', topic: `${prefix}/dev-1/key` })
        expect(all[1]).toMatchObject({ kind: 'data', topic: `${prefix}/dev-1/data` })
        expect(Buffer.from(all[1]!.payload)).toEqual(Buffer.from(dataOf(prefix, 1, 0).payload))
        expect(Buffer.from(all[1]!.epochId)).toEqual(Buffer.from(epochId(1)))
        expect((await source.peek(-1, 2)).map((m) => m.seq)).toEqual(seqs.slice(0, 2))
        expect((await source.peek(seqs[2]!, 2)).map((m) => m.seq)).toEqual(seqs.slice(3, 5))
        expect(await source.peek(seqs[5]!, 10)).toEqual([])
        expect(await source.peek(-1, 100)).toHaveLength(6)
      }))

    it('removes acknowledged messages; unknown and repeated numbers are ignored', () =>
      withFixture(async ({ source, append }) => {
        await append([0, 1, 2, 3].map((i) => dataOf(prefix, 1, i)))
        const seqs = (await source.peek(-1, 10)).map((m) => m.seq)
        await source.ack([seqs[0]!, seqs[2]!])
        expect((await source.peek(-1, 10)).map((m) => m.seq)).toEqual([seqs[1], seqs[3]])
        await source.ack([seqs[0]!, seqs[2]!, 987_654_321])
        await source.ack([])
        expect((await source.peek(-1, 10)).map((m) => m.seq)).toEqual([seqs[1], seqs[3]])
        await source.ack([seqs[1]!, seqs[3]!])
        expect(await source.peek(-1, 10)).toEqual([])
      }))

    it('returns the announcement of an epoch by value, undefined for an unknown epoch', () =>
      withFixture(async ({ source, append }) => {
        const a = announcementOf(prefix, 5)
        await append([a, dataOf(prefix, 5, 0)])
        const got = await source.announcementFor(Uint8Array.from(epochId(5)))
        expect(got?.topic).toBe(a.topic)
        expect(Buffer.from(got!.payload)).toEqual(Buffer.from(a.payload))
        expect(Buffer.from(got!.epochId)).toEqual(Buffer.from(epochId(5)))
        expect(await source.announcementFor(epochId(6))).toBeUndefined()
      }))

    it('keeps an announcement while data of its epoch is queued, after its own ack', () =>
      withFixture(async ({ source, append }) => {
        await append([announcementOf(prefix, 8), dataOf(prefix, 8, 0)])
        const [ann] = await source.peek(-1, 1)
        await source.ack([ann!.seq])
        expect(await source.announcementFor(epochId(8))).toBeDefined()
      }))

    it('notifies after an append, until unsubscribed', () =>
      withFixture(async ({ source, append }) => {
        let calls = 0
        const off = source.onAppend(() => calls++)
        await append([dataOf(prefix, 1, 0)])
        expect(calls).toBeGreaterThanOrEqual(1)
        const seen = calls
        off()
        await append([dataOf(prefix, 1, 1)])
        expect(calls).toBe(seen)
      }))
  })
}
