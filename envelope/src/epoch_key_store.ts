/**
 * Where the opener keeps epoch keys: (device id, epoch id) → the epoch's derived state, so a
 * compact message costs no unwrap. An asynchronous interface with a bounded in-memory LRU as the
 * default, so a consumer can put a shared store behind it.
 *
 * **Contract** (`test/helpers/epoch_key_store_contract.ts` checks it for every implementation):
 *
 * - Entries are keyed by the device id (as taken from the topic) and the epoch id as 16 lower-case
 *   hex digits. `get` resolves to the keys last `put` under exactly that pair, or `undefined` when
 *   there are none (never put, deleted, evicted or expired). It never answers with another
 *   device's keys. Forgetting is always allowed: the opener then reports `ERR_EPOCH_UNKNOWN` and
 *   the consumer re-opens the epoch's announcement.
 * - Values are in-memory {@link EpochKeys} objects: they hold an imported AES key (a node:crypto
 *   `KeyObject`) and cannot be serialized. A shared store keeps something else, typically the
 *   epoch's sealed announcement bytes (safe to store anywhere), and may rebuild the `EpochKeys` on
 *   a local miss: open the announcement (one KMS `Decrypt`) and derive them again with
 *   `deriveEpochKeys(cek, wrapped, deviceId, aead)`, using the same AEAD backend as the opener. A
 *   rebuilt object need not be the one that was put, but must be equal in value. Never write
 *   `EpochKeys` (or the CEK) to disk or the network.
 * - After `put` resolves, a `get` of the same pair through the same store resolves to those keys
 *   (unless evicted); a second `put` of the pair replaces the first. The opener puts only keys
 *   that have authenticated a message.
 * - `delete` resolves to `true` when it removed an entry, `false` when there was none.
 * - Calls may overlap (the opener does not serialize them); each behaves as if atomic.
 * - A store with a bound declares it as `maxEntries`: it then holds at most that many entries and
 *   evicts the least recently used one (by `get` or `put`) first.
 * - A rejected promise is a store failure: the opener reports it as `ERR_KEY_STORE_UNAVAILABLE`
 *   (retry), with the store's error as the `cause`.
 *
 * @example
 * ```ts
 * const store = new MemoryEpochKeyStore({ maxEntries: 50_000 })
 * const opener = new Opener({ unwrap, store })
 * ```
 */
import type { EpochKeys } from './epoch.ts'
import { defaultKeyStoreEntries } from './defaults.ts'

/** Stores derived epoch state by device id and epoch id (hex); see the module's contract. */
export interface EpochKeyStore {
  /** The keys of (device id, epoch id), or `undefined`. */
  get(deviceId: string, epochIdHex: string): Promise<EpochKeys | undefined>
  /** Stores (or replaces) the keys of (device id, epoch id). */
  put(deviceId: string, epochIdHex: string, keys: EpochKeys): Promise<void>
  /** Removes the keys of (device id, epoch id); `true` when there were any. */
  delete(deviceId: string, epochIdHex: string): Promise<boolean>
  /** The most entries the store holds, evicting the least recently used first; absent if unbounded. */
  readonly maxEntries?: number
}

const MISSING: Promise<undefined> = Promise.resolve(undefined)
const DONE: Promise<void> = Promise.resolve()
const DELETED: Promise<boolean> = Promise.resolve(true)
const ABSENT: Promise<boolean> = Promise.resolve(false)

/**
 * The default store: a bounded in-memory LRU. Its promises are already resolved, and a hit returns
 * a promise made once per entry, so the opener's warm path allocates nothing here.
 *
 * @example
 * ```ts
 * const store = new MemoryEpochKeyStore({ maxEntries: 2 })
 * await store.put('dev-1', epochIdHex, keys)
 * ;(await store.get('dev-1', epochIdHex)) === keys // true
 * store.size // 1
 * ```
 */
export class MemoryEpochKeyStore implements EpochKeyStore {
  readonly maxEntries: number
  /** Each entry's keys as an already-resolved promise, made once at `put`. */
  readonly #map = new Map<string, Promise<EpochKeys>>()
  #newest: string | undefined

  constructor(options: { maxEntries?: number } = {}) {
    const maxEntries = options.maxEntries ?? defaultKeyStoreEntries
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('maxEntries: expected a positive integer')
    }
    this.maxEntries = maxEntries
  }

  /** How many epochs are held. */
  get size(): number {
    return this.#map.size
  }

  get(deviceId: string, epochIdHex: string): Promise<EpochKeys | undefined> {
    const k = `${deviceId}\u0000${epochIdHex}`
    const found = this.#map.get(k)
    if (!found) return MISSING
    // Refresh the entry's place unless it is already the most recent one (the common case).
    if (k !== this.#newest) {
      this.#newest = k
      this.#map.delete(k)
      this.#map.set(k, found)
    }
    return found
  }

  put(deviceId: string, epochIdHex: string, keys: EpochKeys): Promise<void> {
    const k = `${deviceId}\u0000${epochIdHex}`
    this.#map.delete(k)
    this.#map.set(k, Promise.resolve(keys))
    this.#newest = k
    if (this.#map.size > this.maxEntries) this.#map.delete(this.#map.keys().next().value!)
    return DONE
  }

  delete(deviceId: string, epochIdHex: string): Promise<boolean> {
    const k = `${deviceId}\u0000${epochIdHex}`
    if (k === this.#newest) this.#newest = undefined
    return this.#map.delete(k) ? DELETED : ABSENT
  }
}
