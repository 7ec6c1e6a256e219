/**
 * Where the opener keeps epoch keys: (device id, epoch id) → derived epoch state, so a compact
 * message costs no unwrap. An interface with an in-memory LRU default; a shared registry (for
 * several consumer instances) implements the same contract.
 *
 * @example
 * ```ts
 * const cache = new MemoryEpochKeyCache({ maxEntries: 50_000 })
 * const opener = new Opener({ unwrap, cache })
 * ```
 */
import type { EpochKeys } from './epoch.ts'
import { defaultKeyCacheEntries } from './defaults.ts'

/** Stores derived epoch state by device id and epoch id (hex). */
export interface EpochKeyCache {
  get(deviceId: string, epochIdHex: string): EpochKeys | undefined
  set(deviceId: string, epochIdHex: string, keys: EpochKeys): void
  delete(deviceId: string, epochIdHex: string): boolean
  readonly size: number
}

/**
 * A bounded in-memory LRU.
 *
 * @example
 * ```ts
 * new MemoryEpochKeyCache().size // 0
 * ```
 */
export class MemoryEpochKeyCache implements EpochKeyCache {
  readonly maxEntries: number
  readonly #map = new Map<string, EpochKeys>()
  #newest: string | undefined

  constructor(options: { maxEntries?: number } = {}) {
    const maxEntries = options.maxEntries ?? defaultKeyCacheEntries
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError('maxEntries: expected a positive integer')
    }
    this.maxEntries = maxEntries
  }

  get size(): number {
    return this.#map.size
  }

  get(deviceId: string, epochIdHex: string): EpochKeys | undefined {
    const k = `${deviceId}\u0000${epochIdHex}`
    const v = this.#map.get(k)
    // Refresh the entry's place unless it is already the most recent one (the common case).
    if (v && k !== this.#newest) {
      this.#newest = k
      this.#map.delete(k)
      this.#map.set(k, v)
    }
    return v
  }

  set(deviceId: string, epochIdHex: string, keys: EpochKeys): void {
    const k = `${deviceId}\u0000${epochIdHex}`
    this.#map.delete(k)
    this.#map.set(k, keys)
    this.#newest = k
    if (this.#map.size > this.maxEntries) this.#map.delete(this.#map.keys().next().value!)
  }

  delete(deviceId: string, epochIdHex: string): boolean {
    const k = `${deviceId}\u0000${epochIdHex}`
    if (k === this.#newest) this.#newest = undefined
    return this.#map.delete(k)
  }
}
