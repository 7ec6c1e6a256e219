/**
 * `HttpHsm` (the seed HSM's HTTP API over HTTPS) against the local stand-in backed by `Pkcs11Hsm`
 * on SoftHSM2: the contract, then what only the HTTP path has (bearer token, TLS check, the
 * operations the API does not have).
 */
import { readFileSync, rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_PATHS, HttpHsm, Pkcs11Hsm, startHsmStandin } from '../../hsm/src/index.ts'
import type { HsmStandin } from '../../hsm/src/index.ts'
import { hasOpenssl, makePki } from '../agent/transport/_tls_certs.ts'
import type { TestPki } from '../agent/transport/_tls_certs.ts'
import { caught, cleanupTempDirs, skipWithout } from '../helpers/index.ts'
import { hsmContract } from './_hsm_contract.ts'
import { softhsmPresent, softToken } from './_softhsm.ts'

const present = softhsmPresent() && hasOpenssl()

describe.skipIf(skipWithout(present, 'SoftHSM2 and openssl (apt-get install softhsm2 openssl)'))(
  'HttpHsm against the stand-in of the HTTP API',
  () => {
    let backing: Pkcs11Hsm
    let standin: HsmStandin
    let pki: TestPki
    let ca: Buffer
    let client: HttpHsm
    const apiToken = 'test-api-token'

    beforeAll(async () => {
      const token = await softToken()
      backing = await Pkcs11Hsm.open({
        module: token.module,
        tokenLabel: token.tokenLabel,
        pin: token.pin,
      })
      pki = makePki('hsm')
      ca = readFileSync(pki.caFile)
      standin = await startHsmStandin({
        hsm: backing,
        cert: readFileSync(pki.serverCert),
        key: readFileSync(pki.serverKey),
        port: 0,
        apiToken,
      })
      client = new HttpHsm({ url: standin.url, ca, apiToken })
    })
    afterAll(async () => {
      await standin?.close()
      await backing?.close()
      if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true })
      await cleanupTempDirs()
    })

    describe('the Hsm contract', () => hsmContract(() => client))

    it('learns the wrapping algorithms from GET /info and says what the API lacks', async () => {
      const caps = await client.capabilities()
      expect(caps.wrapAlgorithms).toEqual(['RSAES_OAEP_SHA_1'])
      expect(caps.rsaKeyGeneration).toBe(false)
      expect(caps.decrypt).toBe('none')
      expect(standin.count(API_PATHS.info)).toBe(1)
    })

    it('goes through the three paths of the note', () => {
      expect(standin.count(API_PATHS.importPubKey)).toBeGreaterThan(0)
      expect(standin.count(API_PATHS.generateAes256)).toBeGreaterThan(0)
      expect(standin.count(API_PATHS.wrapKey)).toBeGreaterThan(0)
    })

    it('refuses a missing or wrong API token: ERR_HSM_LOGIN', async () => {
      for (const t of [undefined, 'wrong']) {
        const err = await caught(
          new HttpHsm({ url: standin.url, ca, apiToken: t }).generateAes256('x-1'),
        )
        expect(err.code).toBe('ERR_HSM_LOGIN')
        expect(err.message).toBe(
          `http:${standin.url}: GET /keys/AES256/generate: unauthorized: bad API token`,
        )
      }
    })

    it('refuses a server its CA does not vouch for, and a closed port: ERR_HSM_UNAVAILABLE', async () => {
      const untrusted = await caught(
        new HttpHsm({ url: standin.url, apiToken }).generateAes256('x-2'),
      )
      expect(untrusted.code).toBe('ERR_HSM_UNAVAILABLE')
      const closed = await caught(
        new HttpHsm({ url: 'https://127.0.0.1:1', ca, apiToken }).capabilities(),
      )
      expect(closed.code).toBe('ERR_HSM_UNAVAILABLE')
      expect(closed.message).toMatch(/^http:https:\/\/127\.0\.0\.1:1: GET \/info: .*ECONNREFUSED/)
    })

    it('has no RSA generation, public key or decryption: ERR_HSM_UNSUPPORTED', async () => {
      for (const p of [
        client.generateRsa('r-1', 2048),
        client.publicKey('r-1'),
        client.decrypt('r-1', new Uint8Array(256)),
      ]) {
        expect((await caught(p)).code).toBe('ERR_HSM_UNSUPPORTED')
      }
    })

    it('takes only an https:// URL without user name or password', () => {
      expect(() => new HttpHsm({ url: 'http://127.0.0.1:1' })).toThrow(RangeError)
      expect(() => new HttpHsm({ url: 'https://u:p@127.0.0.1:1' })).toThrow(RangeError)
    })
  },
)
