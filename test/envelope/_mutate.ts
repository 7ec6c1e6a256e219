/**
 * Mutations of valid inputs for the fuzz tests (fast-check): bit flips, truncations, insertions,
 * deletions, byte replacements, and changes of length fields at the offsets a format walker
 * reports (CBOR heads, DER lengths).
 */
import fc from 'fast-check'

/** One edit. Positions are taken modulo the input's length when applied. */
export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly n: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  /** At the `which`-th length field: add `delta`, or set the byte to `value` when given. */
  | {
      readonly kind: 'length'
      readonly which: number
      readonly delta: number
      readonly value?: number
    }

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record(
    {
      kind: fc.constant('length' as const),
      which: fc.nat(),
      delta: fc.integer({ min: -3, max: 3 }),
      value: fc.nat(255),
    },
    { requiredKeys: ['kind', 'which', 'delta'] },
  ),
)

/** Up to `max` mutations in a row. */
export const mutationsArb = (max = 3): fc.Arbitrary<Mutation[]> =>
  fc.array(mutationArb, { minLength: 1, maxLength: max })

/**
 * Applies `mutations` to a copy of `input`. `lengthOffsets` gives the byte offsets of the length
 * fields of the current bytes (re-walked after each edit; an input that no longer walks has none,
 * and a `length` edit then falls back to a random byte).
 */
export function applyMutations(
  input: Uint8Array,
  mutations: readonly Mutation[],
  lengthOffsets: (bytes: Uint8Array) => number[],
): Uint8Array {
  let b = Uint8Array.from(input)
  for (const m of mutations) {
    const len = b.length
    switch (m.kind) {
      case 'flip':
        if (len) b[m.at % len]! ^= 1 << m.bit
        break
      case 'truncate':
        b = b.slice(0, len ? m.at % len : 0)
        break
      case 'insert': {
        const at = m.at % (len + 1)
        b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)])
        break
      }
      case 'delete': {
        const at = len ? m.at % len : 0
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.n)])
        break
      }
      case 'set':
        if (len) b[m.at % len] = m.value
        break
      case 'length': {
        const offsets = lengthOffsets(b)
        const at = offsets.length ? offsets[m.which % offsets.length]! : len ? m.which % len : -1
        if (at < 0) break
        b[at] = m.value !== undefined ? m.value : (b[at]! + m.delta + 256) & 0xff
        break
      }
    }
  }
  return b
}

/** Offsets of the heads' initial bytes of definite-length CBOR, as far as it is well-formed. */
export function cborHeadOffsets(b: Uint8Array): number[] {
  const out: number[] = []
  let pos = 0
  const item = (depth: number): void => {
    if (depth > 32 || pos >= b.length) throw new Error('stop')
    out.push(pos)
    const ib = b[pos++]!
    const major = ib >> 5
    const ai = ib & 31
    let arg: number
    if (ai < 24) arg = ai
    else if (ai <= 27) {
      const n = 1 << (ai - 24)
      if (pos + n > b.length) throw new Error('stop')
      arg = 0
      for (let i = 0; i < n; i++) arg = arg * 256 + b[pos + i]!
      pos += n
    } else throw new Error('stop')
    if (major === 2 || major === 3) pos += arg
    else if (major === 4) for (let i = 0; i < arg; i++) item(depth + 1)
    else if (major === 5) for (let i = 0; i < 2 * arg; i++) item(depth + 1)
    else if (major === 6) item(depth + 1)
  }
  try {
    item(0)
  } catch {
    // Not well-formed any more: the heads found so far are still heads.
  }
  return out
}

/** Offsets of every length byte (the first after the tag) of DER TLVs, into SEQUENCEs and BIT STRINGs. */
export function derLengthOffsets(b: Uint8Array): number[] {
  const out: number[] = []
  const walk = (start: number, end: number, depth: number): void => {
    let pos = start
    while (pos + 2 <= end && depth < 8) {
      const tag = b[pos]!
      out.push(pos + 1)
      let len = b[pos + 1]!
      let body = pos + 2
      if (len & 0x80) {
        const n = len & 0x7f
        if (n === 0 || n > 4 || body + n > end) return
        len = 0
        for (let i = 0; i < n; i++) len = len * 256 + b[body + i]!
        body += n
      }
      if (body + len > end) return
      if (tag === 0x30) walk(body, body + len, depth + 1)
      else if (tag === 0x03 && len > 1) walk(body + 1, body + len, depth + 1)
      pos = body + len
    }
  }
  walk(0, b.length, 0)
  return out
}
