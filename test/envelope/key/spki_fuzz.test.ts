import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyRejectedError, parseRecipientKey } from '../../../envelope/src/index.ts'
import { parseRsaSpki } from '../../../envelope/src/key/_spki.ts'
import { hex, readVector, toHexString } from '../../helpers/vectors.ts'
import { applyMutations, derLengthOffsets, mutationsArb } from '../_mutate.ts'

// Property: on any bytes, parseRecipientKey returns a checked key or throws a KeyRejectedError
// with a code of the public-key check; the strict DER reader alone throws only
// ERR_KEY_UNSUPPORTED. Never a TypeError, RangeError or an OpenSSL error.

/** Runs scale with SEALWIRE_FUZZ_SCALE (default 1) for a longer local search. */
const scale = Number(process.env.SEALWIRE_FUZZ_SCALE ?? 1)
const runs = (n: number) => Math.max(1, Math.round(n * scale))

const KEY_CODES = ['ERR_KEY_UNSUPPORTED', 'ERR_KEY_SIZE', 'ERR_KEY_EXPONENT']

function outcome(fn: () => unknown, codes: readonly string[]): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (!(err instanceof KeyRejectedError)) {
      throw new Error(`untyped ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err })
    }
    if (!codes.includes(err.code)) throw new Error(`unexpected code ${err.code}: ${err.message}`)
    return err.code
  }
}

interface SigFile {
  testGroups: { publicKeyDer: string }[]
}
const seeds: Uint8Array[] = [
  ...[2048, 3072, 4096].flatMap((bits) =>
    readVector<SigFile>(`wycheproof/rsa_signature_${bits}_sha256_test.json`).testGroups.map((g) =>
      hex(g.publicKeyDer),
    ),
  ),
  Uint8Array.from(
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'der',
      type: 'spki',
    }),
  ),
]

describe('SPKI parser: fuzz (fast-check), only typed errors', () => {
  it('the length walker finds the DER length fields of the seeds', () => {
    // SEQUENCE, AlgorithmIdentifier, OID, NULL, BIT STRING, RSAPublicKey, n, e.
    expect(derLengthOffsets(seeds[0]!).length).toBe(8)
  })

  it('random byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        outcome(() => parseRsaSpki(bytes), ['ERR_KEY_UNSUPPORTED'])
        outcome(() => parseRecipientKey(bytes), KEY_CODES)
      }),
      { numRuns: runs(3000) },
    )
  })

  it('random bytes under a valid-looking SPKI head', () => {
    // 30 82 01 22 30 0d 06 09 <rsaEncryption> 05 00 03 82 01 0f 00 … then random.
    const head = seeds[0]!.subarray(0, 24)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const bytes = Uint8Array.from([...head, ...tail])
        outcome(() => parseRecipientKey(bytes), KEY_CODES)
      }),
      { numRuns: runs(2000) },
    )
  })

  it('mutations of valid SPKIs: bit flips, truncations, insertions, deletions, length fields', () => {
    const seen = new Map<string, number>()
    fc.assert(
      fc.property(fc.constantFrom(...seeds), mutationsArb(3), (seed, mutations) => {
        const bytes = applyMutations(seed, mutations, derLengthOffsets)
        outcome(() => parseRsaSpki(bytes), ['ERR_KEY_UNSUPPORTED'])
        const r = outcome(() => parseRecipientKey(bytes), KEY_CODES)
        seen.set(r, (seen.get(r) ?? 0) + 1)
        if (r === 'ok') {
          // Accepted means: canonical DER that node:crypto reads as the same RSA key, pinned as is.
          const key = parseRecipientKey(bytes)
          expect(toHexString(key.spki)).toBe(toHexString(bytes))
          const parsed = createPublicKey({ key: Buffer.from(bytes), format: 'der', type: 'spki' })
          expect(parsed.asymmetricKeyDetails?.modulusLength).toBe(key.modulusBits)
          expect(parsed.asymmetricKeyDetails?.publicExponent).toBe(65537n)
        }
      }),
      { numRuns: runs(3000) },
    )
    expect(seen.get('ERR_KEY_UNSUPPORTED')).toBeGreaterThan(1000)
    expect(seen.get('ok') ?? 0).toBeGreaterThan(0)
  })
})
