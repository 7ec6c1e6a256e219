/**
 * MemoryConsumerState: the ConsumerState contract, plus what only an in-process store can show
 * with a manual clock (announcement TTL) and its option checks.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../platform/src/index.ts'
import { MemoryConsumerState, stateDefaults } from '../../../consumer/src/state/index.ts'
import { consumerStateContract } from './consumer_state_contract.ts'

consumerStateContract('MemoryConsumerState', async ({ windowSize, instances }) => {
  const state = new MemoryConsumerState({ windowSize })
  return Array.from({ length: instances }, () => state)
})

const announcement = {
  deviceId: 'dev-1',
  epochIdHex: '00112233aabbccdd',
  topic: 'sealwire/dev-1/keys',
  bytes: Uint8Array.of(1, 2, 3),
  receivedAt: 1_000,
}

describe('MemoryConsumerState', () => {
  it('drops an announcement announcementTtlMs after its last put', async () => {
    const clock = new ManualClock(1_000)
    const state = new MemoryConsumerState({ announcementTtlMs: 10_000, clock })
    await state.putAnnouncement(announcement)
    clock.advance(9_000)
    expect(await state.putAnnouncement(announcement)).toBe(false) // extends to 19_000 + 1_000
    clock.advance(9_999)
    expect(await state.getAnnouncement('dev-1', announcement.epochIdHex)).toBeDefined()
    clock.advance(1)
    expect(await state.getAnnouncement('dev-1', announcement.epochIdHex)).toBeUndefined()
    expect(await state.stats()).toEqual({ devices: 0, announcements: 0 })
    expect(await state.putAnnouncement(announcement)).toBe(true)
  })

  it('keeps announcements forever with announcementTtlMs 0', async () => {
    const clock = new ManualClock(1_000)
    const state = new MemoryConsumerState({ announcementTtlMs: 0, clock })
    await state.putAnnouncement(announcement)
    clock.advance(10 * stateDefaults.announcementTtlMs)
    expect(await state.getAnnouncement('dev-1', announcement.epochIdHex)).toBeDefined()
  })

  it('refuses a window size outside 8 … 2^20 (RangeError naming the option)', () => {
    for (const windowSize of [7, 0, 1.5, 2 ** 20 + 1]) {
      expect(() => new MemoryConsumerState({ windowSize })).toThrow(
        /^windowSize: expected an integer from 8 to 1048576/,
      )
    }
  })

  it('defaults to a 4096-number window', async () => {
    const state = new MemoryConsumerState()
    await state.markDelivered('dev-1', 10_000)
    expect(await state.seen('dev-1', 10_000 - 4095)).toBe('new')
    expect(await state.seen('dev-1', 10_000 - 4096)).toBe('too-old')
  })

  it('answers seenSync and markDeliveredSync at once, as seen and markDelivered do', async () => {
    const sync = new MemoryConsumerState({ windowSize: 8 })
    const async_ = new MemoryConsumerState({ windowSize: 8 })
    for (const seq of [5, 7, 6, 7, 20, 12, 13, 11, 12, 3, 21]) {
      expect(sync.seenSync('dev-1', seq), `seen ${seq}`).toBe(await async_.seen('dev-1', seq))
      expect(sync.markDeliveredSync('dev-1', seq), `mark ${seq}`).toEqual(
        await async_.markDelivered('dev-1', seq),
      )
    }
    expect(() => sync.seenSync('', 1)).toThrow(TypeError)
    expect(() => sync.markDeliveredSync('dev-1', -1)).toThrow(RangeError)
    await sync.close()
    expect(() => sync.seenSync('dev-1', 1)).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_CLOSED' }),
    )
  })
})
