/**
 * The envelope's asynchronous `EpochKeyStore` for the consumer, in two layers:
 *
 * 1. **Memory**: an LRU (to within half the cache, see `#refresh`) of derived `EpochKeys`
 *    (bounded by `maxEntries`), each kept at most `ttlMs` after it was put: an epoch is sealed
 *    for at most the agent's `epoch.maxAgeMs`, so keys older than that plus the longest delivery
 *    delay are no longer needed. CEKs and derived keys live here only, never on disk or the
 *    network.
 * 2. **Recovery** on a miss: the epoch's key announcement (sealed bytes, kept in the shared
 *    `ConsumerState` by whichever instance first opened it) is opened again, one KMS `Decrypt`.
 *    **Single flight per epoch**: concurrent misses of one (device, epoch) share one recovery.
 *
 * It also answers which device an epoch id belongs to ({@link EpochKeyCache.deviceOf}): epoch ids
 * are unique per epoch (a hash of a randomized RSA-OAEP ciphertext), so a message of a known
 * epoch on another device's topic was moved there and can never open.
 *
 * @example
 * ```ts
 * const cache = new EpochKeyCache({ maxEntries: 50_000, ttlMs: 2 * 3600_000, recover })
 * const opener = new Opener({ unwrap, pinIds, store: cache })
 * ```
 */
import type { EpochKeys, EpochKeyStore } from '../../../envelope/src/index.ts'
import { systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'

/** Rebuilds the keys of an epoch on a miss (from its stored announcement), or `undefined`. */
export type RecoverEpoch = (deviceId: string, epochIdHex: string) => Promise<EpochKeys | undefined>

/** Options of {@link EpochKeyCache}. */
export interface EpochKeyCacheOptions {
  readonly maxEntries: number
  /** How long an entry is kept after it was put, in ms. */
  readonly ttlMs: number
  /** The second layer; without it a miss is a miss. */
  readonly recover?: RecoverEpoch | undefined
  /** Called on every `get`: from memory (`hit`), recovered, or unknown. */
  readonly onLookup?: ((result: 'hit' | 'recovered' | 'miss') => void) | undefined
  readonly clock?: Clock | undefined
}

interface Entry {
  readonly keys: EpochKeys
  readonly promise: Promise<EpochKeys>
  readonly expiresAt: number
  /** The cache's tick when this entry last moved to the newest end. */
  refreshedAt: number
}

const MISSING: Promise<undefined> = Promise.resolve(undefined)

/**
 * The layered store (see the module doc).
 *
 * @example
 * ```ts
 * await cache.put('dev-1', epochHex, keys)
 * cache.peek('dev-1', epochHex) === keys // true
 * ```
 */
export class EpochKeyCache implements EpochKeyStore {
  readonly maxEntries: number
  readonly ttlMs: number
  readonly #map = new Map<string, Entry>()
  /** Epoch id → device, for the entries held. */
  readonly #deviceOf = new Map<string, string>()
  readonly #recovering = new Map<string, Promise<EpochKeys | undefined>>()
  readonly #recover: RecoverEpoch | undefined
  readonly #onLookup: EpochKeyCacheOptions['onLookup']
  readonly #clock: Clock
  /** Counts moves to the newest end (puts and refreshes). */
  #tick = 0
  /**
   * The last entry `getSync` found, and its key's parts: the next message is most likely of the
   * same epoch, and is then looked up without building and hashing its key string. Forgotten by
   * every put and drop, so it is always an entry of the map.
   */
  #lastDevice = ''
  #lastEpoch = ''
  #lastKey = ''
  #lastEntry: Entry | undefined

  constructor(options: EpochKeyCacheOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError('maxEntries: expected a positive integer')
    }
    if (!(options.ttlMs > 0)) throw new RangeError('ttlMs: expected a positive number')
    this.maxEntries = options.maxEntries
    this.ttlMs = options.ttlMs
    this.#recover = options.recover
    this.#onLookup = options.onLookup
    this.#clock = options.clock ?? systemClock
  }

  /** Epochs held in memory. */
  get size(): number {
    return this.#map.size
  }

  /** The keys held in memory for (device, epoch), with no recovery; refreshes nothing. */
  peek(deviceId: string, epochIdHex: string): EpochKeys | undefined {
    const entry = this.#map.get(`${deviceId}\u0000${epochIdHex}`)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#clock.monotonic()) {
      this.#drop(deviceId, epochIdHex)
      return undefined
    }
    return entry.keys
  }

  /** The device whose epoch `epochIdHex` is held in memory, if any. */
  deviceOf(epochIdHex: string): string | undefined {
    return this.#deviceOf.get(epochIdHex)
  }

  /** True while a recovery of (device, epoch) is in flight. */
  recovering(deviceId: string, epochIdHex: string): boolean {
    return this.#recovering.has(`${deviceId}\u0000${epochIdHex}`)
  }

  /** `get`'s answer when the keys are in memory (a hit, counted and refreshed), else `undefined`. */
  getSync(deviceId: string, epochIdHex: string): EpochKeys | undefined {
    let k: string
    let entry: Entry | undefined
    if (
      this.#lastEntry !== undefined &&
      epochIdHex === this.#lastEpoch &&
      deviceId === this.#lastDevice
    ) {
      k = this.#lastKey
      entry = this.#lastEntry
    } else {
      k = `${deviceId}\u0000${epochIdHex}`
      entry = this.#map.get(k)
      if (entry === undefined) return undefined
      this.#lastDevice = deviceId
      this.#lastEpoch = epochIdHex
      this.#lastKey = k
      this.#lastEntry = entry
    }
    if (entry.expiresAt <= this.#clock.monotonic()) return undefined
    this.#refresh(k, entry)
    this.#onLookup?.('hit')
    return entry.keys
  }

  /**
   * Moves a hit entry to the newest end, unless it moved there fewer than `maxEntries / 2` moves
   * ago: fewer entries than that are newer, so it is still in the newest half, and at least half
   * the cache's worth of puts must come before it could be evicted (a hit after those moves it).
   * A hot epoch costs no Map delete and set per message; eviction stays least-recently-used to
   * within half the cache (exact for the oldest half, where every hit moves the entry).
   */
  #refresh(k: string, entry: Entry): void {
    if (this.#tick - entry.refreshedAt < Math.floor(this.maxEntries / 2)) return
    this.#map.delete(k)
    this.#map.set(k, entry)
    entry.refreshedAt = ++this.#tick
  }

  get(deviceId: string, epochIdHex: string): Promise<EpochKeys | undefined> {
    const k = `${deviceId}\u0000${epochIdHex}`
    const entry = this.#map.get(k)
    if (entry !== undefined) {
      if (entry.expiresAt > this.#clock.monotonic()) {
        this.#refresh(k, entry)
        this.#onLookup?.('hit')
        return entry.promise
      }
      this.#drop(deviceId, epochIdHex)
    }
    if (this.#recover === undefined) {
      this.#onLookup?.('miss')
      return MISSING
    }
    let flight = this.#recovering.get(k)
    if (flight === undefined) {
      flight = this.#recoverOnce(deviceId, epochIdHex, k)
      this.#recovering.set(k, flight)
    }
    return flight
  }

  put(deviceId: string, epochIdHex: string, keys: EpochKeys): Promise<void> {
    const k = `${deviceId}\u0000${epochIdHex}`
    this.#lastEntry = undefined
    this.#map.delete(k)
    this.#map.set(k, {
      keys,
      promise: Promise.resolve(keys),
      expiresAt: this.#clock.monotonic() + this.ttlMs,
      refreshedAt: ++this.#tick,
    })
    this.#deviceOf.set(epochIdHex, deviceId)
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next().value!
      const [device, epoch] = oldest.split('\u0000') as [string, string]
      this.#drop(device, epoch)
    }
    return Promise.resolve()
  }

  delete(deviceId: string, epochIdHex: string): Promise<boolean> {
    return Promise.resolve(this.#drop(deviceId, epochIdHex))
  }

  #drop(deviceId: string, epochIdHex: string): boolean {
    this.#lastEntry = undefined
    const removed = this.#map.delete(`${deviceId}\u0000${epochIdHex}`)
    if (removed && this.#deviceOf.get(epochIdHex) === deviceId) this.#deviceOf.delete(epochIdHex)
    return removed
  }

  async #recoverOnce(
    deviceId: string,
    epochIdHex: string,
    k: string,
  ): Promise<EpochKeys | undefined> {
    try {
      const keys = await this.#recover!(deviceId, epochIdHex)
      if (keys === undefined) {
        this.#onLookup?.('miss')
        return undefined
      }
      // A put made while recovering (the announcement opened meanwhile) is as good.
      const current = this.peek(deviceId, epochIdHex)
      if (current !== undefined) return current
      await this.put(deviceId, epochIdHex, keys)
      this.#onLookup?.('recovered')
      return keys
    } finally {
      this.#recovering.delete(k)
    }
  }
}
