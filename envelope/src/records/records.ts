/**
 * The plaintext of a `sealwire/1` data message: a deterministic CBOR (RFC 8949 §4.2.1) **array of
 * records**, each a map `{1: stream (tstr), 2: time (uint, ms since 1970), 3: clock (0 = synced,
 * 1 = not yet synced), 4: value}`, where the value is the submitted JSON value as CBOR (objects as
 * maps with text keys, arrays, text, numbers — integers as CBOR integers, others as the shortest
 * float that keeps the value —, true, false, null). The agent's README is the normative text.
 *
 * Encoding is cborg's `rfc8949EncodeOptions` (map keys in bytewise order of their encodings,
 * shortest float); decoding is cborg with strict integers, no indefinite lengths, no tags, no
 * undefined, no duplicate keys, then a structural check. Both live here, beside the envelope,
 * because the agent writes this format and the consumer reads it, and neither may import the
 * other.
 *
 * @example
 * ```ts
 * const bytes = encodeRecords([{ stream: 'temp', time: 1_700_000_000_000, clock: 0, value: 21.5 }])
 * decodeRecords(bytes)[0].value // 21.5
 * ```
 */
import { decode, encode, rfc8949EncodeOptions } from 'cborg'
import { EnvelopeError } from '../errors.ts'
import { decodeRecordsFast } from './_fast_decode.ts'

/** A JSON value, as submitted. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/** Clock state of a record's time: 0 synced, 1 not yet synced (a board without RTC). */
export type ClockState = 0 | 1

/** One reading, as sealed. */
export interface TelemetryRecord {
  readonly stream: string
  /** Milliseconds since 1970. */
  readonly time: number
  readonly clock: ClockState
  readonly value: JsonValue
}

/** Limits of {@link decodeRecords} and {@link checkJsonValue}. */
export interface RecordLimits {
  /** Records in one message. */
  readonly maxRecords: number
  /** Nesting depth of a value. */
  readonly maxDepth: number
  /** UTF-8 bytes of a stream name. */
  readonly maxStreamBytes: number
}

/** The defaults of {@link RecordLimits}. */
export const defaultRecordLimits: RecordLimits = Object.freeze({
  maxRecords: 10_000,
  maxDepth: 32,
  maxStreamBytes: 128,
})

/** Codes of {@link RecordsError}. */
export type RecordsErrorCode = 'ERR_RECORDS_INVALID'

/**
 * A record or value is not of the format: raised by the encoder for a bad reading (the agent
 * answers 400) and by the decoder for an authenticated plaintext that is not records (the
 * consumer dead-letters it).
 *
 * @example
 * ```ts
 * // ERR_RECORDS_INVALID: record 0: stream must be 1 to 128 UTF-8 bytes
 * ```
 */
export class RecordsError extends EnvelopeError<RecordsErrorCode> {
  static readonly code = 'ERR_RECORDS_INVALID' as const
  constructor(message: string, options?: { cause?: unknown }) {
    super(RecordsError.code, message, options)
  }
}

const utf8 = new TextEncoder()

/**
 * Checks that `value` is a JSON value within `maxDepth` (finite numbers only; plain objects and
 * arrays), and returns it typed.
 *
 * @throws {RecordsError} `ERR_RECORDS_INVALID` naming the path.
 * @example
 * ```ts
 * checkJsonValue({ t: 21.5 }, 'value') // { t: 21.5 }
 * ```
 */
export function checkJsonValue(
  value: unknown,
  where: string,
  maxDepth: number = defaultRecordLimits.maxDepth,
): JsonValue {
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > maxDepth) throw new RecordsError(`${path}: nested deeper than ${maxDepth}`)
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RecordsError(`${path}: not a finite number`)
      return
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${path}[${i}]`, depth + 1))
      return
    }
    if (typeof v === 'object' && v instanceof Map === false) {
      const proto = Object.getPrototypeOf(v) as unknown
      if (proto !== Object.prototype && proto !== null) {
        throw new RecordsError(`${path}: not a JSON object`)
      }
      for (const [k, item] of Object.entries(v)) visit(item, `${path}.${k}`, depth + 1)
      return
    }
    throw new RecordsError(`${path}: not a JSON value (${typeof v})`)
  }
  visit(value, where, 0)
  return value as JsonValue
}

function checkRecord(r: TelemetryRecord, i: number, limits: RecordLimits): void {
  const bytes = typeof r.stream === 'string' ? utf8.encode(r.stream).length : 0
  if (bytes < 1 || bytes > limits.maxStreamBytes) {
    throw new RecordsError(`record ${i}: stream must be 1 to ${limits.maxStreamBytes} UTF-8 bytes`)
  }
  if (!Number.isSafeInteger(r.time) || r.time < 0) {
    throw new RecordsError(`record ${i}: time must be an integer ≥ 0 (ms since 1970)`)
  }
  if (r.clock !== 0 && r.clock !== 1) throw new RecordsError(`record ${i}: clock must be 0 or 1`)
}

/**
 * Encodes records as the deterministic CBOR plaintext of one data message.
 *
 * @throws {RecordsError} `ERR_RECORDS_INVALID` for a record out of the format.
 * @example
 * ```ts
 * encodeRecords([{ stream: 's', time: 0, clock: 1, value: null }]) // 81 a4 01 61 73 02 00 03 01 04 f6
 * ```
 */
export function encodeRecords(
  records: readonly TelemetryRecord[],
  limits: RecordLimits = defaultRecordLimits,
): Uint8Array {
  if (records.length < 1 || records.length > limits.maxRecords) {
    throw new RecordsError(`a message holds 1 to ${limits.maxRecords} records`)
  }
  const items = records.map((r, i) => {
    checkRecord(r, i, limits)
    checkJsonValue(r.value, `record ${i}: value`, limits.maxDepth)
    return new Map<number, unknown>([
      [1, r.stream],
      [2, r.time],
      [3, r.clock],
      [4, r.value],
    ])
  })
  return encode(items, rfc8949EncodeOptions)
}

function toJson(v: unknown, path: string, depth: number, limits: RecordLimits): JsonValue {
  if (depth > limits.maxDepth) throw new RecordsError(`${path}: nested deeper than allowed`)
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RecordsError(`${path}: not a finite number`)
    return v
  }
  if (Array.isArray(v)) return v.map((item, i) => toJson(item, `${path}[${i}]`, depth + 1, limits))
  if (v instanceof Map) {
    const entries: [string, JsonValue][] = []
    for (const [k, item] of v) {
      if (typeof k !== 'string') throw new RecordsError(`${path}: a map key is not text`)
      entries.push([k, toJson(item, `${path}.${k}`, depth + 1, limits)])
    }
    // fromEntries defines properties, so a "__proto__" key stays data.
    return Object.fromEntries(entries)
  }
  throw new RecordsError(`${path}: not a JSON value`)
}

/**
 * Decodes the plaintext of a data message into its records, checking the format. The layout an
 * honest writer emits decodes on a specialised path (`_fast_decode.ts`); anything else goes
 * through {@link decodeRecordsGeneric}, which gives the same result or the precise error.
 *
 * @throws {RecordsError} `ERR_RECORDS_INVALID` for anything else.
 * @example
 * ```ts
 * decodeRecords(opened.plaintext).map((r) => r.stream)
 * ```
 */
export function decodeRecords(
  bytes: Uint8Array,
  limits: RecordLimits = defaultRecordLimits,
): TelemetryRecord[] {
  if (bytes instanceof Uint8Array) {
    const fast = decodeRecordsFast(bytes, limits)
    if (fast !== undefined) return fast
  }
  return decodeRecordsGeneric(bytes, limits)
}

/**
 * {@link decodeRecords} without the specialised path: cborg (strict integers, no indefinite
 * lengths, no tags, no undefined, no duplicate keys), then the structural check. Exported for
 * the tests that hold both paths to one result.
 *
 * @throws {RecordsError} `ERR_RECORDS_INVALID`.
 * @example
 * ```ts
 * decodeRecordsGeneric(bytes) // deep-equals decodeRecords(bytes)
 * ```
 */
export function decodeRecordsGeneric(
  bytes: Uint8Array,
  limits: RecordLimits = defaultRecordLimits,
): TelemetryRecord[] {
  let decoded: unknown
  try {
    decoded = decode(bytes, {
      useMaps: true,
      strict: true,
      rejectDuplicateMapKeys: true,
      allowIndefinite: false,
      allowUndefined: false,
      allowInfinity: false,
      allowNaN: false,
      allowBigInt: false,
      tags: [],
    })
  } catch (err) {
    throw new RecordsError(`records: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    })
  }
  if (!Array.isArray(decoded) || decoded.length < 1 || decoded.length > limits.maxRecords) {
    throw new RecordsError(`records: expected an array of 1 to ${limits.maxRecords} records`)
  }
  return decoded.map((item: unknown, i): TelemetryRecord => {
    if (!(item instanceof Map) || item.size !== 4 || ![1, 2, 3, 4].every((k) => item.has(k))) {
      throw new RecordsError(`record ${i}: expected a map with keys 1, 2, 3 and 4`)
    }
    const record = {
      stream: item.get(1) as string,
      time: item.get(2) as number,
      clock: item.get(3) as ClockState,
      value: null,
    }
    if (typeof record.stream !== 'string') throw new RecordsError(`record ${i}: stream is not text`)
    checkRecord(record, i, limits)
    return { ...record, value: toJson(item.get(4), `record ${i}: value`, 0, limits) }
  })
}
