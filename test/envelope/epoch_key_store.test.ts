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
})
