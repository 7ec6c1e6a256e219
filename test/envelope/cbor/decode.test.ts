import { describe, expect, it } from 'vitest'
import { decodeCbor, defaultDecodeLimits, EnvelopeError } from '../../../envelope/src/index.ts'
import { hex, readVector } from '../../helpers/vectors.ts'

const limits = { ...defaultDecodeLimits, maxItems: 100_000, maxDepth: 64, allowedTags: [] }

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof EnvelopeError) return err.code
    return `untyped ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`
  }
  return 'accepted'
}

describe('decodeCbor: cbor/fail.json (not well-formed inputs)', () => {
  const cases = readVector<{ hex: string }[]>('cbor/fail.json')

  it('has the 679 inputs the vector README lists', () => {
    expect(cases.length).toBe(679)
  })

  it('rejects every one with a typed envelope error, never a crash', () => {
    const results = cases.map((c, i) => ({
      i,
      hex: c.hex,
      code: codeOf(() => decodeCbor(hex(c.hex), limits)),
    }))
    const bad = results.filter(
      (r) => r.code !== 'ERR_ENVELOPE_MALFORMED' && r.code !== 'ERR_ENVELOPE_LIMIT',
    )
    expect(bad).toEqual([])
  })

  it('keeps the message prefix of cborg: "CBOR decode error:"', () => {
    expect(() => decodeCbor(hex('18'), limits)).toThrow(/^CBOR decode error: truncated head$/)
  })
})

describe('decodeCbor: RFC 7049 Appendix A', () => {
  const cases =
    readVector<{ hex: string; decoded?: unknown; diagnostic?: string }[]>('cbor/appendix_a.json')
  // The JSON form of a decoded value, as the vector file writes it.
  const toJson = (v: unknown): unknown =>
    v instanceof Map
      ? Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x)]))
      : Array.isArray(v)
        ? v.map(toJson)
        : v
  const policy = [
    'CBOR decode error: floats and simple values are not allowed',
    'CBOR decode error: simple value with a one-byte argument below 32',
    'CBOR decode error: indefinite length is not allowed',
    'CBOR decode error: integer argument above 2^53 - 1',
    /^CBOR decode error: tag \d+ is not allowed$/,
  ]

  it('decodes every accepted example to its documented value', () => {
    let accepted = 0
    for (const c of cases) {
      let value: unknown
      try {
        value = decodeCbor(hex(c.hex), limits)
      } catch {
        continue
      }
      accepted++
      if ('decoded' in c) expect(toJson(value), c.hex).toEqual(c.decoded)
    }
    expect(accepted).toBe(32)
  })

  it('rejects only out-of-profile items (floats, simple values, tags, indefinite lengths, big integers)', () => {
    const reasons = new Map<string, number>()
    for (const c of cases) {
      try {
        decodeCbor(hex(c.hex), limits)
      } catch (err) {
        const message = (err as Error).message
        expect(err, c.hex).toBeInstanceOf(EnvelopeError)
        expect(
          policy.some((p) => (typeof p === 'string' ? p === message : p.test(message))),
          `${c.hex}: ${message}`,
        ).toBe(true)
        reasons.set(message, (reasons.get(message) ?? 0) + 1)
      }
    }
    // f818 = simple(24): not well-formed under RFC 8949 §3.3, whatever the policy.
    expect(() => decodeCbor(hex('f818'), limits)).toThrow(
      'CBOR decode error: simple value with a one-byte argument below 32',
    )
    expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBe(cases.length - 32)
  })
})

describe('decodeCbor: deterministic encoding only (RFC 8949 §4.2.1)', () => {
  const table: [string, string, string][] = [
    ['1817', 'non-shortest uint', 'CBOR decode error: non-shortest argument for major type 0'],
    ['190017', 'non-shortest 16-bit', 'CBOR decode error: non-shortest argument for major type 0'],
    [
      '5801ff',
      'non-shortest bstr length',
      'CBOR decode error: non-shortest argument for major type 2',
    ],
    ['5fff', 'indefinite bstr', 'CBOR decode error: indefinite length is not allowed'],
    ['9fff', 'indefinite array', 'CBOR decode error: indefinite length is not allowed'],
    [
      'a2020101 01'.replace(' ', ''),
      'unsorted map keys',
      'CBOR decode error: map keys are not in deterministic order, or repeat',
    ],
    [
      'a201010101',
      'repeated map key',
      'CBOR decode error: map keys are not in deterministic order, or repeat',
    ],
    [
      'a1410101',
      'byte string map key',
      'CBOR decode error: map keys must be integers or text strings',
    ],
    ['f4', 'false', 'CBOR decode error: floats and simple values are not allowed'],
    ['f93c00', 'half float', 'CBOR decode error: floats and simple values are not allowed'],
    [
      'c1 1a514b67b0'.replace(' ', ''),
      'tag not allowed',
      'CBOR decode error: tag 1 is not allowed',
    ],
    ['0000', 'trailing bytes', 'CBOR decode error: trailing bytes after the item'],
    ['62c328', 'invalid UTF-8', 'CBOR decode error: invalid UTF-8 in a text string'],
    ['1b0020000000000000', 'above 2^53-1', 'CBOR decode error: integer argument above 2^53 - 1'],
    ['', 'empty input', 'CBOR decode error: unexpected end of input'],
  ]
  for (const [h, what, message] of table) {
    it(`rejects ${what} (${h || 'empty'})`, () => {
      let caught: unknown
      try {
        decodeCbor(hex(h), limits)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(EnvelopeError)
      expect(caught).toMatchObject({ code: 'ERR_ENVELOPE_MALFORMED', message })
    })
  }

  it('accepts sorted integer keys: positive before negative (bytewise order)', () => {
    const m = decodeCbor(hex('a3010304402028'), limits) as Map<number, unknown>
    expect([...m.keys()]).toEqual([1, 4, -1])
  })

  it('returns byte strings as views into the input, not copies', () => {
    const input = hex('43010203')
    const out = decodeCbor(input, limits) as Uint8Array
    expect(out.buffer).toBe(input.buffer)
    expect([...out]).toEqual([1, 2, 3])
  })
})

describe('decodeCbor: per-call limits', () => {
  it('refuses input above maxBytes before reading it', () => {
    expect(() => decodeCbor(new Uint8Array(100), { ...limits, maxBytes: 99 })).toThrow(
      expect.objectContaining({
        code: 'ERR_ENVELOPE_LIMIT',
        message: 'CBOR decode error: input of 100 bytes exceeds maxBytes 99',
      }),
    )
  })

  it('refuses nesting past maxDepth', () => {
    expect(() => decodeCbor(hex('818181818100'), { ...limits, maxDepth: 3 })).toThrow(
      expect.objectContaining({
        code: 'ERR_ENVELOPE_LIMIT',
        message: 'CBOR decode error: nesting too deep',
      }),
    )
    expect(decodeCbor(hex('818181818100'), { ...limits, maxDepth: 6 })).toEqual([[[[[0]]]]])
  })

  it('refuses more items than maxItems', () => {
    expect(() => decodeCbor(hex('83010203'), { ...limits, maxItems: 3 })).toThrow(
      expect.objectContaining({
        code: 'ERR_ENVELOPE_LIMIT',
        message: 'CBOR decode error: too many data items',
      }),
    )
  })

  it('does not allocate a huge array for a lying length', () => {
    expect(() => decodeCbor(hex('9affffffff00'), limits)).toThrow(
      expect.objectContaining({
        code: 'ERR_ENVELOPE_MALFORMED',
        message: 'CBOR decode error: array longer than the input',
      }),
    )
  })

  it('limits are per call: one call does not change another', () => {
    let caught: unknown
    try {
      decodeCbor(hex('83010203'), { ...limits, maxItems: 2 })
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(EnvelopeError)
    expect(caught).toMatchObject({
      code: 'ERR_ENVELOPE_LIMIT',
      message: 'CBOR decode error: too many data items',
    })
    expect(decodeCbor(hex('83010203'), limits)).toEqual([1, 2, 3])
  })

  it('throws TypeError for a non-Uint8Array input', () => {
    expect(() => decodeCbor('a0' as never, limits)).toThrow(
      new TypeError('decodeCbor: expected Uint8Array'),
    )
  })

  it('refuses a maxDepth that could exhaust the stack (RangeError, a caller bug)', () => {
    for (const maxDepth of [0, 257, Infinity, Number.NaN]) {
      expect(() => decodeCbor(hex('00'), { ...limits, maxDepth })).toThrow(
        new RangeError('limits.maxDepth: expected an integer in [1, 256]'),
      )
    }
    const deep = new Uint8Array(60_000).fill(0x81)
    expect(() => decodeCbor(deep, { ...limits, maxBytes: 60_000, maxDepth: 256 })).toThrow(
      expect.objectContaining({ code: 'ERR_ENVELOPE_LIMIT' }),
    )
  })
})
