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
 * - Optional `getSync`: the answer `get` would give, when the store has it at hand (memory),
 *   returned synchronously and with the same effects (a hit counts as a use for the LRU);
 *   `undefined` means "not at hand", never "absent": the opener then awaits `get`. A compact
 *   open that hits it costs no await. A throw is a store failure, as a rejection of `get` is.
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
  /**
   * Optional: `get`'s answer when it is at hand, synchronously and with the same effects, else
   * `undefined` (then the opener awaits `get`).
   */
  getSync?(deviceId: string, epochIdHex: string): EpochKeys | undefined
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

interface Entry {
  readonly keys: EpochKeys
  /** The keys as an already-resolved promise, made once at `put`. */
  readonly promise: Promise<EpochKeys>
}

/**
 * The default store: a bounded in-memory LRU. Its promises are already resolved, and a hit returns
 * a promise made once per entry; `getSync` answers every lookup, so the opener's warm path neither
 * awaits nor allocates here.
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
  readonly #map = new Map<string, Entry>()
  /** The most recently used entry (the likely next lookup), with its key and the key's parts. */
  #newest: string | undefined
  #newestDevice: string | undefined
  #newestEpoch: string | undefined
  #newestEntry: Entry | undefined

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
    return this.#lookup(deviceId, epochIdHex)?.promise ?? MISSING
  }

  getSync(deviceId: string, epochIdHex: string): EpochKeys | undefined {
    return this.#lookup(deviceId, epochIdHex)?.keys
  }

  #lookup(deviceId: string, epochIdHex: string): Entry | undefined {
    // The most recent entry again (the common case): no key string, no map lookup, no reordering.
    if (deviceId === this.#newestDevice && epochIdHex === this.#newestEpoch)
      return this.#newestEntry
    const k = `${deviceId}\u0000${epochIdHex}`
    const found = this.#map.get(k)
    if (!found) return undefined
    this.#map.delete(k)
    this.#map.set(k, found)
    this.#setNewest(k, deviceId, epochIdHex, found)
    return found
  }

  #setNewest(k: string | undefined, deviceId?: string, epochIdHex?: string, entry?: Entry): void {
    this.#newest = k
    this.#newestDevice = deviceId
    this.#newestEpoch = epochIdHex
    this.#newestEntry = entry
  }

  put(deviceId: string, epochIdHex: string, keys: EpochKeys): Promise<void> {
    const k = `${deviceId}\u0000${epochIdHex}`
    const entry: Entry = { keys, promise: Promise.resolve(keys) }
    this.#map.delete(k)
    this.#map.set(k, entry)
    this.#setNewest(k, deviceId, epochIdHex, entry)
    if (this.#map.size > this.maxEntries) this.#map.delete(this.#map.keys().next().value!)
    return DONE
  }

  delete(deviceId: string, epochIdHex: string): Promise<boolean> {
    const k = `${deviceId}\u0000${epochIdHex}`
    if (k === this.#newest) this.#setNewest(undefined)
    return this.#map.delete(k) ? DELETED : ABSENT
  }
}
