/**
 * `Pkcs11Hsm` against SoftHSM2 2.6.1 in a temporary token directory: the contract, what the
 * token's limits make it do (OAEP SHA-1 only, RSA-AES key wrap composed, raw-RSA decryption with
 * OAEP decoding in process), and the refusals.
 */
import {
  constants,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
} from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Pkcs11Hsm } from '../../hsm/src/index.ts'
import { caught, cleanupTempDirs, skipWithout } from '../helpers/index.ts'
import { hsmContract, oaepUnwrap } from './_hsm_contract.ts'
import { isBun, softhsmPresent, softToken, uniqueLabel } from './_softhsm.ts'
import type { SoftToken } from './_softhsm.ts'

/** RFC 5649 unwrap with node:crypto's `id-aes256-wrap-pad` (Node only; Bun lacks it). */
function kwpUnwrap(kek: Buffer, wrapped: Buffer): Buffer {
  const d = createDecipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'))
  return Buffer.concat([d.update(wrapped), d.final()])
}

describe.skipIf(skipWithout(softhsmPresent(), 'SoftHSM2 (apt-get install softhsm2)'))(
  'Pkcs11Hsm on SoftHSM2',
  () => {
    let token: SoftToken
    let hsm: Pkcs11Hsm
    let wrongPinAlone: Error & Record<string, any>

    beforeAll(async () => {
      token = await softToken()
      wrongPinAlone = await caught(
        Pkcs11Hsm.open({ module: token.module, tokenLabel: token.tokenLabel, pin: 'wrong-pin' }),
      )
      hsm = await Pkcs11Hsm.open({
        module: token.module,
        tokenLabel: token.tokenLabel,
        pin: token.pin,
      })
    })
    afterAll(async () => {
      await hsm?.close()
      await cleanupTempDirs()
    })

    describe('the Hsm contract', () => hsmContract(() => hsm))

    it('reports SoftHSM2 2.6.1 limits and what is done about them', async () => {
      const caps = await hsm.capabilities()
      expect(caps.wrapAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_1'])
      expect(caps.decrypt).toBe('raw-rsa')
      expect(caps.rsaKeyGeneration).toBe(true)
      expect(caps.notes).toEqual([
        'the token refuses CKM_RSA_PKCS_OAEP with SHA-256 parameters: OAEP with SHA-1 only',
        'the token has no CKM_RSA_AES_KEY_WRAP: RSA-AES key wrap is composed from CKM_AES_KEY_WRAP_PAD and CKM_RSA_PKCS_OAEP',
        'decryption: raw RSA (CKM_RSA_X_509) in the token, OAEP-SHA-256 decoding in process',
      ])
    })

    it('refuses RSAES_OAEP_SHA_256, which the token cannot do: ERR_HSM_UNSUPPORTED', async () => {
      const err = await caught(hsm.wrapKey('any', 'any', 'RSAES_OAEP_SHA_256'))
      expect(err.code).toBe('ERR_HSM_UNSUPPORTED')
      expect(err.message).toBe('pkcs11:sealwire-test cannot wrap with RSAES_OAEP_SHA_256')
    })

    it('wraps a generated RSA private key as RSA_AES_KEY_WRAP_SHA_1: OAEP(aes) || KWP(aes, PKCS#8)', async () => {
      const kms = generateKeyPairSync('rsa', { modulusLength: 2048 })
      const wrapAlias = uniqueLabel('wrap')
      const alias = uniqueLabel('rsa')
      await hsm.importWrappingKey(wrapAlias, kms.publicKey.export({ type: 'spki', format: 'der' }))
      const spki = Buffer.from(await hsm.generateRsa(alias, 2048))
      expect(Buffer.from(await hsm.publicKey(alias)).equals(spki)).toBe(true)
      const wrapped = Buffer.from(await hsm.wrapKey(alias, wrapAlias, 'RSA_AES_KEY_WRAP_SHA_1'))
      const aes = oaepUnwrap(kms.privateKey, 'RSA_AES_KEY_WRAP_SHA_1', wrapped.subarray(0, 256))
      expect(aes.length).toBe(32)
      if (!isBun) {
        const pkcs8 = kwpUnwrap(aes, wrapped.subarray(256))
        const priv = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
        const derived = createPublicKey(priv).export({ type: 'spki', format: 'der' })
        expect(derived.equals(spki)).toBe(true)
      }
      const plain = await caught(hsm.wrapKey(alias, wrapAlias, 'RSAES_OAEP_SHA_1'))
      expect(plain.code).toBe('ERR_HSM_UNSUPPORTED')
      await hsm.forgetWrappingKey(wrapAlias)
      await hsm.forgetWrappingKey(alias) // a generated key pair is never removed this way
      const gone = await caught(hsm.wrapKey(alias, wrapAlias, 'RSA_AES_KEY_WRAP_SHA_1'))
      expect(gone.code).toBe('ERR_HSM_KEY_NOT_FOUND')
      expect(gone.message).toBe(`pkcs11:sealwire-test: no wrapping key labelled "${wrapAlias}"`)
      expect((await hsm.publicKey(alias)).length).toBeGreaterThan(256)
    })

    it('decrypts RSAES-OAEP-SHA-256 (raw RSA in the token, decoding in process); every bad ciphertext is one opaque error', async () => {
      const alias = uniqueLabel('rsa')
      const spki = await hsm.generateRsa(alias, 2048)
      const pub = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
      const cek = Buffer.from(
        '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
        'hex',
      )
      const ct = publicEncrypt(
        { key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        cek,
      )
      const plain = await hsm.decrypt(alias, ct)
      expect(Buffer.from(plain).equals(cek)).toBe(true)
      // An array of its own: not a Buffer view into a pool (whose slice() would share memory).
      expect(Buffer.isBuffer(plain)).toBe(false)
      expect(plain.buffer.byteLength).toBe(32)
      const sha1 = publicEncrypt(
        { key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        cek,
      )
      const flipped = Buffer.from(ct)
      flipped[100]! ^= 1
      const tooBig = Buffer.alloc(256, 0xff)
      for (const bad of [sha1, flipped, tooBig, ct.subarray(1), Buffer.alloc(0)]) {
        const err = await caught(hsm.decrypt(alias, bad))
        expect(err.code).toBe('ERR_DECRYPTION_FAILED')
        expect(err.message).toBe((await caught(hsm.decrypt(alias, sha1))).message)
      }
      const missing = await caught(hsm.decrypt('no-such-key', ct))
      expect(missing.code).toBe('ERR_HSM_KEY_NOT_FOUND')
    })

    it('seals AES-256-GCM inside the token under a generated key (the BYOK material check)', async () => {
      const alias = uniqueLabel('aes')
      await hsm.generateAes256(alias)
      const iv = Buffer.alloc(12, 1)
      const out = Buffer.from(
        await hsm.encryptAesGcm(alias, iv, Buffer.from('aad'), Buffer.from('hello')),
      )
      expect(out.length).toBe(5 + 16)
    })

    it('refuses a wrong PIN (ERR_HSM_LOGIN), an unknown token and a module that does not load (ERR_HSM_UNAVAILABLE)', async () => {
      expect(wrongPinAlone.code).toBe('ERR_HSM_LOGIN')
      expect(wrongPinAlone.message).toBe(
        'token "sealwire-test" refused the login: CKR_PIN_INCORRECT',
      )
      // A second user of the logged-in token must know the PIN too.
      const riding = await caught(
        Pkcs11Hsm.open({ module: token.module, tokenLabel: token.tokenLabel, pin: 'wrong-pin' }),
      )
      expect(riding.code).toBe('ERR_HSM_LOGIN')
      expect(riding.message).toBe(wrongPinAlone.message)
      const other = await caught(
        Pkcs11Hsm.open({ module: token.module, tokenLabel: 'no-such-token', pin: token.pin }),
      )
      expect(other.code).toBe('ERR_HSM_UNAVAILABLE')
      expect(other.message).toBe(`no PKCS#11 token labelled "no-such-token" in ${token.module}`)
      const lib = await caught(
        Pkcs11Hsm.open({ module: '/nonexistent/libpkcs11.so', tokenLabel: 'x', pin: 'x' }),
      )
      expect(lib.code).toBe('ERR_HSM_UNAVAILABLE')
      expect(lib.message).toMatch(/^PKCS#11 module \/nonexistent\/libpkcs11\.so does not load/)
    })

    it('a second user of the module in the process shares the login; closing it keeps the first working', async () => {
      const second = await Pkcs11Hsm.open({
        module: token.module,
        tokenLabel: token.tokenLabel,
        pin: token.pin,
      })
      const alias = uniqueLabel('rsa')
      await second.generateRsa(alias, 2048)
      await second.close()
      await second.close()
      expect((await hsm.publicKey(alias)).length).toBeGreaterThan(256)
      const closed = await caught(second.publicKey(alias))
      expect(closed.code).toBe('ERR_HSM_UNAVAILABLE')
    })
  },
)
