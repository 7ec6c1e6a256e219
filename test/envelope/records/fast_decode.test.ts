/**
 * The records decoder's specialised path against the generic one (cborg): on every input it
 * either gives up (the generic path then decides) or returns exactly what the generic path
 * returns. Property tests over encoded records and over mutations of them, and the cases where
 * it must give up.
 */
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeRecordsFast } from '../../../envelope/src/records/_fast_decode.ts'
import type { TelemetryRecord } from '../../../envelope/src/records/records.ts'
import {
  decodeRecords,
  decodeRecordsGeneric,
  defaultRecordLimits,
  encodeRecords,
} from '../../../envelope/src/records/records.ts'
import { hex } from '../../helpers/index.ts'

const limits = defaultRecordLimits

/** The generic path's answer: the records, or the error's message. */
function generic(bytes: Uint8Array): TelemetryRecord[] | string {
  try {
    return decodeRecordsGeneric(bytes, limits)
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`
  }
}

/** Holds the fast path to the generic one on `bytes`; true when the fast path decided. */
function agrees(bytes: Uint8Array): boolean {
  const fast = decodeRecordsFast(bytes, limits)
  if (fast === undefined) return false
  // isDeepStrictEqual tells -0 from 0 and checks prototypes.
  expect(isDeepStrictEqual(fast, generic(bytes)), Buffer.from(bytes).toString('hex')).toBe(true)
  return true
}

const json = fc.jsonValue({ maxDepth: 5 })
const floats = fc.double({ noNaN: true, noDefaultInfinity: true })
const texts = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 300 }),
)
const value = fc.oneof(
  texts,
  fc.dictionary(texts, texts, { maxKeys: 4 }),
  json,
  floats,
  fc.array(floats, { maxLength: 4 }),
  fc.dictionary(fc.string(), floats),
)
const records = fc.array(
  fc.record({
    stream: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
    time: fc.maxSafeNat(),
    clock: fc.constantFrom(0 as const, 1 as const),
    value,
  }),
  { minLength: 1, maxLength: 6 },
)

function encodable(rs: readonly unknown[]): Uint8Array | undefined {
  try {
    return encodeRecords(JSON.parse(JSON.stringify(rs)) as TelemetryRecord[])
  } catch {
    return undefined // a stream over 128 bytes
  }
}

describe('records: the specialised decoder', () => {
  it('decodes whatever encodeRecords writes, exactly as the generic path', () => {
    let decided = 0
    fc.assert(
      fc.property(records, (rs) => {
        const bytes = encodable(rs)
        if (bytes !== undefined && agrees(bytes)) decided++
      }),
      { numRuns: 1_000 },
    )
    // Only streams with a byte-order mark in front give up on an honest writer's bytes.
    expect(decided).toBeGreaterThan(950)
  })

  it('never disagrees with the generic path on mutated bytes', () => {
    fc.assert(
      fc.property(
        records,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.integer({ min: 0, max: 255 }),
            fc.constantFrom('set', 'insert', 'delete'),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (rs, edits) => {
          const bytes = encodable(rs)
          if (bytes === undefined) return
          const b = [...bytes]
          for (const [at, byte, op] of edits) {
            const i = at % (b.length + 1)
            if (op === 'set' && i < b.length) b[i] = byte
            else if (op === 'insert') b.splice(i, 0, byte)
            else if (op === 'delete' && b.length > 1) b.splice(i % b.length, 1)
          }
          agrees(Uint8Array.from(b))
        },
      ),
      { numRuns: 3_000 },
    )
  })

  it('never disagrees with the generic path on random bytes behind a record prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (tail) => {
        agrees(Uint8Array.from([...hex('81a40161730200030004'), ...tail]))
      }),
      { numRuns: 3_000 },
    )
  })

  it('decodes the documented examples', () => {
    const two = hex(
      '82a4016474656d70021b0000018bcfe56800030004f94d60a40164646f6f72021b0000018bcfe568fa030104a2616e22646f70656ef5',
    )
    expect(decodeRecordsFast(two, limits)).toEqual([
      { stream: 'temp', time: 1_700_000_000_000, clock: 0, value: 21.5 },
      { stream: 'door', time: 1_700_000_000_250, clock: 1, value: { n: -3, open: true } },
    ])
    expect(agrees(two)).toBe(true)
    expect(agrees(hex('81a40161730200030104f6'))).toBe(true)
    // Float widths: 100000.5 single, 0.1 double, -0 half.
    for (const v of [
      'fa47c35040',
      'fb3fb999999999999a',
      'fbc0934a4000000000',
      'fac7c35040',
      'f98000',
      'f90001',
      'f97bff',
      '6c68c3a96c6c6f20776f726c64', // "héllo world"
      '6b6e6f7465206e6f74652021', // "note note !" (11 ASCII bytes)
    ]) {
      expect(agrees(hex(`81a40161730200030004${v}`)), v).toBe(true)
    }
    expect(
      Object.is(decodeRecordsFast(hex('81a40161730200030004f98000'), limits)![0]!.value, -0),
    ).toBe(true)
  })

  it('tells short keys apart by length and bytes (the short-string table)', () => {
    // {"": 1, "\u0000": 2, "a": 3, "b": 4, "\u0000a": 5, "a\u0000": 6, "aa": 7, "zzzzzz": 8}
    const bytes = hex(
      '81a40161730200030004a8600161000261610361620462006105626100066261610766' + '7a7a7a7a7a7a08',
    )
    expect(agrees(bytes)).toBe(true)
    expect(Object.entries(decodeRecordsFast(bytes, limits)![0]!.value as object)).toEqual([
      ['', 1],
      ['\u0000', 2],
      ['a', 3],
      ['b', 4],
      ['\u0000a', 5],
      ['a\u0000', 6],
      ['aa', 7],
      ['zzzzzz', 8],
    ])
  })

  it('gives up, and decodeRecords answers as the generic path, off the layout', () => {
    const cases = [
      '81a4016173020003000418 05', // non-shortest integer
      '81a40161730200030004f7', // undefined
      '81a40161730200030004f97c00', // Infinity
      '81a40161730200030004f97e00', // NaN
      '81a40161730200030004c101', // a tag
      '81a4016173020003000441 00', // a byte string
      '81a4016173020003000401 00', // trailing bytes
      '81a40161730200030004a2616201616101', // map keys out of order: the generic path accepts
      '81a40161730200030004a2616101616102', // a repeated key
      '81a40161730200030004a1695f5f70726f746f5f5f01', // "__proto__", kept as data by the generic path
      '81a40163efbbbf0200030004f6', // a stream behind a byte-order mark
      '81a40161730200030204f6', // clock 2
      '81a401617302fb000000000000000003000401', // time as a float
      '81a40160020003000401', // an empty stream
      '81a40162c3280200030004f6', // invalid UTF-8
      '81a40161730200030004 62c080', // an overlong encoding
      '81a40161730200030004 63eda080', // a UTF-16 surrogate
      '81a40161730200030004 64f4908080', // past U+10FFFF
      '81a40161730200030004 6a61616161616161616180', // a lone continuation byte after ASCII
      '81a40161730200030004 6a6161616161616161e282', // a truncated sequence
      '81a401617302000300043b001fffffffffffff', // -(2^53): past the safe range
      '9f a40161730200030004f6 ff', // indefinite array
      '80', // no record
    ]
    for (const h of cases) {
      const bytes = hex(h.replace(/ /g, ''))
      expect(decodeRecordsFast(bytes, limits), h).toBeUndefined()
      let viaPublic: unknown
      try {
        viaPublic = decodeRecords(bytes)
      } catch (err) {
        viaPublic = `${(err as { code?: string }).code}: ${(err as Error).message}`
      }
      expect(viaPublic, h).toEqual(generic(bytes))
    }
  })

  it('gives up past the depth limit, which the generic path refuses', () => {
    let deep = 'f6'
    for (let i = 0; i < 33; i++) deep = `81${deep}`
    const bytes = hex(`81a40161730200030004${deep}`)
    expect(decodeRecordsFast(bytes, limits)).toBeUndefined()
    expect(generic(bytes)).toMatch(/^ERR_RECORDS_INVALID: record 0: value.*nested deeper/)
  })
})
