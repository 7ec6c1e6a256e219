/**
 * A strict CBOR decoder for the envelope: deterministic encoding only (RFC 8949 §4.2.1), in one
 * pass that checks and decodes.
 *
 * Accepted: unsigned and negative integers within ±(2^53 − 1), byte strings, UTF-8 text strings,
 * arrays, maps with integer or text keys, and tags listed in `allowedTags` at the top level only.
 * Rejected: non-shortest heads, indefinite lengths, floats and simple values (false, true, null,
 * undefined included), map keys out of order or repeated, invalid UTF-8, any tag not listed,
 * trailing bytes, and anything past the per-call limits. cbor-x's decoder accepts most of these
 * (and keeps its limits in module globals), so the envelope uses this instead; cbor-x encodes.
 *
 * Byte strings come back as views into the input, not copies.
 *
 * @example
 * ```ts
 * const value = decodeCbor(bytes, { ...defaultDecodeLimits, allowedTags: [16, 96] })
 * ```
 */
import { EnvelopeLimitError, EnvelopeMalformedError } from '../errors.ts'

/** A decoded CBOR value of the envelope's subset. */
export type CborValue = number | string | Uint8Array | CborValue[] | CborMap | CborTagged
/** A decoded map; keys are COSE labels (integers or text). */
export type CborMap = Map<number | string, CborValue>
/** A tagged item (only at the top level, only for allowed tags). */
export interface CborTagged {
  readonly tag: number
  readonly value: CborValue
}

/** Per-call limits of {@link decodeCbor}. */
export interface DecodeLimits {
  /** Largest input in bytes. */
  readonly maxBytes: number
  /** Deepest nesting of arrays, maps and tags (the top item is depth 1); at most 256. */
  readonly maxDepth: number
  /** Most data items in total. */
  readonly maxItems: number
  /** Tags accepted on the top-level item; none elsewhere. */
  readonly allowedTags: readonly number[]
}

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

interface State {
  readonly buf: Uint8Array
  pos: number
  items: number
  readonly limits: DecodeLimits
}

function malformed(detail: string): never {
  throw new EnvelopeMalformedError(detail)
}

/** Reads a head's argument; `ai` is the low 5 bits of the initial byte, already consumed. */
function readArgument(s: State, major: number, ai: number): number {
  if (ai < 24) return ai
  const { buf } = s
  const at = s.pos
  switch (ai) {
    case 24: {
      if (at + 1 > buf.length) malformed('truncated head')
      const v = buf[at]!
      s.pos = at + 1
      if (v < 24) malformed(`non-shortest argument for major type ${major}`)
      return v
    }
    case 25: {
      if (at + 2 > buf.length) malformed('truncated head')
      const v = (buf[at]! << 8) | buf[at + 1]!
      s.pos = at + 2
      if (v < 0x100) malformed(`non-shortest argument for major type ${major}`)
      return v
    }
    case 26: {
      if (at + 4 > buf.length) malformed('truncated head')
      const v = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0
      s.pos = at + 4
      if (v < 0x10000) malformed(`non-shortest argument for major type ${major}`)
      return v
    }
    case 27: {
      if (at + 8 > buf.length) malformed('truncated head')
      const hi =
        ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0
      const lo =
        ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0
      s.pos = at + 8
      if (hi === 0) malformed(`non-shortest argument for major type ${major}`)
      if (hi >= 0x200000) malformed('integer argument above 2^53 - 1')
      return hi * 0x100000000 + lo
    }
    case 31:
      if (major >= 2 && major <= 5) malformed('indefinite length is not allowed')
      malformed(`indefinite length is not well-formed for major type ${major}`)
    // falls through: malformed() never returns
    default:
      malformed(`reserved additional information ${ai}`)
  }
}

function compareBytes(buf: Uint8Array, a0: number, a1: number, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0)
  for (let i = 0; i < n; i++) {
    const d = buf[a0 + i]! - buf[b0 + i]!
    if (d !== 0) return d
  }
  return a1 - a0 - (b1 - b0)
}

function readItem(s: State, depth: number): CborValue {
  if (++s.items > s.limits.maxItems) throw new EnvelopeLimitError('too many data items')
  if (s.pos >= s.buf.length) malformed('unexpected end of input')
  const initial = s.buf[s.pos++]!
  const major = initial >>> 5
  const ai = initial & 0x1f
  if (major === 7) {
    if (ai === 31) malformed('unexpected break')
    if (ai >= 28) malformed(`reserved additional information ${ai}`)
    if (ai === 24) {
      if (s.pos >= s.buf.length) malformed('truncated head')
      if (s.buf[s.pos]! < 32) malformed('simple value with a one-byte argument below 32')
    }
    malformed('floats and simple values are not allowed')
  }
  const arg = readArgument(s, major, ai)
  switch (major) {
    case 0:
      return arg
    case 1:
      if (arg === Number.MAX_SAFE_INTEGER) malformed('negative integer below -(2^53 - 1)')
      return -1 - arg
    case 2:
    case 3: {
      const end = s.pos + arg
      if (end > s.buf.length) malformed('string longer than the input')
      const view = s.buf.subarray(s.pos, end)
      s.pos = end
      if (major === 2) return view
      try {
        return textDecoder.decode(view)
      } catch {
        malformed('invalid UTF-8 in a text string')
      }
    }
    // falls through: both branches return or throw
    case 4: {
      if (depth >= s.limits.maxDepth) throw new EnvelopeLimitError('nesting too deep')
      if (arg > s.buf.length - s.pos) malformed('array longer than the input')
      const out: CborValue[] = new Array(arg)
      for (let i = 0; i < arg; i++) out[i] = readItem(s, depth + 1)
      return out
    }
    case 5: {
      if (depth >= s.limits.maxDepth) throw new EnvelopeLimitError('nesting too deep')
      if (arg > (s.buf.length - s.pos) / 2) malformed('map longer than the input')
      const out: CborMap = new Map()
      let prevStart = -1
      let prevEnd = -1
      for (let i = 0; i < arg; i++) {
        const keyStart = s.pos
        const key = readItem(s, depth + 1)
        const keyEnd = s.pos
        if (typeof key !== 'number' && typeof key !== 'string') {
          malformed('map keys must be integers or text strings')
        }
        if (prevStart >= 0 && compareBytes(s.buf, prevStart, prevEnd, keyStart, keyEnd) >= 0) {
          malformed('map keys are not in deterministic order, or repeat')
        }
        prevStart = keyStart
        prevEnd = keyEnd
        out.set(key, readItem(s, depth + 1))
      }
      return out
    }
    default: {
      // major 6: a tag
      if (depth !== 0 || !s.limits.allowedTags.includes(arg)) malformed(`tag ${arg} is not allowed`)
      if (depth + 1 >= s.limits.maxDepth) throw new EnvelopeLimitError('nesting too deep')
      return { tag: arg, value: readItem(s, depth + 1) }
    }
  }
}

/**
 * Decodes exactly one deterministic CBOR item from `bytes`.
 *
 * @throws {EnvelopeMalformedError} `ERR_ENVELOPE_MALFORMED`: not well-formed, not deterministic,
 *   or outside the accepted subset.
 * @throws {EnvelopeLimitError} `ERR_ENVELOPE_LIMIT`: past `limits`.
 * @example
 * ```ts
 * decodeCbor(Uint8Array.of(0xa1, 0x01, 0x03), defaultDecodeLimits) // Map { 1 => 3 }
 * ```
 */
export function decodeCbor(bytes: Uint8Array, limits: DecodeLimits): CborValue {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeCbor: expected Uint8Array')
  // The decoder recurses once per level: a bound keeps a deep input from exhausting the stack.
  if (!(Number.isSafeInteger(limits.maxDepth) && limits.maxDepth >= 1 && limits.maxDepth <= 256)) {
    throw new RangeError('limits.maxDepth: expected an integer in [1, 256]')
  }
  if (bytes.length > limits.maxBytes) {
    throw new EnvelopeLimitError(
      `input of ${bytes.length} bytes exceeds maxBytes ${limits.maxBytes}`,
    )
  }
  const s: State = { buf: bytes, pos: 0, items: 0, limits }
  const value = readItem(s, 0)
  if (s.pos !== bytes.length) malformed('trailing bytes after the item')
  return value
}
