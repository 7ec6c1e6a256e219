/**
 * The key checks on their own: GetPublicKey responses a real KMS never returns (crafted objects),
 * DescribeKey metadata, and the Wycheproof keys that a pinning policy must refuse. Every refusal is
 * the envelope's KeyRejectedError. (Moved from test/provisioning/key_check.test.ts.)
 */
import { createPublicKey } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyRejectedError } from '../../envelope/src/index.ts'
import type { RecipientKey } from '../../envelope/src/index.ts'
import {
  checkEncryptionAlgorithms,
  checkKeyMetadata,
  checkKeySpec,
  checkKeyUsage,
  checkPublicKeyResponse,
  isKeyArn,
  isRsaKeySpec,
  RSA_KEY_SPECS,
} from '../../kms-client/src/index.ts'
import {
  hex,
  publicKeyResponse,
  rsaSpki,
  sha256Hex,
  TEST_ARN,
  vectorsDir as VECTORS,
} from './_helpers.ts'

function refusal(fn: () => unknown): KeyRejectedError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(KeyRejectedError)
    return err as KeyRejectedError
  }
  throw new Error('expected a KeyRejectedError, nothing was thrown')
}

/** The recipient SPKI check as the station runs it: an otherwise valid RSA_2048 response. */
function checkRecipientSpki(spki: Uint8Array): RecipientKey {
  return checkPublicKeyResponse(publicKeyResponse(spki)).key
}

describe('checkPublicKeyResponse: a valid response', () => {
  it('returns the ARN, spec, SPKI and its SHA-256 pin', () => {
    const spki = rsaSpki(2048)
    const checked = checkPublicKeyResponse(publicKeyResponse(spki))
    expect(checked.keyArn).toBe(TEST_ARN)
    expect(checked.keySpec).toBe('RSA_2048')
    expect(checked.key.modulusBits).toBe(2048)
    expect(checked.pinSha256).toBe(sha256Hex(spki))
    expect(checked.pinId).toBe(sha256Hex(spki).slice(0, 16))
    expect(Buffer.from(checked.key.spki).equals(Buffer.from(spki))).toBe(true)
  })

  it('accepts RSA_3072 with a 3072-bit SPKI', () => {
    const checked = checkPublicKeyResponse(
      publicKeyResponse(rsaSpki(3072), { KeySpec: 'RSA_3072' }),
    )
    expect(checked.key.modulusBits).toBe(3072)
  })
})

describe('checkPublicKeyResponse: each refusal has its own code and message', () => {
  const spki = rsaSpki(2048)
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'SYMMETRIC_DEFAULT key spec',
      { KeySpec: 'SYMMETRIC_DEFAULT' },
      'ERR_KEY_SPEC',
      /KeySpec "SYMMETRIC_DEFAULT"/,
    ],
    ['ECC key spec', { KeySpec: 'ECC_NIST_P256' }, 'ERR_KEY_SPEC', /KeySpec "ECC_NIST_P256"/],
    ['HMAC key spec', { KeySpec: 'HMAC_256' }, 'ERR_KEY_SPEC', /RSA_2048, RSA_3072 or RSA_4096/],
    ['missing key spec', { KeySpec: undefined }, 'ERR_KEY_SPEC', /did not say which KeySpec/],
    [
      'SIGN_VERIFY usage',
      { KeyUsage: 'SIGN_VERIFY' },
      'ERR_KEY_USAGE',
      /KeyUsage "SIGN_VERIFY".*never be decrypted/,
    ],
    ['KEY_AGREEMENT usage', { KeyUsage: 'KEY_AGREEMENT' }, 'ERR_KEY_USAGE', /KEY_AGREEMENT/],
    ['missing usage', { KeyUsage: undefined }, 'ERR_KEY_USAGE', /did not say which KeyUsage/],
    [
      'only RSAES_OAEP_SHA_1',
      { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1'] },
      'ERR_KEY_ALGORITHM',
      /does not offer RSAES_OAEP_SHA_256 \(it offers: "RSAES_OAEP_SHA_1"\)/,
    ],
    ['no algorithms', { EncryptionAlgorithms: undefined }, 'ERR_KEY_ALGORITHM', /it offers: none/],
    ['empty algorithms', { EncryptionAlgorithms: [] }, 'ERR_KEY_ALGORITHM', /it offers: none/],
    ['KeyId not an ARN', { KeyId: 'alias/fleet' }, 'ERR_KEY_UNSUPPORTED', /not a KMS key ARN/],
    ['no public key', { PublicKey: undefined }, 'ERR_KEY_UNSUPPORTED', /returned no public key/],
    [
      'empty public key',
      { PublicKey: new Uint8Array(0) },
      'ERR_KEY_UNSUPPORTED',
      /returned no public key/,
    ],
    ['RSA-1024 SPKI', { PublicKey: rsaSpki(1024) }, 'ERR_KEY_SIZE', /1024 bits/],
    [
      'RSA-3072 SPKI under RSA_2048',
      { PublicKey: rsaSpki(3072) },
      'ERR_KEY_SIZE',
      /KeySpec RSA_2048 but the public key has a 3072-bit modulus/,
    ],
    [
      'e = 3 SPKI (node:crypto)',
      { PublicKey: rsaSpki(2048, 3) },
      'ERR_KEY_EXPONENT',
      /exponent 3;/,
    ],
    [
      'truncated DER',
      { PublicKey: spki.slice(0, spki.length - 1) },
      'ERR_KEY_UNSUPPORTED',
      /truncated/,
    ],
    [
      'DER cut in half',
      { PublicKey: spki.slice(0, 100) },
      'ERR_KEY_UNSUPPORTED',
      /not an RSA SubjectPublicKeyInfo/,
    ],
    [
      'trailing byte after the DER',
      { PublicKey: Uint8Array.from([...spki, 0]) },
      'ERR_KEY_UNSUPPORTED',
      /SubjectPublicKeyInfo/,
    ],
    [
      'corrupt algorithm OID',
      { PublicKey: Uint8Array.from(spki, (b, i) => (i === 12 ? b ^ 0x01 : b)) },
      'ERR_KEY_UNSUPPORTED',
      /SubjectPublicKeyInfo/,
    ],
    [
      'random bytes',
      { PublicKey: new Uint8Array(294).fill(0x41) },
      'ERR_KEY_UNSUPPORTED',
      /SubjectPublicKeyInfo/,
    ],
  ]
  for (const [name, overrides, code, message] of cases) {
    it(`${name} → ${code}`, () => {
      const err = refusal(() => checkPublicKeyResponse(publicKeyResponse(spki, overrides)))
      expect(err.code).toBe(code)
      expect(err.message).toMatch(message)
    })
  }

  it('checks the spec before the usage, and the usage before the algorithms', () => {
    const all = { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'SIGN_VERIFY', EncryptionAlgorithms: [] }
    expect(refusal(() => checkPublicKeyResponse(publicKeyResponse(spki, all))).code).toBe(
      'ERR_KEY_SPEC',
    )
    const two = { KeyUsage: 'SIGN_VERIFY', EncryptionAlgorithms: [] }
    expect(refusal(() => checkPublicKeyResponse(publicKeyResponse(spki, two))).code).toBe(
      'ERR_KEY_USAGE',
    )
  })

  it('refuses an EC public key as ERR_KEY_UNSUPPORTED', () => {
    const ec = createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: '04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY',
        y: 'UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw',
      },
      format: 'jwk',
    })
    const der = new Uint8Array(ec.export({ type: 'spki', format: 'der' }))
    expect(refusal(() => checkPublicKeyResponse(publicKeyResponse(der))).code).toBe(
      'ERR_KEY_UNSUPPORTED',
    )
  })
})

describe('checkKeyMetadata', () => {
  const ok = {
    Arn: TEST_ARN,
    KeyState: 'Enabled',
    KeySpec: 'RSA_4096',
    KeyUsage: 'ENCRYPT_DECRYPT',
    EncryptionAlgorithms: ['RSAES_OAEP_SHA_256'],
  }
  it('accepts an enabled RSA ENCRYPT_DECRYPT key with RSAES_OAEP_SHA_256', () => {
    expect(() => checkKeyMetadata(ok)).not.toThrow()
  })
  for (const state of ['Disabled', 'PendingDeletion', 'PendingImport', 'Unavailable']) {
    it(`refuses a ${state} key with ERR_KEY_STATE`, () => {
      const err = refusal(() => checkKeyMetadata({ ...ok, KeyState: state }))
      expect(err).toMatchObject({ code: 'ERR_KEY_STATE' })
      expect(err.message).toContain(`"${state}"; only an Enabled key may be pinned`)
    })
  }
  it('refuses SIGN_VERIFY and SYMMETRIC_DEFAULT keys with their own codes', () => {
    expect(refusal(() => checkKeyMetadata({ ...ok, KeyUsage: 'SIGN_VERIFY' })).code).toBe(
      'ERR_KEY_USAGE',
    )
    expect(refusal(() => checkKeyMetadata({ ...ok, KeySpec: 'SYMMETRIC_DEFAULT' })).code).toBe(
      'ERR_KEY_SPEC',
    )
  })
})

describe('key policy', () => {
  it('knows the three RSA specs and nothing else, with a null-prototype table', () => {
    expect(Object.keys(RSA_KEY_SPECS)).toEqual(['RSA_2048', 'RSA_3072', 'RSA_4096'])
    expect(isRsaKeySpec('RSA_4096')).toBe(true)
    expect(isRsaKeySpec('toString')).toBe(false)
    expect(isRsaKeySpec('RSA_1024')).toBe(false)
    expect(checkKeySpec('RSA_3072')).toBe('RSA_3072')
  })
  it('refuses with the envelope class and code, never another class', () => {
    for (const [fn, code] of [
      [() => checkKeySpec('toString'), 'ERR_KEY_SPEC'],
      [() => checkKeyUsage('GENERATE_VERIFY_MAC'), 'ERR_KEY_USAGE'],
      [() => checkEncryptionAlgorithms('RSAES_OAEP_SHA_256'), 'ERR_KEY_ALGORITHM'],
    ] as const) {
      const err = refusal(fn)
      expect(err.code).toBe(code)
      expect(err.name).toBe('KeyRejectedError')
    }
  })
  it('escapes control characters from KMS in messages', () => {
    expect(refusal(() => checkKeyUsage('SIGN\u0007\nVERIFY')).message).toContain(
      '"SIGN\\u0007\\nVERIFY"',
    )
  })
  it('recognises key ARNs only', () => {
    expect(isKeyArn(TEST_ARN)).toBe(true)
    expect(isKeyArn('arn:aws:kms:eu-west-1:111122223333:alias/fleet')).toBe(false)
    expect(isKeyArn(`${TEST_ARN}\n`)).toBe(false)
  })
})

interface SignatureGroup {
  keySize: number
  publicKeyDer: string
  publicKey: { publicExponent: string }
}

describe('Wycheproof rsa_signature_*_sha256 keys (used for their SPKIs only)', () => {
  for (const bits of [2048, 3072, 4096]) {
    const file = `rsa_signature_${bits}_sha256_test.json`
    const data = JSON.parse(readFileSync(join(VECTORS, 'wycheproof', file), 'utf8')) as {
      testGroups: SignatureGroup[]
    }
    data.testGroups.forEach((group, index) => {
      const label = `wycheproof/${file}/group ${index}`
      const e = BigInt(`0x${group.publicKey.publicExponent}`)
      const resp = publicKeyResponse(hex(group.publicKeyDer), { KeySpec: `RSA_${group.keySize}` })
      if (e === 65537n) {
        it(`${label}: e = 65537, ${group.keySize} bits → accepted`, () => {
          expect(checkPublicKeyResponse(resp).key.modulusBits).toBe(bits)
        })
      } else {
        it(`${label}: e = ${e} → ERR_KEY_EXPONENT`, () => {
          const err = refusal(() => checkPublicKeyResponse(resp))
          expect(err.code, label).toBe('ERR_KEY_EXPONENT')
          expect(err.message).toBe(`RSA public exponent ${e}; the profile requires 65537`)
        })
      }
    })
  }
})

/**
 * json_web_key_test.json is a keyset-validation suite for JOSE libraries. What applies here is the
 * key itself: each RSA public JWK is converted with node:crypto to the DER SPKI that KMS would
 * return, then checked. Every test case is listed below with what is expected, so nothing is
 * skipped silently.
 */
describe('Wycheproof json_web_key_test.json: weak RSA keys are refused', () => {
  /**
   * `out-of-scope` cases are not skipped: each reason is checked. `no-rsa-key`: the group holds no
   * RSA public key (HMAC, AES or EC keys: non-RSA kty). `no-spki`: node:crypto cannot turn the JWK
   * into an SPKI, so there is nothing a KMS could return. `metadata`: the key itself is fine, the
   * case is about JWK `use`/`alg`, which an SPKI does not carry (our counterpart, KMS KeyUsage, is
   * checked on the GetPublicKey response above).
   */
  type Expect =
    | { readonly kind: 'accept' }
    | { readonly kind: 'refuse'; readonly code: string; readonly note?: string }
    | {
        readonly kind: 'out-of-scope'
        readonly reason: 'no-rsa-key' | 'no-spki' | 'metadata'
        readonly why: string
      }
  const nonRsa = (why: string): Expect => ({ kind: 'out-of-scope', reason: 'no-rsa-key', why })
  const EXPECTED: Record<number, Expect> = {
    1: nonRsa('HMAC + EC keyset (mixed public/private): non-RSA kty'),
    2: nonRsa('HMAC keyset: non-RSA kty'),
    3: nonRsa('HMAC keyset, modified signature: non-RSA kty'),
    4: nonRsa('HMAC keyset with a duplicate kid: non-RSA kty'),
    5: { kind: 'accept' },
    6: {
      kind: 'out-of-scope',
      reason: 'metadata',
      why: 'JWK "use: enc" on an RS256 key: metadata, not the key',
    },
    // A 2049-bit modulus: refused for its size. ROCA fingerprinting itself is out of scope: KMS
    // generates its keys in its own HSMs, and a 2048-bit ROCA key would pass this check.
    7: { kind: 'refuse', code: 'ERR_KEY_SIZE', note: 'ROCA key, 2049-bit modulus' },
    8: { kind: 'refuse', code: 'ERR_KEY_SIZE', note: '1024-bit modulus' },
    9: { kind: 'refuse', code: 'ERR_KEY_EXPONENT', note: 'e = 1' },
    10: nonRsa('short HMAC key: non-RSA kty'),
    11: nonRsa('short HMAC key: non-RSA kty'),
    12: nonRsa('short HMAC key: non-RSA kty'),
    13: nonRsa('long HMAC key: non-RSA kty'),
    14: nonRsa('long HMAC key: non-RSA kty'),
    15: nonRsa('long HMAC key: non-RSA kty'),
    16: nonRsa('empty HMAC key: non-RSA kty'),
    17: nonRsa('empty HMAC key: non-RSA kty'),
    18: nonRsa('empty HMAC key: non-RSA kty'),
    // EC keys that do convert to an SPKI must be refused as not RSA.
    19: { kind: 'refuse', code: 'ERR_KEY_UNSUPPORTED', note: 'EC P-256 key' },
    20: { kind: 'refuse', code: 'ERR_KEY_UNSUPPORTED', note: 'EC P-256 key' },
    21: { kind: 'refuse', code: 'ERR_KEY_UNSUPPORTED', note: 'EC P-256 key' },
    22: {
      kind: 'out-of-scope',
      reason: 'no-spki',
      why: 'EC point off the curve: no SPKI can be built',
    },
    23: {
      kind: 'out-of-scope',
      reason: 'no-spki',
      why: 'EC key on the wrong curve: no SPKI can be built',
    },
    24: {
      kind: 'out-of-scope',
      reason: 'no-spki',
      why: 'kty RSA without n and e: no RSA key to convert',
    },
    25: nonRsa('AES-GCM key: non-RSA kty'),
    26: nonRsa('AES-KW key: non-RSA kty'),
  }
  const data = JSON.parse(
    readFileSync(join(VECTORS, 'wycheproof', 'json_web_key_test.json'), 'utf8'),
  ) as {
    testGroups: Array<{
      comment: string
      public?: { keys: JsonWebKey[] }
      tests: Array<{ tcId: number; comment: string; result: string }>
    }>
  }
  const toSpki = (jwk: JsonWebKey): Uint8Array =>
    new Uint8Array(
      createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }),
    )

  it('lists an expectation for every test case of the file', () => {
    const ids = data.testGroups.flatMap((g) => g.tests.map((t) => t.tcId))
    expect(ids.sort((a, b) => a - b)).toEqual(Object.keys(EXPECTED).map(Number))
  })

  for (const group of data.testGroups) {
    for (const test of group.tests) {
      const expected = EXPECTED[test.tcId]!
      const label = `wycheproof/json_web_key_test.json/${test.tcId} (${group.comment}, ${test.comment})`
      const jwks = group.public?.keys ?? []
      if (expected.kind === 'out-of-scope') {
        it(`${label}: out of scope, ${expected.why}`, () => {
          if (expected.reason === 'no-rsa-key') {
            expect(
              jwks.filter((k) => k.kty === 'RSA'),
              label,
            ).toEqual([])
          } else if (expected.reason === 'no-spki') {
            expect(jwks.length, label).toBeGreaterThan(0)
            for (const jwk of jwks) expect(() => toSpki(jwk), label).toThrow()
          } else {
            for (const jwk of jwks)
              expect(checkRecipientSpki(toSpki(jwk)).modulusBits, label).toBe(2048)
          }
        })
        continue
      }
      const what =
        expected.kind === 'accept' ? 'accepted' : `${expected.note}: refused with ${expected.code}`
      it(`${label}: ${what}`, () => {
        expect(jwks.length, label).toBeGreaterThan(0)
        for (const jwk of jwks) {
          const spki = toSpki(jwk)
          if (expected.kind === 'accept') {
            expect(test.result, label).toBe('valid')
            expect(checkRecipientSpki(spki).modulusBits, label).toBe(2048)
          } else {
            expect(test.result, label).toBe('invalid')
            const err = refusal(() => checkRecipientSpki(spki))
            expect(err.code, label).toBe(expected.code)
          }
        }
      })
    }
  }
})
