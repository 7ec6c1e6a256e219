/**
 * {@link ConsumerState} in one process's memory: the default for a single consumer instance
 * (`--state memory`). Nothing survives a restart, and instances cannot share it: with several
 * instances in one share group use {@link RedisConsumerState}. Same contract, same replay window
 * algorithm (`_replay_window.ts`), same announcement TTL.
 *
 * @example
 * ```ts
 * const state = new MemoryConsumerState({ windowSize: 4096 })
 * await state.markDelivered('dev-1', 7) // { highest: 7, gap: 0, newly: true }
 * ```
 */
import { systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'
import type {
  ConsumerState,
  EpochBudget,
  MarkResult,
  ReplayVerdict,
  StoredAnnouncement,
} from './consumer_state.ts'
import {
  assertAnnouncement,
  assertDeviceId,
  assertEpochIdHex,
  assertSeq,
  assertTime,
  assertWindowMs,
  checkTtlMs,
  checkWindowSize,
} from './_checks.ts'
import { stateDefaults } from './defaults.ts'
import { StateError } from './errors.ts'
import { ReplayWindow } from './_replay_window.ts'

/** Options of {@link MemoryConsumerState}. */
export interface MemoryConsumerStateOptions {
  /** Default {@link stateDefaults}.windowSize (4096). */
  readonly windowSize?: number
  /** Default {@link stateDefaults}.announcementTtlMs (7 days); 0 keeps announcements forever. */
  readonly announcementTtlMs?: number
  /** Reads the time for announcement expiry. Default the system clock. */
  readonly clock?: Clock
}

interface Kept {
  readonly announcement: StoredAnnouncement
  expiresAt: number
}

interface BudgetWindow {
  readonly windowMs: number
  readonly index: number
  total: number
  readonly devices: Map<string, number>
}

/** The in-process {@link ConsumerState}. */
export class MemoryConsumerState implements ConsumerState {
  readonly description = 'memory'
  readonly #windowSize: number
  readonly #ttlMs: number
  readonly #clock: Clock
  readonly #windows = new Map<string, ReplayWindow>()
  readonly #announcements = new Map<string, Kept>()
  /** Budget windows by `${windowMs}:${index}`: the current and the previous one of each. */
  readonly #budgets = new Map<string, BudgetWindow>()
  #closed = false

  constructor(options: MemoryConsumerStateOptions = {}) {
    this.#windowSize = checkWindowSize(options.windowSize ?? stateDefaults.windowSize)
    this.#ttlMs = checkTtlMs(options.announcementTtlMs ?? stateDefaults.announcementTtlMs)
    this.#clock = options.clock ?? systemClock
  }

  #open(): void {
    if (this.#closed) throw new StateError('ERR_STATE_CLOSED', 'the consumer state is closed')
  }

  #expiry(): number {
    return this.#ttlMs === 0 ? Infinity : this.#clock.now() + this.#ttlMs
  }

  async putAnnouncement(a: StoredAnnouncement): Promise<boolean> {
    assertAnnouncement(a)
    this.#open()
    const key = `${a.deviceId}\u0000${a.epochIdHex}`
    const kept = this.#live(key)
    if (kept !== undefined) {
      kept.expiresAt = this.#expiry()
      return false
    }
    const announcement: StoredAnnouncement = Object.freeze({
      deviceId: a.deviceId,
      epochIdHex: a.epochIdHex,
      topic: a.topic,
      bytes: Uint8Array.from(a.bytes),
      receivedAt: a.receivedAt,
    })
    this.#announcements.set(key, { announcement, expiresAt: this.#expiry() })
    return true
  }

  async getAnnouncement(
    deviceId: string,
    epochIdHex: string,
  ): Promise<StoredAnnouncement | undefined> {
    assertDeviceId(deviceId)
    assertEpochIdHex(epochIdHex)
    this.#open()
    const kept = this.#live(`${deviceId}\u0000${epochIdHex}`)
    if (kept === undefined) return undefined
    // A copy: the caller may not change what another caller gets.
    return { ...kept.announcement, bytes: Uint8Array.from(kept.announcement.bytes) }
  }

  /** The entry under `key` unless it expired (then it is dropped). */
  #live(key: string): Kept | undefined {
    const kept = this.#announcements.get(key)
    if (kept === undefined || kept.expiresAt > this.#clock.now()) return kept
    this.#announcements.delete(key)
    return undefined
  }

  async seen(deviceId: string, seq: number): Promise<ReplayVerdict> {
    return this.seenSync(deviceId, seq)
  }

  seenSync(deviceId: string, seq: number): ReplayVerdict {
    assertDeviceId(deviceId)
    assertSeq(seq)
    this.#open()
    return this.#windows.get(deviceId)?.verdict(seq) ?? 'new'
  }

  async markDelivered(deviceId: string, seq: number): Promise<MarkResult> {
    return this.markDeliveredSync(deviceId, seq)
  }

  markDeliveredSync(deviceId: string, seq: number): MarkResult {
    assertDeviceId(deviceId)
    assertSeq(seq)
    this.#open()
    let window = this.#windows.get(deviceId)
    if (window === undefined) {
      window = new ReplayWindow(this.#windowSize)
      this.#windows.set(deviceId, window)
    }
    return window.mark(seq)
  }

  async countNewEpoch(deviceId: string, nowMs: number, windowMs: number): Promise<EpochBudget> {
    assertDeviceId(deviceId)
    assertTime('nowMs', nowMs)
    assertWindowMs(windowMs)
    this.#open()
    const index = Math.floor(nowMs / windowMs)
    const key = `${windowMs}:${index}`
    let budget = this.#budgets.get(key)
    if (budget === undefined) {
      budget = { windowMs, index, total: 0, devices: new Map() }
      this.#budgets.set(key, budget)
      // Windows two or more behind are over for every caller (the one just before is kept for a
      // caller whose clock lags a little, as Redis keeps it until it expires).
      for (const [k, b] of this.#budgets) {
        if (b.windowMs === windowMs && b.index < index - 1) this.#budgets.delete(k)
      }
    }
    const device = (budget.devices.get(deviceId) ?? 0) + 1
    budget.devices.set(deviceId, device)
    budget.total++
    return { device, total: budget.total }
  }

  async stats(): Promise<{ readonly devices: number; readonly announcements: number }> {
    this.#open()
    for (const key of [...this.#announcements.keys()]) this.#live(key)
    return { devices: this.#windows.size, announcements: this.#announcements.size }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#windows.clear()
    this.#announcements.clear()
    this.#budgets.clear()
  }
}
