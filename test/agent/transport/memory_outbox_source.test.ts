/** The in-memory outbox source passes the OutboxSource contract, and compacts as it acks. */
import { describe, expect, it } from 'vitest'
import { MemoryOutboxSource } from '../../../agent/src/transport/index.ts'
import { dataOf } from './_fixtures.ts'
import { outboxSourceContract } from './outbox_source_contract.ts'

outboxSourceContract('MemoryOutboxSource', async () => {
  const source = new MemoryOutboxSource()
  return { source, append: async (ms) => void source.append(...ms) }
})

describe('MemoryOutboxSource', () => {
  it('stays consistent over many acks out of order', async () => {
    const source = new MemoryOutboxSource()
    for (let i = 0; i < 1_000; i++) source.append(dataOf('p', 1, i, 8))
    const odd = (await source.peek(-1, 1_000)).filter((m) => m.seq % 2 === 1).map((m) => m.seq)
    await source.ack(odd.reverse())
    expect(source.size).toBe(500)
    const left = await source.peek(-1, 1_000)
    expect(left.every((m) => m.seq % 2 === 0)).toBe(true)
    expect((await source.peek(500, 3)).map((m) => m.seq)).toEqual([502, 504, 506])
    expect(source.snapshot()).toHaveLength(500)
  })
})
