/**
 * Where compact messages of an unknown epoch wait for their key announcement, bounded in count
 * and in time. A parked message has already been written to the dead-letter store (reason
 * `epoch-unknown`) and acknowledged, so parking never holds the broker's in-flight window and a
 * crash loses nothing; the lot only remembers which letters to retry when the announcement is
 * opened. A message that waits longer than `maxAgeMs`, or is pushed out by `maxMessages` newer
 * ones, leaves the lot and simply stays dead-lettered (replayable).
 *
 * @example
 * ```ts
 * const lot = new ParkingLot({ maxMessages: 10_000, maxAgeMs: 30_000, onExpired })
 * lot.park({ deviceId, epochIdHex, letterId, topic, bytes, receivedAt })
 * for (const p of lot.take(deviceId, epochIdHex)) retry(p)
 * ```
 */
import { systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'

/** One parked message. */
export interface Parked {
  readonly deviceId: string
  readonly epochIdHex: string
  /** Its dead letter's id. */
  readonly letterId: string
  readonly topic: string
  readonly bytes: Uint8Array
  readonly receivedAt: number
}

/** Options of {@link ParkingLot}. */
export interface ParkingLotOptions {
  readonly maxMessages: number
  readonly maxAgeMs: number
  /** Called with messages that left the lot without their announcement (they stay dead letters). */
  readonly onExpired: (parked: readonly Parked[], why: 'timeout' | 'full') => void
  readonly clock?: Clock | undefined
  /** How often expiry is checked, in ms; default `maxAgeMs / 10` (at least 50). */
  readonly sweepMs?: number | undefined
}

interface Slot {
  readonly parked: Parked
  readonly at: number
}

/**
 * Parked messages by (device, epoch), oldest first.
 *
 * @example
 * ```ts
 * lot.size // messages parked now
 * ```
 */
export class ParkingLot {
  readonly maxMessages: number
  readonly maxAgeMs: number
  readonly #onExpired: ParkingLotOptions['onExpired']
  readonly #clock: Clock
  /** Insertion order is age order: the first slot is the oldest. */
  readonly #slots = new Map<Parked, Slot>()
  readonly #byEpoch = new Map<string, Set<Parked>>()
  readonly #timer: ReturnType<typeof setInterval>

  constructor(options: ParkingLotOptions) {
    if (!Number.isSafeInteger(options.maxMessages) || options.maxMessages < 0) {
      throw new RangeError('maxMessages: expected a non-negative integer')
    }
    if (!(options.maxAgeMs >= 0)) throw new RangeError('maxAgeMs: expected a number ≥ 0')
    this.maxMessages = options.maxMessages
    this.maxAgeMs = options.maxAgeMs
    this.#onExpired = options.onExpired
    this.#clock = options.clock ?? systemClock
    const sweepMs = options.sweepMs ?? Math.max(50, Math.floor(options.maxAgeMs / 10))
    this.#timer = setInterval(() => this.sweep(), sweepMs)
    this.#timer.unref?.()
  }

  /** Messages parked now. */
  get size(): number {
    return this.#slots.size
  }

  /** Parks a message; the oldest leaves if the lot is full. False when the lot takes none. */
  park(parked: Parked): boolean {
    if (this.maxMessages === 0 || this.maxAgeMs === 0) {
      this.#onExpired([parked], 'full')
      return false
    }
    this.#slots.set(parked, { parked, at: this.#clock.monotonic() })
    const k = `${parked.deviceId}\u0000${parked.epochIdHex}`
    let set = this.#byEpoch.get(k)
    if (set === undefined) this.#byEpoch.set(k, (set = new Set()))
    set.add(parked)
    if (this.#slots.size > this.maxMessages) {
      const oldest = this.#slots.keys().next().value!
      this.#remove(oldest)
      this.#onExpired([oldest], 'full')
    }
    return true
  }

  /** True when the letter `letterId` is parked here now. */
  holds(letterId: string): boolean {
    for (const p of this.#slots.keys()) if (p.letterId === letterId) return true
    return false
  }

  /** Removes and returns the messages parked for (device, epoch), oldest first. */
  take(deviceId: string, epochIdHex: string): Parked[] {
    const k = `${deviceId}\u0000${epochIdHex}`
    const set = this.#byEpoch.get(k)
    if (set === undefined) return []
    this.#byEpoch.delete(k)
    const out = [...set]
    for (const p of out) this.#slots.delete(p)
    return out
  }

  /** Lets out every message older than `maxAgeMs` (also run by a timer). */
  sweep(): void {
    const limit = this.#clock.monotonic() - this.maxAgeMs
    const expired: Parked[] = []
    for (const slot of this.#slots.values()) {
      if (slot.at > limit) break
      expired.push(slot.parked)
    }
    for (const p of expired) this.#remove(p)
    if (expired.length > 0) this.#onExpired(expired, 'timeout')
  }

  /** Stops the timer; what is parked stays dead-lettered. */
  close(): Parked[] {
    clearInterval(this.#timer)
    const rest = [...this.#slots.keys()]
    this.#slots.clear()
    this.#byEpoch.clear()
    return rest
  }

  #remove(p: Parked): void {
    this.#slots.delete(p)
    const k = `${p.deviceId}\u0000${p.epochIdHex}`
    const set = this.#byEpoch.get(k)
    set?.delete(p)
    if (set?.size === 0) this.#byEpoch.delete(k)
  }
}
