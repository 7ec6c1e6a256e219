/**
 * The record plaintext of data messages: exact deterministic bytes, round trips, refusals.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { TelemetryRecord } from '../../../envelope/src/records/records.ts'
import {
  RecordsError,
  checkJsonValue,
  decodeRecords,
  encodeRecords,
} from '../../../envelope/src/records/records.ts'
import { caught, hex, toHexString } from '../../helpers/index.ts'

describe('encodeRecords', () => {
  it('writes the documented example bytes', () => {
    const bytes = encodeRecords([
      {
        stream: 'temp',
        time: 1_700_000_000_000,
        clock: 0,
        value: { b: 1.5, aa: [true, null], a: 'x' },
      },
    ])
    // [ {1: "temp", 2: 1700000000000, 3: 0, 4: {"a": "x", "b": 1.5, "aa": [true, null]}} ]
    expect(toHexString(bytes)).toBe(
      '81a4016474656d70021b0000018bcfe56800030004a3616161786162f93e0062616182f5f6',
    )
  })

  it('sorts value map keys bytewise and uses the shortest float', () => {
    const a = encodeRecords([
      { stream: 's', time: 0, clock: 1, value: { zz: 0.1, y: 65504, x: 0.5 } },
    ])
    const b = encodeRecords([
      { stream: 's', time: 0, clock: 1, value: { x: 0.5, zz: 0.1, y: 65504 } },
    ])
    expect(toHexString(a)).toBe(toHexString(b))
    expect(toHexString(a)).toContain('6178f93800') // "x": 0.5 as float16
    expect(toHexString(a)).toContain('617919ffe0') // "y": 65504 as an integer
    expect(toHexString(a)).toContain('627a7afb3fb999999999999a') // "zz": 0.1 as float64
  })

  it('refuses bad records with ERR_RECORDS_INVALID and a path', async () => {
    const base: TelemetryRecord = { stream: 's', time: 0, clock: 0, value: 1 }
    const cases: [TelemetryRecord[], string][] = [
      [[], 'a message holds 1 to 10000 records'],
      [[{ ...base, stream: '' }], 'record 0: stream must be 1 to 128 UTF-8 bytes'],
      [[{ ...base, stream: 'é'.repeat(65) }], 'record 0: stream must be 1 to 128 UTF-8 bytes'],
      [[base, { ...base, time: -1 }], 'record 1: time must be an integer ≥ 0 (ms since 1970)'],
      [[{ ...base, time: 1.5 }], 'record 0: time must be an integer ≥ 0 (ms since 1970)'],
      [[{ ...base, clock: 2 as 0 }], 'record 0: clock must be 0 or 1'],
      [[{ ...base, value: { a: [Number.NaN] } }], 'record 0: value.a[0]: not a finite number'],
      [[{ ...base, value: new Date() as never }], 'record 0: value: not a JSON object'],
    ]
    for (const [records, message] of cases) {
      const err = await caught(() => encodeRecords(records))
      expect(err, message).toBeInstanceOf(RecordsError)
      expect(err).toMatchObject({ code: 'ERR_RECORDS_INVALID', message })
    }
  })

  it('refuses a value nested deeper than the limit', async () => {
    let deep: unknown = 1
    for (let i = 0; i < 33; i++) deep = [deep]
    expect((await caught(() => checkJsonValue(deep, 'value'))).message).toMatch(
      /nested deeper than 32$/,
    )
  })
})

describe('decodeRecords', () => {
  it('round-trips any JSON values', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stream: fc.string({ minLength: 1, maxLength: 20 }),
            time: fc.nat(),
            clock: fc.constantFrom(0 as const, 1 as const),
            value: fc.jsonValue({ maxDepth: 4 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (records) => {
          const json = JSON.parse(JSON.stringify(records)) as TelemetryRecord[]
          expect(decodeRecords(encodeRecords(json))).toEqual(json)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps a "__proto__" key as data', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>
    const [r] = decodeRecords(
      encodeRecords([{ stream: 's', time: 0, clock: 0, value: value as never }]),
    )
    expect(Object.getPrototypeOf(r!.value)).toBe(Object.prototype)
    expect(Object.keys(r!.value as object)).toEqual(['__proto__'])
  })

  it('refuses what is not records, with one code', async () => {
    const cases: [string, RegExp][] = [
      ['a0', /^records: expected an array of 1 to 10000 records$/],
      ['80', /^records: expected an array of 1 to 10000 records$/],
      ['81a3016173020003 00', /^record 0: expected a map with keys 1, 2, 3 and 4$/],
      ['81a40101020003000401', /^record 0: stream is not text$/],
      ['81a4016173023903e703000401', /^record 0: time must be an integer/],
      ['81a40161730200030004a1010a', /^record 0: value: a map key is not text$/],
      ['81a40161730200030004c101', /^records: CBOR decode error: tag not supported/],
      ['81a4016173020003000418 05', /^records: CBOR decode error: integer encoded in more bytes/],
      ['81a40161730200030004f7', /^records: CBOR decode error: undefined/],
      ['81a40161730200030004f97c00', /^records: CBOR decode error: .*Infinity/],
      ['81a401617301000300040100', /^records: CBOR decode error: found repeat map key "1"$/],
      ['81a4016173020003000401 00', /^records: CBOR decode error: too many terminals/],
    ]
    for (const [h, message] of cases) {
      const err = await caught(() => decodeRecords(hex(h.replace(/ /g, ''))))
      expect(err, h).toBeInstanceOf(RecordsError)
      expect(err.code).toBe('ERR_RECORDS_INVALID')
      expect(err.message, h).toMatch(message)
    }
  })
})
