import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
} from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  createLocalUnwrap,
  DecryptionFailedError,
  KeyRejectedError,
  parseRecipientKey,
} from '../../../envelope/src/index.ts'
import { hex, readVector, toHexString } from '../../helpers/vectors.ts'

interface OaepCase {
  tcId: number
  msg: string
  ct: string
  label: string
  result: 'valid' | 'invalid' | 'acceptable'
  flags: string[]
}
interface OaepFile {
  testGroups: { keySize: number; privateKeyPkcs8: string; tests: OaepCase[] }[]
}
const FILE_2048 = 'wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json'

async function unwrapResult(unwrap: ReturnType<typeof createLocalUnwrap>, ct: string) {
  try {
    return { ok: toHexString(await unwrap(hex(ct), new Uint8Array(8))) }
  } catch (err) {
    return { err }
  }
}

describe.each([2048, 3072, 4096])(
  'Wycheproof rsa_oaep_%i_sha256_mgf1sha256 through the test unwrap',
  (bits) => {
    const file = readVector<OaepFile>(`wycheproof/rsa_oaep_${bits}_sha256_mgf1sha256_test.json`)

    it('gives the expected result for every case (37 = 18 valid + 19 invalid)', async () => {
      let valid = 0
      let invalid = 0
      for (const group of file.testGroups) {
        const pkcs8 = hex(group.privateKeyPkcs8)
        for (const c of group.tests) {
          const label = `wycheproof/rsa_oaep_${bits}_sha256_mgf1sha256/${c.tcId}`
          const unwrap = createLocalUnwrap(pkcs8, { oaepLabel: hex(c.label) })
          const r = await unwrapResult(unwrap, c.ct)
          if (c.result === 'valid') {
            expect(r, label).toEqual({ ok: c.msg })
            valid++
          } else {
            expect(r.err, label).toBeInstanceOf(DecryptionFailedError)
            expect((r.err as Error).message, label).toBe('decryption failed')
            expect((r.err as Error).cause, label).toBeUndefined()
            invalid++
          }
        }
      }
      expect([valid, invalid]).toEqual([18, 19])
    })

    it('wraps a CEK with the group key so that the private key unwraps it (round trip)', async () => {
      const pkcs8 = hex(file.testGroups[0]!.privateKeyPkcs8)
      const priv = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
      const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' })
      const wrapper = createKeyWrapper(parseRecipientKey(spki))
      const cek = Uint8Array.from({ length: 32 }, (_, i) => i)
      const wrapped = wrapper.wrapSync!(cek)
      expect(wrapped.length).toBe(bits / 8)
      expect(toHexString(await createLocalUnwrap(priv)(wrapped, wrapper.pinId))).toBe(
        toHexString(cek),
      )
      // Independently, with OpenSSL's OAEP-SHA-256 decrypt:
      const plain = privateDecrypt(
        { key: priv, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        wrapped,
      )
      expect(toHexString(plain)).toBe(toHexString(cek))
      // The async path (what WebCrypto-only runtimes use) gives a wrap the same key opens.
      const wrapped2 = await wrapper.wrap(cek)
      expect(toHexString(await createLocalUnwrap(priv)(wrapped2, wrapper.pinId))).toBe(
        toHexString(cek),
      )
    })
  },
)

describe('Wycheproof rsa_oaep_2048_sha256_mgf1sha1 (negative control)', () => {
  it('rejects all 31 cases: MGF1-SHA-1 is not KMS RSAES_OAEP_SHA_256', async () => {
    const file = readVector<OaepFile>('wycheproof/rsa_oaep_2048_sha256_mgf1sha1_test.json')
    let rejected = 0
    for (const group of file.testGroups) {
      for (const c of group.tests) {
        const unwrap = createLocalUnwrap(hex(group.privateKeyPkcs8), { oaepLabel: hex(c.label) })
        const r = await unwrapResult(unwrap, c.ct)
        expect(r.err, `wycheproof/rsa_oaep_2048_sha256_mgf1sha1/${c.tcId}`).toBeInstanceOf(
          DecryptionFailedError,
        )
        rejected++
      }
    }
    expect(rejected).toBe(31)
  })
})

describe('createLocalUnwrap and createKeyWrapper: refusals', () => {
  function caught(fn: () => unknown): unknown {
    try {
      fn()
    } catch (err) {
      return err
    }
    return 'returned'
  }

  it('a private key that is not PKCS#8 DER is KeyRejectedError ERR_KEY_UNSUPPORTED', () => {
    const err = caught(() => createLocalUnwrap(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)))
    expect(err).toBeInstanceOf(KeyRejectedError)
    expect(err).toMatchObject({
      code: 'ERR_KEY_UNSUPPORTED',
      message: 'the private key is not PKCS#8 DER',
    })
    expect((err as Error).cause).toBeInstanceOf(Error)
  })

  it('a key that is not an RSA private key is KeyRejectedError ERR_KEY_UNSUPPORTED', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const rsaPublic = createPublicKey(
      createPrivateKey({
        key: Buffer.from(hex(readVector<OaepFile>(FILE_2048).testGroups[0]!.privateKeyPkcs8)),
        format: 'der',
        type: 'pkcs8',
      }),
    )
    for (const key of [ec.privateKey, rsaPublic]) {
      const err = caught(() => createLocalUnwrap(key))
      expect(err).toBeInstanceOf(KeyRejectedError)
      expect(err).toMatchObject({
        code: 'ERR_KEY_UNSUPPORTED',
        message: 'the private key is not an RSA private key',
      })
    }
  })

  it('anything else as the private key is a TypeError (a caller bug)', () => {
    expect(() => createLocalUnwrap('-----BEGIN PRIVATE KEY-----' as never)).toThrow(
      new TypeError('privateKey: expected a KeyObject or PKCS#8 DER bytes'),
    )
  })

  it('a CEK longer than OAEP-SHA-256 can carry is a RangeError, sync and async', async () => {
    const priv = createPrivateKey({
      key: Buffer.from(hex(readVector<OaepFile>(FILE_2048).testGroups[0]!.privateKeyPkcs8)),
      format: 'der',
      type: 'pkcs8',
    })
    const wrapper = createKeyWrapper(
      parseRecipientKey(createPublicKey(priv).export({ format: 'der', type: 'spki' })),
    )
    const error = new RangeError('cek: at most 190 bytes, got 191')
    expect(() => wrapper.wrapSync!(new Uint8Array(191))).toThrow(error)
    await expect(wrapper.wrap(new Uint8Array(191))).rejects.toThrow(error)
    expect(wrapper.wrapSync!(new Uint8Array(190)).length).toBe(256)
  })
})
