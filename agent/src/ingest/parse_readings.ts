/**
 * Parses a request body of readings: a JSON object (one reading), a JSON array of readings, or
 * NDJSON (one reading per line; blank lines ignored). Each reading is
 * `{"stream": "<name>", "value": <any JSON>, "time": <ms since 1970, optional>}` and nothing
 * else. All or nothing: the first bad reading refuses the whole request, naming its line (NDJSON)
 * or index (array) and the reason.
 *
 * @example
 * ```ts
 * parseReadings('{"stream":"temp","value":21.5}') // [{ stream: 'temp', value: 21.5 }]
 * ```
 */
import type { JsonValue } from '../../../envelope/src/index.ts'
import { checkJsonValue, RecordsError } from '../../../envelope/src/index.ts'
import {
  CodedError,
  JsonInvalidError,
  parseStrictJson,
  shown,
} from '../../../platform/src/index.ts'

/** One submitted reading. */
export interface Reading {
  readonly stream: string
  readonly value: JsonValue
  /** Milliseconds since 1970, when the sender knows better than the agent's clock. */
  readonly time?: number
}

/** Codes of {@link ReadingError}. */
export type ReadingErrorCode = 'ERR_READING_INVALID'

/**
 * A reading (or the body holding it) is not acceptable. `where` is `line N` (NDJSON),
 * `index N` (array) or `body`.
 *
 * @example
 * ```ts
 * // ERR_READING_INVALID: line 3: "stream" must be a string of 1 to 128 UTF-8 bytes
 * ```
 */
export class ReadingError extends CodedError<ReadingErrorCode> {
  static readonly code = 'ERR_READING_INVALID' as const
  readonly where: string
  constructor(where: string, why: string, options?: { cause?: unknown }) {
    super('ERR_READING_INVALID', `${where}: ${why}`, options)
    this.where = where
  }
}

const KEYS = new Set(['stream', 'value', 'time'])
const utf8 = new TextEncoder()
/** Longest stream name, in UTF-8 bytes (the record format's limit). */
const MAX_STREAM_BYTES = 128

/**
 * Checks one parsed reading.
 *
 * @throws {ReadingError} `ERR_READING_INVALID`.
 */
export function checkReading(raw: unknown, where: string): Reading {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ReadingError(where, 'a reading is a JSON object {"stream", "value", "time"?}')
  }
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw new ReadingError(where, `unknown field ${shown(key)}`)
  }
  const r = raw as { stream?: unknown; value?: unknown; time?: unknown }
  if (
    typeof r.stream !== 'string' ||
    r.stream === '' ||
    utf8.encode(r.stream).length > MAX_STREAM_BYTES
  ) {
    throw new ReadingError(
      where,
      `"stream" must be a string of 1 to ${MAX_STREAM_BYTES} UTF-8 bytes`,
    )
  }
  if (!('value' in r)) throw new ReadingError(where, '"value" is missing')
  let value: JsonValue
  try {
    value = checkJsonValue(r.value, '"value"')
  } catch (err) {
    if (err instanceof RecordsError) throw new ReadingError(where, err.message, { cause: err })
    throw err
  }
  if (r.time !== undefined) {
    if (typeof r.time !== 'number' || !Number.isSafeInteger(r.time) || r.time < 0) {
      throw new ReadingError(where, '"time" must be an integer ≥ 0 (ms since 1970)')
    }
    return { stream: r.stream, value, time: r.time }
  }
  return { stream: r.stream, value }
}

function parseJson(text: string, where: string): unknown {
  try {
    return parseStrictJson(text)
  } catch (err) {
    if (err instanceof JsonInvalidError) throw new ReadingError(where, `not JSON: ${err.message}`)
    throw err
  }
}

/**
 * Parses a whole body. `ndjson` forces line mode; otherwise a body whose first non-blank
 * character is `[` is an array, a body with one JSON value is one reading, and anything with
 * several lines of values is NDJSON.
 *
 * @throws {ReadingError} `ERR_READING_INVALID` for the first bad reading; nothing is returned.
 */
export function parseReadings(
  text: string,
  options: { ndjson?: boolean; maxReadings?: number } = {},
): Reading[] {
  const max = options.maxReadings ?? 100_000
  const trimmed = text.trim()
  if (trimmed === '') throw new ReadingError('body', 'no readings')
  const lines = trimmed.split('\n')
  const ndjson =
    options.ndjson === true || (trimmed[0] === '{' && lines.length > 1 && isNdjson(lines))
  let readings: Reading[]
  if (ndjson) {
    readings = []
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return
      if (readings.length >= max) throw new ReadingError('body', `more than ${max} readings`)
      readings.push(checkReading(parseJson(line, `line ${i + 1}`), `line ${i + 1}`))
    })
  } else {
    const value = parseJson(trimmed, 'body')
    if (Array.isArray(value)) {
      if (value.length === 0) throw new ReadingError('body', 'no readings')
      if (value.length > max) throw new ReadingError('body', `more than ${max} readings`)
      readings = value.map((v: unknown, i) => checkReading(v, `index ${i}`))
    } else {
      readings = [checkReading(value, 'body')]
    }
  }
  if (readings.length === 0) throw new ReadingError('body', 'no readings')
  return readings
}

/** True when every non-blank line parses alone: NDJSON rather than one pretty-printed object. */
function isNdjson(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '')!
  try {
    JSON.parse(first)
    return true
  } catch {
    return false
  }
}
