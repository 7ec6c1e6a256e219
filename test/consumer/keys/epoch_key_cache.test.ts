/**
 * The layered epoch-key store: it passes the envelope's EpochKeyStore contract suite; memory is an
 * LRU with a TTL from the put; a miss recovers through the second layer once however many ask at
 * once; it knows which device an epoch id belongs to (for messages moved to another topic).
 */
import { describe, expect, it } from 'vitest'
import { deriveEpochKeys, selectAead } from '../../../envelope/src/index.ts'
import type { EpochKeys } from '../../../envelope/src/index.ts'
import { EpochKeyCache } from '../../../consumer/src/keys/epoch_key_cache.ts'
import { ManualClock } from '../../../platform/src/index.ts'
import { epochKeyStoreContract } from '../../helpers/epoch_key_store_contract.ts'

const aead = selectAead()

function keysOf(device: string, n: number): EpochKeys {
  return deriveEpochKeys(new Uint8Array(32).fill(n), new Uint8Array(256).fill(n), device, aead)
}

epochKeyStoreContract('EpochKeyCache', () => new EpochKeyCache({ maxEntries: 1000, ttlMs: 60_000 }))

describe('EpochKeyCache', () => {
  it('forgets an entry ttlMs after it was put, whatever its use', async () => {
    const clock = new ManualClock()
    const cache = new EpochKeyCache({ maxEntries: 10, ttlMs: 1000, clock })
    const k = keysOf('dev-1', 1)
    await cache.put('dev-1', 'aa', k)
    clock.advance(999)
    expect(await cache.get('dev-1', 'aa')).toBe(k)
    expect(cache.peek('dev-1', 'aa')).toBe(k)
    clock.advance(1)
    expect(await cache.get('dev-1', 'aa')).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('evicts the least recently used: a hit on one of the oldest half saves it from the next put; a hit in the newest half keeps it for at least maxEntries / 2 puts', async () => {
    const cache = new EpochKeyCache({ maxEntries: 8, ttlMs: 60_000 })
    const hex = (i: number) => `e${i}`
    for (let i = 0; i < 8; i++) await cache.put('dev-1', hex(i), keysOf('dev-1', i))
    expect(cache.getSync('dev-1', hex(0))).toBeDefined() // oldest: moved to the newest end
    expect(cache.getSync('dev-1', hex(7))).toBeDefined() // newest half: stays where it is
    for (let i = 8; i < 12; i++) await cache.put('dev-1', hex(i), keysOf('dev-1', i))
    const held = Array.from({ length: 12 }, (_, i) => cache.peek('dev-1', hex(i)) !== undefined)
    expect(held).toEqual([
      true,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ])
    expect(cache.size).toBe(8)
  })

  it('a hit in the newest half does not move the entry: it outlives maxEntries / 2 puts, not as many as exact LRU would keep it', async () => {
    const cache = new EpochKeyCache({ maxEntries: 8, ttlMs: 60_000 })
    const hex = (i: number) => `e${i}`
    for (let i = 0; i < 8; i++) await cache.put('dev-1', hex(i), keysOf('dev-1', i))
    expect(cache.getSync('dev-1', hex(5))).toBeDefined() // newest half: not moved
    for (let i = 8; i < 12; i++) await cache.put('dev-1', hex(i), keysOf('dev-1', i))
    expect(cache.peek('dev-1', hex(5))).toBeDefined() // 4 = maxEntries / 2 puts later
    for (let i = 12; i < 14; i++) await cache.put('dev-1', hex(i), keysOf('dev-1', i))
    // Exact LRU would evict e6 before the just-used e5; this cache evicted e5 (the trade-off).
    expect(cache.peek('dev-1', hex(5))).toBeUndefined()
    expect(cache.peek('dev-1', hex(6))).toBeDefined()
  })

  it("getSync's memory of its last hit answers as the map does: after new keys are put, a delete, an eviction, the TTL, and for another device with the same epoch id", async () => {
    const clock = new ManualClock()
    const cache = new EpochKeyCache({ maxEntries: 2, ttlMs: 1000, clock })
    const first = keysOf('dev-1', 1)
    await cache.put('dev-1', 'aa', first)
    expect(cache.getSync('dev-1', 'aa')).toBe(first)
    expect(cache.getSync('dev-1', 'aa')).toBe(first) // from the memory of the last hit
    expect(cache.getSync('dev-2', 'aa')).toBeUndefined() // same epoch id, another device
    const second = keysOf('dev-1', 2)
    await cache.put('dev-1', 'aa', second)
    expect(cache.getSync('dev-1', 'aa')).toBe(second)
    await cache.delete('dev-1', 'aa')
    expect(cache.getSync('dev-1', 'aa')).toBeUndefined()

    await cache.put('dev-1', 'bb', first)
    expect(cache.getSync('dev-1', 'bb')).toBe(first)
    await cache.put('dev-1', 'cc', second)
    await cache.put('dev-1', 'dd', second) // evicts bb, the oldest (any put forgets the last hit)
    expect(cache.getSync('dev-1', 'bb')).toBeUndefined()

    expect(cache.getSync('dev-1', 'dd')).toBe(second)
    clock.advance(1000)
    expect(cache.getSync('dev-1', 'dd')).toBeUndefined()
  })

  it('recovers a miss once for everyone asking at once, and remembers it', async () => {
    const lookups: string[] = []
    let recoveries = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const k = keysOf('dev-1', 2)
    const cache = new EpochKeyCache({
      maxEntries: 10,
      ttlMs: 60_000,
      onLookup: (r) => lookups.push(r),
      recover: async (device, epoch) => {
        recoveries++
        await gate
        return device === 'dev-1' && epoch === 'bb' ? k : undefined
      },
    })
    const asks = Array.from({ length: 20 }, () => cache.get('dev-1', 'bb'))
    expect(cache.recovering('dev-1', 'bb')).toBe(true)
    release()
    for (const got of await Promise.all(asks)) expect(got).toBe(k)
    expect(recoveries).toBe(1)
    expect(await cache.get('dev-1', 'bb')).toBe(k)
    expect(lookups).toEqual(['recovered', 'hit'])
    expect(await cache.get('dev-2', 'bb')).toBeUndefined()
    expect(lookups.at(-1)).toBe('miss')
    expect(recoveries).toBe(2)
  })

  it('knows the device of each epoch it holds', async () => {
    const cache = new EpochKeyCache({ maxEntries: 2, ttlMs: 60_000 })
    await cache.put('dev-1', 'e1', keysOf('dev-1', 1))
    await cache.put('dev-2', 'e2', keysOf('dev-2', 2))
    expect(cache.deviceOf('e1')).toBe('dev-1')
    await cache.put('dev-3', 'e3', keysOf('dev-3', 3)) // evicts e1
    expect(cache.deviceOf('e1')).toBeUndefined()
    await cache.delete('dev-2', 'e2')
    expect(cache.deviceOf('e2')).toBeUndefined()
    expect(cache.deviceOf('e3')).toBe('dev-3')
  })

  it('refuses bounds that are none', () => {
    expect(() => new EpochKeyCache({ maxEntries: 0, ttlMs: 1 })).toThrow(RangeError)
    expect(() => new EpochKeyCache({ maxEntries: 1, ttlMs: 0 })).toThrow(RangeError)
  })
})
