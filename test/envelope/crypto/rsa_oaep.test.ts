import { createPrivateKey, createPublicKey, privateDecrypt, constants } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  createLocalUnwrap,
  DecryptionFailedError,
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
