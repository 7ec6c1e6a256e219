/**
 * The hot path of {@link decodeRecords} (internal): a decoder specialised to the records layout
 * (agent README, "Record format"), for the bytes an honest writer emits. It returns exactly what
 * the generic path (cborg, strict, then the structural check) returns for the same bytes, without
 * building a token stream, `Map`s or paths; or `undefined` for anything it is not sure of, and the
 * caller then runs the generic path, which accepts or refuses with the precise message. So it can
 * never accept what the generic path refuses, nor decode a value differently (the property test
 * `test/envelope/records/fast_decode.test.ts` holds it to that).
 *
 * Accepted here: definite lengths only; every head in its shortest form (RFC 8949 §4.2.1); an
 * array of 1 … `maxRecords` records, each the map `{1: text, 2: uint, 3: 0 / 1, 4: value}` with
 * its keys in that order; values of null, true, false, integers within ±(2^53 − 1), finite
 * floats of any width, valid UTF-8 text with no leading byte-order mark, arrays, and maps of text
 * keys in strictly increasing bytewise order of their encodings (so no key repeats), no key
 * `__proto__`, nested at most `maxDepth`; nothing after the array. Everything else (byte strings,
 * tags, other simple values, NaN, infinities, out-of-order map keys, trailing bytes, a stream or
 * time or clock out of the format…) goes to the generic path.
 *
 * @example
 * ```ts
 * const fast = decodeRecordsFast(bytes, limits)
 * const records = fast ?? decodeRecordsGeneric(bytes, limits)
 * ```
 */
import type { JsonValue, RecordLimits, TelemetryRecord } from './records.ts'

/** Returned by a reader that cannot decide: the caller falls back to the generic path. */
const GIVE_UP: unique symbol = Symbol('give up')
type Maybe<T> = T | typeof GIVE_UP

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
/**
 * `Buffer.prototype.latin1Slice` where the runtime has it (Node, Bun): an ASCII run straight
 * into a string, with no view made. Elsewhere, `TextDecoder`.
 */
const latin1Slice = (
  globalThis as { Buffer?: { prototype: { latin1Slice?: (start: number, end: number) => string } } }
).Buffer?.prototype.latin1Slice
/**
 * Short ASCII strings met lately, keyed by length and bytes (7 bits a byte: at most 6 × 7 + 3 bits,
 * an exact safe integer). A memo of a pure function: what it returns is what decoding the bytes
 * gives. Bounded: cleared when full.
 */
const shortStrings = new Map<number, string>()
const SHORT_STRINGS_KEPT = 4096
/** Scratch for reading floats without a DataView per call (filled and read synchronously). */
const scratch = new Float64Array(1)
const scratchBytes = new Uint8Array(scratch.buffer)
const scratch32 = new Float32Array(scratch.buffer, 0, 1)
/** Byte order of this machine's floats (the scratch is read natively). */
const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

class Cursor {
  readonly b: Uint8Array
  readonly limits: RecordLimits
  pos = 0
  /** Bytes of the last text string read. */
  textBytes = 0

  constructor(b: Uint8Array, limits: RecordLimits) {
    this.b = b
    this.limits = limits
  }
}

/** The argument of a head whose initial byte (additional information `ai`) was consumed; -1 if not shortest, too large or truncated. */
function readArg(c: Cursor, ai: number): number {
  if (ai < 24) return ai
  const b = c.b
  const at = c.pos
  switch (ai) {
    case 24: {
      if (at + 1 > b.length) return -1
      const v = b[at]!
      c.pos = at + 1
      return v < 24 ? -1 : v
    }
    case 25: {
      if (at + 2 > b.length) return -1
      const v = (b[at]! << 8) | b[at + 1]!
      c.pos = at + 2
      return v < 0x100 ? -1 : v
    }
    case 26: {
      if (at + 4 > b.length) return -1
      const v = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
      c.pos = at + 4
      return v < 0x10000 ? -1 : v
    }
    case 27: {
      if (at + 8 > b.length) return -1
      const hi = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0
      const lo = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0
      c.pos = at + 8
      if (hi === 0) return -1
      const v = hi * 0x100000000 + lo
      return v > MAX_SAFE ? -1 : v
    }
    default:
      return -1
  }
}

/** A text string whose head (additional information `ai`) was consumed. */
function readText(c: Cursor, ai: number): Maybe<string> {
  const n = readArg(c, ai)
  const b = c.b
  const start = c.pos
  const end = start + n
  if (n < 0 || end > b.length) return GIVE_UP
  c.pos = end
  c.textBytes = n
  if (n <= 6) {
    // Short ASCII (stream names, map keys): the same few strings in every message, so they come
    // from a small table keyed by their bytes (no string built, no native call).
    let code = n
    let i = start
    for (; i < end; i++) {
      const ch = b[i]!
      if (ch >= 0x80) break
      code = code * 128 + ch
    }
    if (i === end) {
      let s = shortStrings.get(code)
      if (s === undefined) {
        s = ''
        for (let j = start; j < end; j++) s += String.fromCharCode(b[j]!)
        if (shortStrings.size >= SHORT_STRINGS_KEPT) shortStrings.clear()
        shortStrings.set(code, s)
      }
      return s
    }
  } else if (latin1Slice !== undefined) {
    let i = start
    while (i < end && b[i]! < 0x80) i++
    if (i === end) return latin1Slice.call(b, start, end)
  }
  // A leading byte-order mark: left to the generic path, which decides what becomes of it.
  if (n >= 3 && b[start] === 0xef && b[start + 1] === 0xbb && b[start + 2] === 0xbf) return GIVE_UP
  try {
    return utf8.decode(b.subarray(start, end))
  } catch {
    return GIVE_UP
  }
}

/** IEEE 754 half precision (RFC 8949 Appendix D); NaN and infinities give up. */
function half(h: number): Maybe<number> {
  const exp = (h >> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0x1f) return GIVE_UP
  const v = exp === 0 ? mant * 2 ** -24 : (mant + 1024) * 2 ** (exp - 25)
  return h & 0x8000 ? -v : v
}

function readFloat(c: Cursor, ai: number): Maybe<number> {
  const at = c.pos
  const size = ai === 25 ? 2 : ai === 26 ? 4 : 8
  if (at + size > c.b.length) return GIVE_UP
  c.pos = at + size
  const b = c.b
  let v: Maybe<number>
  if (ai === 25) {
    v = half((b[at]! << 8) | b[at + 1]!)
  } else {
    // Big-endian on the wire; the scratch is read in this machine's order.
    for (let i = 0; i < size; i++) scratchBytes[littleEndian ? size - 1 - i : i] = b[at + i]!
    v = size === 4 ? scratch32[0]! : scratch[0]!
  }
  return v === GIVE_UP || !Number.isFinite(v) ? GIVE_UP : v
}

/** Bytewise comparison of two encoded keys (RFC 8949 §4.2.1 order). */
function compare(b: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0)
  for (let i = 0; i < n; i++) {
    const d = b[a0 + i]! - b[b0 + i]!
    if (d !== 0) return d
  }
  return a1 - a0 - (b1 - b0)
}

function readValue(c: Cursor, depth: number): Maybe<JsonValue> {
  if (depth > c.limits.maxDepth || c.pos >= c.b.length) return GIVE_UP
  const initial = c.b[c.pos++]!
  const ai = initial & 0x1f
  switch (initial >>> 5) {
    case 0: {
      const v = readArg(c, ai)
      return v < 0 ? GIVE_UP : v
    }
    case 1: {
      const v = readArg(c, ai)
      // -1 - (2^53 - 1) is past the safe range: the generic path refuses it.
      return v < 0 || v >= MAX_SAFE ? GIVE_UP : -1 - v
    }
    case 3:
      return readText(c, ai)
    case 4: {
      const n = readArg(c, ai)
      if (n < 0 || n > c.b.length - c.pos) return GIVE_UP
      const out: JsonValue[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const v = readValue(c, depth + 1)
        if (v === GIVE_UP) return GIVE_UP
        out[i] = v
      }
      return out
    }
    case 5: {
      const n = readArg(c, ai)
      if (n < 0 || n > (c.b.length - c.pos) / 2) return GIVE_UP
      const out: Record<string, JsonValue> = {}
      let prevStart = -1
      let prevEnd = -1
      for (let i = 0; i < n; i++) {
        const keyStart = c.pos
        const head = c.b[keyStart]
        if (head === undefined || head >>> 5 !== 3) return GIVE_UP
        c.pos++
        const key = readText(c, head & 0x1f)
        if (key === GIVE_UP || key === '__proto__') return GIVE_UP
        const keyEnd = c.pos
        if (prevStart >= 0 && compare(c.b, prevStart, prevEnd, keyStart, keyEnd) >= 0) {
          return GIVE_UP
        }
        prevStart = keyStart
        prevEnd = keyEnd
        const v = readValue(c, depth + 1)
        if (v === GIVE_UP) return GIVE_UP
        out[key] = v
      }
      return out
    }
    case 7:
      switch (ai) {
        case 20:
          return false
        case 21:
          return true
        case 22:
          return null
        case 25:
        case 26:
        case 27:
          return readFloat(c, ai)
        default:
          return GIVE_UP
      }
    default:
      // Byte strings and tags.
      return GIVE_UP
  }
}

function readRecord(c: Cursor): Maybe<TelemetryRecord> {
  const b = c.b
  // map(4), key 1
  if (b[c.pos] !== 0xa4 || b[c.pos + 1] !== 0x01) return GIVE_UP
  c.pos += 2
  const streamHead = b[c.pos]
  if (streamHead === undefined || streamHead >>> 5 !== 3) return GIVE_UP
  c.pos++
  const stream = readText(c, streamHead & 0x1f)
  if (stream === GIVE_UP || c.textBytes < 1 || c.textBytes > c.limits.maxStreamBytes) {
    return GIVE_UP
  }
  // key 2: time, an unsigned integer
  if (b[c.pos] !== 0x02) return GIVE_UP
  const timeHead = b[c.pos + 1]
  if (timeHead === undefined || timeHead >>> 5 !== 0) return GIVE_UP
  c.pos += 2
  const time = readArg(c, timeHead & 0x1f)
  if (time < 0) return GIVE_UP
  // key 3: clock 0 or 1; key 4: the value
  const clock = b[c.pos + 1]
  if (b[c.pos] !== 0x03 || (clock !== 0 && clock !== 1) || b[c.pos + 2] !== 0x04) return GIVE_UP
  c.pos += 3
  const value = readValue(c, 0)
  if (value === GIVE_UP) return GIVE_UP
  return { stream, time, clock, value }
}

/**
 * Decodes the records plaintext when it is in the layout above; `undefined` otherwise (then run
 * the generic path).
 *
 * @example
 * ```ts
 * decodeRecordsFast(Uint8Array.of(0x81, 0xa4, 1, 0x61, 0x73, 2, 0, 3, 1, 4, 0xf6), defaultRecordLimits)
 * // [{ stream: 's', time: 0, clock: 1, value: null }]
 * ```
 */
export function decodeRecordsFast(
  bytes: Uint8Array,
  limits: RecordLimits,
): TelemetryRecord[] | undefined {
  const c = new Cursor(bytes, limits)
  const initial = bytes[0]
  if (initial === undefined || initial >>> 5 !== 4) return undefined
  c.pos = 1
  const n = readArg(c, initial & 0x1f)
  if (n < 1 || n > limits.maxRecords || n > bytes.length) return undefined
  const out: TelemetryRecord[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const r = readRecord(c)
    if (r === GIVE_UP) return undefined
    out[i] = r
  }
  return c.pos === bytes.length ? out : undefined
}
