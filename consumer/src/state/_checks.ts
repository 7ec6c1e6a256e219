/**
 * Argument checks shared by every {@link ConsumerState} implementation: a wrong argument is a
 * caller bug (`TypeError` / `RangeError`, STYLE §3.2), the same in memory and in Redis.
 */
import { shown } from '../../../platform/src/index.ts'
import type { StoredAnnouncement } from './consumer_state.ts'
import { stateDefaults } from './defaults.ts'

const EPOCH_ID_HEX = /^[0-9a-f]{16}$/

/** A device id: a non-empty string (the pipeline has checked it against the topic). */
export function assertDeviceId(deviceId: unknown): asserts deviceId is string {
  if (typeof deviceId !== 'string' || deviceId === '') {
    throw new TypeError(`deviceId: expected a non-empty string, got ${shown(deviceId)}`)
  }
}

/** A device sequence number: a safe integer ≥ 0 (the envelope's `MAX_SEQUENCE` is 2^53 − 1). */
export function assertSeq(seq: unknown): asserts seq is number {
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new RangeError(`seq: expected a safe integer ≥ 0, got ${shown(seq)}`)
  }
}

/** An epoch id: 16 lower-case hex digits. */
export function assertEpochIdHex(epochIdHex: unknown): asserts epochIdHex is string {
  if (typeof epochIdHex !== 'string' || !EPOCH_ID_HEX.test(epochIdHex)) {
    throw new RangeError(`epochIdHex: expected 16 lower-case hex digits, got ${shown(epochIdHex)}`)
  }
}

/** A stored announcement's fields. */
export function assertAnnouncement(a: StoredAnnouncement): void {
  assertDeviceId(a.deviceId)
  assertEpochIdHex(a.epochIdHex)
  if (typeof a.topic !== 'string') throw new TypeError('topic: expected a string')
  if (!(a.bytes instanceof Uint8Array)) throw new TypeError('bytes: expected a Uint8Array')
  assertTime('receivedAt', a.receivedAt)
}

/** Milliseconds since 1970 (or a duration): a safe integer ≥ 0. */
export function assertTime(name: string, ms: unknown): asserts ms is number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(`${name}: expected a safe integer ≥ 0, got ${shown(ms)}`)
  }
}

/** A budget window: a safe integer ≥ 1 ms. */
export function assertWindowMs(windowMs: unknown): asserts windowMs is number {
  if (typeof windowMs !== 'number' || !Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`windowMs: expected a safe integer ≥ 1, got ${shown(windowMs)}`)
  }
}

/** The replay window size option, checked against {@link stateDefaults}' bounds. */
export function checkWindowSize(windowSize: unknown): number {
  const { minWindowSize: min, maxWindowSize: max } = stateDefaults
  if (
    typeof windowSize !== 'number' ||
    !Number.isSafeInteger(windowSize) ||
    windowSize < min ||
    windowSize > max
  ) {
    throw new RangeError(
      `windowSize: expected an integer from ${min} to ${max}, got ${shown(windowSize)}`,
    )
  }
  return windowSize
}

/** The announcement TTL option: 0 (forever) or a safe integer of ms. */
export function checkTtlMs(ttlMs: unknown): number {
  assertTime('announcementTtlMs', ttlMs)
  return ttlMs
}
