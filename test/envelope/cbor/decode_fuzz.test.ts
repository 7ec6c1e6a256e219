import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  decodeCbor,
  defaultDecodeLimits,
  encodeCbor,
  encodeMetadata,
  EnvelopeError,
  parseEnvelope,
  Sealer,
} from '../../../envelope/src/index.ts'
import type { DecodeLimits } from '../../../envelope/src/index.ts'
import { hex, readVector } from '../../helpers/vectors.ts'
import { fixedRecipient } from '../_fixture.ts'
import { applyMutations, cborHeadOffsets, mutationsArb } from '../_mutate.ts'

// Property: on any input, decodeCbor returns a value or throws an EnvelopeError with one of its
// two codes; never a TypeError, RangeError or anything else (STYLE §8.3, cborg's fuzz test).
const DECODE_CODES = ['ERR_ENVELOPE_MALFORMED', 'ERR_ENVELOPE_LIMIT']
const PARSE_CODES = [...DECODE_CODES, 'ERR_ENVELOPE_INVALID', 'ERR_ENVELOPE_UNSUPPORTED_ALG']

/** Runs scale with SEALWIRE_FUZZ_SCALE (default 1) for a longer local search. */
const scale = Number(process.env.SEALWIRE_FUZZ_SCALE ?? 1)
const runs = (n: number) => Math.max(1, Math.round(n * scale))

const permissive: DecodeLimits = {
  maxBytes: 1 << 20,
  maxDepth: 256,
  maxItems: 100_000,
  allowedTags: [16, 96, 1, 24],
}

/** 'ok', or the code of a typed error; anything else fails the property with its name. */
function outcome(fn: () => unknown, codes: readonly string[]): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (!(err instanceof EnvelopeError)) {
      throw new Error(`untyped ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err })
    }
    if (!codes.includes(err.code)) throw new Error(`unexpected code ${err.code}: ${err.message}`)
    expect(err.message).toMatch(/^(CBOR decode error: |sealwire\/1: )/)
    return err.code
  }
}

// Valid seeds: both forms of real messages, announcement metadata, the RFC 8949 examples.
const sealer = new Sealer({
  wrapper: createKeyWrapper(fixedRecipient),
  deviceId: 'gw-fuzz',
  random: (n) => Uint8Array.from(randomBytes(n)),
})
let seq = 65_000
const first = sealer.seal(Uint8Array.of(1, 2, 3), () => ++seq)
const seeds: Uint8Array[] = [
  first.announcement!.bytes,
  first.message.bytes,
  sealer.seal(new Uint8Array(300), () => ++seq, 'full').message.bytes,
  encodeMetadata({ deviceId: 'gw-fuzz', firstSeq: 7, bootCount: 1, agentVersion: '0.1.0' }),
  encodeCbor([1, -1, 'a', Uint8Array.of(1), [new Map([[1, 2]])], new Map([['k', [[]]]])]),
  ...readVector<{ hex: string }[]>('cbor/appendix_a.json').map((c) => hex(c.hex)),
]

/** A CBOR value of the accepted subset, for round trips through the configured encoder. */
const cborValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -30, max: 30 }), tie('value')), {
        maxLength: 4,
        selector: ([k]) => k,
      })
      .map((entries) => new Map(entries)),
  ),
})).value

describe('decodeCbor: fuzz (fast-check), only typed errors', () => {
  it('random byte strings', () => {
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.boolean(), (bytes, strict) => {
        const r = outcome(
          () => decodeCbor(bytes, strict ? defaultDecodeLimits : permissive),
          DECODE_CODES,
        )
        seen.set(r, (seen.get(r) ?? 0) + 1)
      }),
      { numRuns: runs(3000) },
    )
    expect(seen.get('ERR_ENVELOPE_MALFORMED')).toBeGreaterThan(1000)
  })

  it('mutations of valid inputs: bit flips, truncations, insertions, deletions, length fields', () => {
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        mutationsArb(3),
        fc.boolean(),
        (seed, mutations, strict) => {
          const bytes = applyMutations(seed, mutations, cborHeadOffsets)
          const r = outcome(
            () => decodeCbor(bytes, strict ? defaultDecodeLimits : permissive),
            DECODE_CODES,
          )
          seen.set(r, (seen.get(r) ?? 0) + 1)
        },
      ),
      { numRuns: runs(4000) },
    )
    // The mutations reach both outcomes, so the property is not vacuous.
    expect(seen.get('ok')).toBeGreaterThan(50)
    expect(seen.get('ERR_ENVELOPE_MALFORMED')).toBeGreaterThan(500)
  })

  it('encoded values of the accepted subset decode to themselves, and their mutations only fail typed', () => {
    fc.assert(
      fc.property(cborValue, mutationsArb(2), (value, mutations) => {
        const bytes = encodeCbor(value)
        const decoded = outcome(() => decodeCbor(bytes, permissive), DECODE_CODES)
        // cbor-x writes map keys in insertion order: deterministic only when already sorted.
        if (decoded === 'ok') expect(encodeCbor(decodeCbor(bytes, permissive))).toEqual(bytes)
        outcome(
          () => decodeCbor(applyMutations(bytes, mutations, cborHeadOffsets), permissive),
          DECODE_CODES,
        )
      }),
      { numRuns: runs(2000) },
    )
  })

  it('parseEnvelope on mutated messages: only its four structural codes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds.slice(0, 3)), mutationsArb(3), (seed, mutations) => {
        const bytes = applyMutations(seed, mutations, cborHeadOffsets)
        outcome(() => parseEnvelope(bytes, defaultDecodeLimits), PARSE_CODES)
      }),
      { numRuns: runs(3000) },
    )
  })
})
