import { createHash, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { KeyRejectedError, parseRecipientKey } from '../../../envelope/src/index.ts'
import { hex, readVector, toHexString } from '../../helpers/vectors.ts'

interface SigFile {
  testGroups: { publicKeyDer: string; keySize: number; publicKey: { publicExponent: string } }[]
}

function rejection(spki: Uint8Array): { code: string; message: string } | 'accepted' {
  try {
    parseRecipientKey(spki)
    return 'accepted'
  } catch (err) {
    expect(err).toBeInstanceOf(KeyRejectedError)
    return { code: (err as KeyRejectedError).code, message: (err as Error).message }
  }
}

describe('parseRecipientKey', () => {
  describe.each([2048, 3072, 4096])('Wycheproof rsa_signature_%i_sha256 keys', (bits) => {
    const file = readVector<SigFile>(`wycheproof/rsa_signature_${bits}_sha256_test.json`)

    it('accepts group 0 (e = 65537) and pins SHA-256 of the exact SPKI', () => {
      const spki = hex(file.testGroups[0]!.publicKeyDer)
      const key = parseRecipientKey(spki)
      expect(key.modulusBits).toBe(bits)
      const pin = createHash('sha256').update(spki).digest('hex')
      expect(toHexString(key.pin)).toBe(pin)
      expect(toHexString(key.pinId)).toBe(pin.slice(0, 16))
      expect(toHexString(key.spki)).toBe(toHexString(spki))
    })

    it('refuses the e = 3 groups with ERR_KEY_EXPONENT', () => {
      const weak = file.testGroups.slice(1)
      for (const g of weak) {
        expect(g.publicKey.publicExponent).toBe('03')
        expect(rejection(hex(g.publicKeyDer))).toEqual({
          code: 'ERR_KEY_EXPONENT',
          message: 'RSA public exponent 3; the profile requires 65537',
        })
      }
      expect(weak.length).toBe(bits === 2048 ? 2 : bits === 3072 ? 1 : 0)
    })
  })

  it('refuses RSA-1024 with ERR_KEY_SIZE', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    expect(rejection(publicKey.export({ format: 'der', type: 'spki' }))).toEqual({
      code: 'ERR_KEY_SIZE',
      message: 'RSA modulus of 1024 bits; the profile accepts 2048, 3072 or 4096',
    })
  })

  it('refuses an EC key with ERR_KEY_UNSUPPORTED', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    expect(rejection(publicKey.export({ format: 'der', type: 'spki' }))).toEqual({
      code: 'ERR_KEY_UNSUPPORTED',
      message: 'not an RSA SubjectPublicKeyInfo: algorithm is not rsaEncryption',
    })
  })

  const good = hex(
    readVector<SigFile>('wycheproof/rsa_signature_2048_sha256_test.json').testGroups[0]!
      .publicKeyDer,
  )

  it('refuses an id-RSASSA-PSS SPKI (OID 1.2.840.113549.1.1.10) with ERR_KEY_UNSUPPORTED', () => {
    // BoringSSL (Bun) cannot generate RSA-PSS keys, so edit the OID of a good SPKI by hand.
    const pss = Uint8Array.from(good)
    const oidEnd = Buffer.from(pss).indexOf(Buffer.from('2a864886f70d010101', 'hex')) + 9
    pss[oidEnd - 1] = 0x0a
    expect(rejection(pss)).toEqual({
      code: 'ERR_KEY_UNSUPPORTED',
      message: 'not an RSA SubjectPublicKeyInfo: algorithm is not rsaEncryption',
    })
  })

  it.each([
    [
      'truncated by one byte',
      good.subarray(0, good.length - 1),
      'not an RSA SubjectPublicKeyInfo: truncated',
    ],
    [
      'with a trailing byte',
      Uint8Array.from([...good, 0]),
      'not an RSA SubjectPublicKeyInfo: trailing bytes',
    ],
    ['empty', new Uint8Array(0), 'not an RSA SubjectPublicKeyInfo: truncated'],
    [
      'a PEM text, not DER',
      new TextEncoder().encode('-----BEGIN PUBLIC KEY-----'),
      'not an RSA SubjectPublicKeyInfo: expected SEQUENCE',
    ],
  ])('refuses an SPKI %s with ERR_KEY_UNSUPPORTED', (_, spki, message) => {
    expect(rejection(spki)).toEqual({ code: 'ERR_KEY_UNSUPPORTED', message })
  })

  it('refuses a non-minimal DER length (BER) with ERR_KEY_UNSUPPORTED', () => {
    // 30 82 01 22 … → 30 83 00 01 22 …: the same length, one byte longer.
    const ber = Uint8Array.from([0x30, 0x83, 0x00, ...good.subarray(2)])
    expect(rejection(ber)).toEqual({
      code: 'ERR_KEY_UNSUPPORTED',
      message: 'not an RSA SubjectPublicKeyInfo: non-minimal length',
    })
  })

  it('refuses any single corrupted byte of the SPKI or pins a different key', () => {
    const goodPin = toHexString(parseRecipientKey(good).pin)
    for (let i = 0; i < good.length; i += 7) {
      const bad = Uint8Array.from(good)
      bad[i]! ^= 0x01
      const r = rejection(bad)
      if (r === 'accepted') expect(toHexString(parseRecipientKey(bad).pin)).not.toBe(goodPin)
      else expect(['ERR_KEY_UNSUPPORTED', 'ERR_KEY_SIZE', 'ERR_KEY_EXPONENT']).toContain(r.code)
    }
  })

  it('names an exponent too large to print by its size (ERR_KEY_EXPONENT)', () => {
    // The good SPKI with e = 65537 (02 03 010001) replaced by a 9-byte INTEGER (11 bytes with its
    // head): every enclosing length grows by 6.
    const spki = Buffer.from(good).toString('hex')
    expect([spki.slice(0, 8), spki.slice(38, 46), spki.slice(48, 56)]).toEqual([
      '30820122',
      '0382010f',
      '3082010a',
    ])
    expect(spki.endsWith('0203010001')).toBe(true)
    const withExponent = (integer: string) =>
      hex(
        '30820128' +
          spki.slice(8, 38) +
          '03820115' +
          spki.slice(46, 48) +
          '30820110' +
          spki.slice(56, -10) +
          integer,
      )
    expect(rejection(withExponent('0209' + '01' + '00'.repeat(7) + '01'))).toEqual({
      code: 'ERR_KEY_EXPONENT',
      message: 'RSA public exponent of 65 bits; the profile requires 65537',
    })
    // Below 2^64 the value itself is shown (a positive INTEGER with a leading 00).
    expect(rejection(withExponent('0209' + '00' + 'ff'.repeat(8)))).toEqual({
      code: 'ERR_KEY_EXPONENT',
      message: `RSA public exponent ${2n ** 64n - 1n}; the profile requires 65537`,
    })
  })

  it('throws TypeError for a non-Uint8Array', () => {
    expect(() => parseRecipientKey('MIIB' as never)).toThrow(
      new TypeError('spki: expected Uint8Array'),
    )
  })
})
