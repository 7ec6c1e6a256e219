import { describe, expect, it } from 'vitest'
import { defaultKeyStoreEntries, MemoryEpochKeyStore } from '../../envelope/src/index.ts'
import { epochKeyStoreContract } from '../helpers/epoch_key_store_contract.ts'

epochKeyStoreContract('MemoryEpochKeyStore (default bound)', () => new MemoryEpochKeyStore())
epochKeyStoreContract('MemoryEpochKeyStore (maxEntries 1)', () => {
  return new MemoryEpochKeyStore({ maxEntries: 1 })
})
epochKeyStoreContract('MemoryEpochKeyStore (maxEntries 3)', () => {
  return new MemoryEpochKeyStore({ maxEntries: 3 })
})

describe('MemoryEpochKeyStore', () => {
  it('is bounded by defaultKeyStoreEntries unless told otherwise', () => {
    expect(new MemoryEpochKeyStore().maxEntries).toBe(defaultKeyStoreEntries)
    expect(defaultKeyStoreEntries).toBe(10_000)
  })

  it.each([0, -1, 1.5, Number.NaN, Infinity])('refuses maxEntries %s (RangeError)', (n) => {
    expect(() => new MemoryEpochKeyStore({ maxEntries: n })).toThrow(
      new RangeError('maxEntries: expected a positive integer'),
    )
  })

  it('a hit answers with the same already-resolved promise: no allocation on the warm path', async () => {
    const { deriveEpochKeys, selectAead, toHex } = await import('../../envelope/src/index.ts')
    const keys = deriveEpochKeys(new Uint8Array(32), new Uint8Array(256), 'dev-1', selectAead())
    const store = new MemoryEpochKeyStore()
    await store.put('dev-1', toHex(keys.epochId), keys)
    const a = store.get('dev-1', toHex(keys.epochId))
    expect(store.get('dev-1', toHex(keys.epochId))).toBe(a)
    expect(await a).toBe(keys)
    expect(store.get('dev-1', 'ffffffffffffffff')).toBe(store.get('dev-2', 'ffffffffffffffff'))
    expect(store.size).toBe(1)
  })

  it('getSync answers as get does, and a hit counts as a use for the LRU', async () => {
    const { deriveEpochKeys, selectAead, toHex } = await import('../../envelope/src/index.ts')
    const make = (n: number) =>
      deriveEpochKeys(new Uint8Array(32), new Uint8Array(256).fill(n), 'dev-1', selectAead())
    const [a, b, c] = [make(1), make(2), make(3)]
    const store = new MemoryEpochKeyStore({ maxEntries: 2 })
    await store.put('dev-1', toHex(a.epochId), a)
    await store.put('dev-1', toHex(b.epochId), b)
    expect(store.getSync('dev-1', toHex(a.epochId))).toBe(a) // a is now the most recent
    expect(store.getSync('dev-2', toHex(a.epochId))).toBeUndefined()
    expect(store.getSync('dev-1', 'ffffffffffffffff')).toBeUndefined()
    await store.put('dev-1', toHex(c.epochId), c) // evicts b, the least recently used
    expect(store.getSync('dev-1', toHex(b.epochId))).toBeUndefined()
    expect(await store.get('dev-1', toHex(a.epochId))).toBe(a)
    expect(store.getSync('dev-1', toHex(c.epochId))).toBe(c)
    expect(await store.delete('dev-1', toHex(c.epochId))).toBe(true)
    expect(store.getSync('dev-1', toHex(c.epochId))).toBeUndefined()
    expect(await store.get('dev-1', toHex(c.epochId))).toBeUndefined()
  })
})
