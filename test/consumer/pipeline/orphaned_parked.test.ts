/**
 * A parked message is a dead letter already acknowledged: only its instance's parking lot would
 * retry it. When that instance is killed before the announcement is opened, another instance
 * (same state and dead-letter store) must deliver it once the epoch is known
 * (`retryOrphanedParked`, run periodically by `sealwire-consumer run`), and must leave alone what
 * its own lot still holds. Found by the three-consumer share-group test (one consumer killed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryConsumerState } from '../../../consumer/src/state/index.ts'
import type { TestKms } from '../_helpers.ts'
import {
  MemoryDeadLetters,
  MemorySink,
  SimDevice,
  startTestKms,
  testCore,
  uniquePrefix,
} from '../_helpers.ts'

let kms: TestKms

beforeAll(async () => {
  kms = await startTestKms()
})

afterAll(async () => {
  await kms?.close()
})

describe('parked messages an instance left behind', () => {
  it('are delivered once by another instance when their epoch is known; its own parked ones are left to its lot', async () => {
    const prefix = uniquePrefix()
    const state = new MemoryConsumerState({ windowSize: 64 })
    const sink = new MemorySink()
    const letters = new MemoryDeadLetters()
    const instance = () => testCore(kms, prefix, { state, sink, letters }).core
    const a = instance()
    const b = instance()
    const send = (core: ReturnType<typeof instance>, m: { topic: string; payload: Uint8Array }) =>
      core.pipeline.handle({ topic: m.topic, payload: m.payload, receivedAt: Date.now() })

    // A parks 4 messages of dev-o (its announcement not yet there), then is gone.
    const d = new SimDevice('dev-o', prefix, kms.key)
    const msgs = Array.from({ length: 4 }, (_, i) => d.seal(d.reading(i))).flat()
    const announcement = msgs.shift()!
    for (const m of msgs) expect((await send(a, m)).kind).toBe('parked')
    await a.stop(1_000)
    expect(letters.letters.size).toBe(4)

    // B parks 2 of its own (dev-b, announcement still missing): its lot holds them.
    const other = new SimDevice('dev-b', prefix, kms.key)
    const mine = Array.from({ length: 2 }, (_, i) => other.seal(other.reading(i)))
      .flat()
      .slice(1)
    for (const m of mine) expect((await send(b, m)).kind).toBe('parked')

    // B learns dev-o's epoch; its lot has nothing of dev-o, so nothing is delivered yet.
    expect((await send(b, announcement)).kind).toBe('announcement')
    expect(sink.rows.size).toBe(0)

    expect(await b.pipeline.retryOrphanedParked(0, 100)).toBe(4)
    expect([...sink.rows.values()].map((r) => `${r.deviceId} ${r.value}`).sort()).toEqual([
      'dev-o 0',
      'dev-o 1',
      'dev-o 2',
      'dev-o 3',
    ])
    // B's own parked letters are untouched (same reason and detail as written), A's are gone.
    expect(
      [...letters.letters.values()].map((l) => [l.topic, l.reason, l.detail.split(' for ')[0]]),
    ).toEqual([
      [mine[0]!.topic, 'epoch-unknown', 'parked: no key announcement'],
      [mine[1]!.topic, 'epoch-unknown', 'parked: no key announcement'],
    ])
    // A second pass delivers nothing more: exactly once.
    expect(await b.pipeline.retryOrphanedParked(0, 100)).toBe(0)
    expect(sink.rows.size).toBe(4)
    await b.stop(1_000)
  })
})
