/**
 * The contract every `EpochKeyStore` must pass (the envelope's `epoch_key_store.ts` states it):
 * get after put, missing → undefined, delete, per-device isolation, overwrite, concurrent calls,
 * and the LRU bound of a store that declares `maxEntries`. Values are compared by value, not
 * identity, since a shared store may rebuild them.
 *
 * @example
 * ```ts
 * epochKeyStoreContract('MemoryEpochKeyStore', () => new MemoryEpochKeyStore())
 * epochKeyStoreContract('RedisEpochKeyStore', async () => connectTestStore(), { keys: realEpoch })
 * ```
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { deriveEpochKeys, selectAead, toHex } from '../../envelope/src/index.ts'
import type { EpochKeys, EpochKeyStore } from '../../envelope/src/index.ts'

/** Options of {@link epochKeyStoreContract}. */
export interface EpochKeyStoreContractOptions {
  /**
   * Makes the `n`-th keys to store for `deviceId`. The default derives them from a random CEK and
   * random "wrapped" bytes with the default AEAD backend; a store that rebuilds its values (from
   * a sealed announcement) passes keys it can rebuild.
   */
  readonly keys?: (deviceId: string, n: number) => EpochKeys | Promise<EpochKeys>
  /** Skip the bound test above this many entries (it puts `maxEntries + 1`). Default 100,000. */
  readonly maxBoundToTest?: number
}

function randomKeys(deviceId: string): EpochKeys {
  return deriveEpochKeys(
    Uint8Array.from(randomBytes(32)),
    Uint8Array.from(randomBytes(256)),
    deviceId,
    selectAead(),
  )
}

/** What identifies keys by value: everything but the imported AES key object itself. */
function fingerprint(keys: EpochKeys | undefined): string | undefined {
  if (keys === undefined) return undefined
  return [
    keys.deviceId,
    toHex(keys.epochId),
    toHex(keys.wrapped),
    toHex(keys.baseIv),
    toHex(keys.aadEncrypt0),
    toHex(keys.aadEncrypt),
    keys.aeadKey.backend,
  ].join(' ')
}

/**
 * Registers the contract's tests for one implementation; `makeStore` gives a fresh, empty store
 * per test.
 */
export function epochKeyStoreContract(
  name: string,
  makeStore: () => EpochKeyStore | Promise<EpochKeyStore>,
  options: EpochKeyStoreContractOptions = {},
): void {
  const makeKeys = options.keys ?? ((deviceId: string) => randomKeys(deviceId))
  const maxBoundToTest = options.maxBoundToTest ?? 100_000
  let counter = 0
  /** Fresh keys for `deviceId`, with the epoch id hex they are stored under. */
  const entry = async (deviceId = 'dev-1') => {
    const keys = await makeKeys(deviceId, counter++)
    return { deviceId, hex: toHex(keys.epochId), keys }
  }

  /** A fresh store with room for `entries` without eviction; skips the test when it has none. */
  const storeWithRoom = async (entries: number, ctx: { skip(): void }) => {
    const store = await makeStore()
    if (store.maxEntries !== undefined && store.maxEntries < entries) ctx.skip()
    return store
  }

  describe(`EpochKeyStore contract: ${name}`, () => {
    it('get after put resolves to the keys put (equal in value)', async () => {
      const store = await makeStore()
      const e = await entry()
      await store.put(e.deviceId, e.hex, e.keys)
      expect(fingerprint(await store.get(e.deviceId, e.hex))).toBe(fingerprint(e.keys))
      // and again: a get does not consume the entry
      expect(fingerprint(await store.get(e.deviceId, e.hex))).toBe(fingerprint(e.keys))
    })

    it('a pair never put resolves to undefined', async () => {
      const store = await makeStore()
      expect(await store.get('dev-1', '0000000000000000')).toBeUndefined()
      const e = await entry()
      await store.put(e.deviceId, e.hex, e.keys)
      expect(await store.get(e.deviceId, '0000000000000000')).toBeUndefined()
    })

    it('delete removes the entry and resolves to true; to false when there was none', async (ctx) => {
      const store = await storeWithRoom(2, ctx)
      const a = await entry()
      const b = await entry()
      await store.put(a.deviceId, a.hex, a.keys)
      await store.put(b.deviceId, b.hex, b.keys)
      expect(await store.delete(a.deviceId, a.hex)).toBe(true)
      expect(await store.get(a.deviceId, a.hex)).toBeUndefined()
      expect(await store.delete(a.deviceId, a.hex)).toBe(false)
      expect(await store.delete('dev-never', a.hex)).toBe(false)
      expect(fingerprint(await store.get(b.deviceId, b.hex))).toBe(fingerprint(b.keys))
      // A deleted pair can be stored again.
      await store.put(a.deviceId, a.hex, a.keys)
      expect(fingerprint(await store.get(a.deviceId, a.hex))).toBe(fingerprint(a.keys))
    })

    it('entries are per device: the same epoch id under another device is another entry', async (ctx) => {
      const store = await storeWithRoom(2, ctx)
      const a = await entry('dev-a')
      await store.put('dev-a', a.hex, a.keys)
      expect(await store.get('dev-b', a.hex)).toBeUndefined()
      // Device ids that would collide under naive joining stay apart.
      expect(await store.get('dev-', `a${a.hex}`)).toBeUndefined()
      const b = await entry('dev-b')
      await store.put('dev-b', a.hex, b.keys)
      expect(fingerprint(await store.get('dev-a', a.hex))).toBe(fingerprint(a.keys))
      expect(fingerprint(await store.get('dev-b', a.hex))).toBe(fingerprint(b.keys))
      expect(await store.delete('dev-b', a.hex)).toBe(true)
      expect(fingerprint(await store.get('dev-a', a.hex))).toBe(fingerprint(a.keys))
    })

    it('a second put of a pair replaces the first', async () => {
      const store = await makeStore()
      const first = await entry()
      const second = await entry()
      await store.put(first.deviceId, first.hex, first.keys)
      await store.put(first.deviceId, first.hex, second.keys)
      expect(fingerprint(await store.get(first.deviceId, first.hex))).toBe(fingerprint(second.keys))
      expect(await store.delete(first.deviceId, first.hex)).toBe(true)
      expect(await store.get(first.deviceId, first.hex)).toBeUndefined()
    })

    it('concurrent puts of different pairs all land', async () => {
      const store = await makeStore()
      const n = Math.min(64, store.maxEntries ?? 64)
      const entries = await Promise.all(Array.from({ length: n }, (_, i) => entry(`dev-${i % 8}`)))
      await Promise.all(entries.map((e) => store.put(e.deviceId, e.hex, e.keys)))
      const got = await Promise.all(entries.map((e) => store.get(e.deviceId, e.hex)))
      expect(got.map(fingerprint)).toEqual(entries.map((e) => fingerprint(e.keys)))
    })

    it('concurrent puts of one pair leave exactly one of the values', async () => {
      const store = await makeStore()
      const a = await entry()
      const b = await entry()
      await Promise.all([
        store.put(a.deviceId, a.hex, a.keys),
        store.put(a.deviceId, a.hex, b.keys),
      ])
      expect([fingerprint(a.keys), fingerprint(b.keys)]).toContain(
        fingerprint(await store.get(a.deviceId, a.hex)),
      )
    })

    it('concurrent gets, puts and deletes of other pairs do not disturb an entry', async (ctx) => {
      const store = await storeWithRoom(9, ctx)
      const kept = await entry('dev-kept')
      await store.put(kept.deviceId, kept.hex, kept.keys)
      const others = await Promise.all(Array.from({ length: 8 }, () => entry('dev-other')))
      const results = await Promise.all([
        ...others.map((e) => store.put(e.deviceId, e.hex, e.keys)),
        ...others.map((e) => store.get(e.deviceId, e.hex)),
        ...others.map((e) => store.delete(e.deviceId, e.hex)),
        store.get(kept.deviceId, kept.hex),
      ])
      expect(fingerprint(results.at(-1) as EpochKeys)).toBe(fingerprint(kept.keys))
      expect(fingerprint(await store.get(kept.deviceId, kept.hex))).toBe(fingerprint(kept.keys))
    })

    it('every method answers with a promise', async () => {
      const store = await makeStore()
      const e = await entry()
      const calls = [
        store.put(e.deviceId, e.hex, e.keys),
        store.get(e.deviceId, e.hex),
        store.delete(e.deviceId, e.hex),
      ]
      for (const p of calls) expect(typeof (p as Promise<unknown>).then).toBe('function')
      await Promise.all(calls)
    })

    it('a store that declares maxEntries holds at most that many, evicting the least recently used first', async (ctx) => {
      const store = await makeStore()
      const bound = store.maxEntries
      if (bound === undefined || bound > maxBoundToTest) {
        ctx.skip()
        return
      }
      expect(Number.isSafeInteger(bound) && bound >= 1).toBe(true)
      const entries = []
      for (let i = 0; i <= bound; i++) entries.push(await entry(`dev-${i % 3}`))
      for (const e of entries.slice(0, bound)) await store.put(e.deviceId, e.hex, e.keys)
      // Touch the oldest: the second oldest is now the least recently used.
      const oldest = entries[0]!
      expect(fingerprint(await store.get(oldest.deviceId, oldest.hex))).toBe(
        fingerprint(oldest.keys),
      )
      const extra = entries[bound]!
      await store.put(extra.deviceId, extra.hex, extra.keys)
      const present = await Promise.all(
        entries.map(async (e) => (await store.get(e.deviceId, e.hex)) !== undefined),
      )
      expect(present.filter(Boolean).length).toBe(bound)
      expect(present[bound]).toBe(true)
      // With room for one, the extra entry evicts the touched one; otherwise the untouched second.
      if (bound === 1) expect(present[0]).toBe(false)
      else expect([present[0], present[1]]).toEqual([true, false])
    })
  })
}
