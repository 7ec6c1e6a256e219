/**
 * One {@link OutputRecord} as a JSON object with exactly its fields, in the documented order
 * (`deviceId, seq, index, stream, time, clock, value, epochId, receivedAt`), its idempotency key,
 * and the shape check every sink runs before writing anything.
 */
import { shown } from '../../../platform/src/index.ts'
import type { OutputRecord } from './sink.ts'

/** The fields of a JSONL line, in their order. */
export const OUTPUT_FIELDS = Object.freeze([
  'deviceId',
  'seq',
  'index',
  'stream',
  'time',
  'clock',
  'value',
  'epochId',
  'receivedAt',
] as const)

const EPOCH_ID = /^[0-9a-f]{16}$/

/** The key a sink is idempotent by. */
export function recordKey(deviceId: string, seq: number, index: number): string {
  return `${seq}:${index}:${deviceId}`
}

/** The record's JSON text (no newline), fields in {@link OUTPUT_FIELDS} order, nothing else. */
export function recordJson(r: OutputRecord): string {
  return JSON.stringify({
    deviceId: r.deviceId,
    seq: r.seq,
    index: r.index,
    stream: r.stream,
    time: r.time,
    clock: r.clock,
    value: r.value,
    epochId: r.epochId,
    receivedAt: r.receivedAt,
  })
}

function safeUint(where: string, v: unknown, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${where}: expected an integer from 0 to ${max}, got ${shown(v)}`)
  }
}

/**
 * Checks the shape of every record of a batch (a caller bug otherwise: `TypeError` or
 * `RangeError` naming `records[i].field`). The value is checked at its top only: the pipeline's
 * values come from the envelope's record decoder, which checked them whole.
 */
export function assertOutputRecords(records: readonly OutputRecord[]): void {
  if (!Array.isArray(records)) throw new TypeError('records: expected an array')
  records.forEach((r, i) => {
    const at = `records[${i}]`
    if (typeof r !== 'object' || r === null) throw new TypeError(`${at}: expected an object`)
    if (typeof r.deviceId !== 'string' || r.deviceId === '') {
      throw new TypeError(`${at}.deviceId: expected a non-empty string`)
    }
    safeUint(`${at}.seq`, r.seq)
    safeUint(`${at}.index`, r.index, 2 ** 31 - 1)
    if (typeof r.stream !== 'string') throw new TypeError(`${at}.stream: expected a string`)
    safeUint(`${at}.time`, r.time)
    if (r.clock !== 0 && r.clock !== 1) throw new RangeError(`${at}.clock: expected 0 or 1`)
    const v = r.value as unknown
    if (v === undefined || !['string', 'number', 'boolean', 'object'].includes(typeof v)) {
      throw new TypeError(`${at}.value: expected a JSON value`)
    }
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new RangeError(`${at}.value: expected a finite number`)
    }
    if (typeof r.epochId !== 'string' || !EPOCH_ID.test(r.epochId)) {
      throw new RangeError(`${at}.epochId: expected 16 lower-case hex digits`)
    }
    safeUint(`${at}.receivedAt`, r.receivedAt)
  })
}
