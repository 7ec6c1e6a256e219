/**
 * `sealwire-provision byok` end to end: SoftHSM2 (PKCS#11, and the HTTP API's stand-in in front of
 * it) → kms-local through the real `@aws-sdk/client-kms`. After an import, Encrypt/Decrypt work,
 * and the material KMS holds equals the HSM's: a kms-local ciphertext blob (layout documented in
 * kms-local/src/symmetric_ciphertext.ts) sealed **inside the HSM** with `CKM_AES_GCM` opens with
 * KMS `Decrypt`. No hook in kms-local, and the key never leaves the HSM. Every refusal: its own
 * exit code and one line.
 */
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
} from '@aws-sdk/client-kms'
import type { KMSClient } from '@aws-sdk/client-kms'
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Pkcs11Hsm, startHsmStandin } from '../../hsm/src/index.ts'
import type { HsmStandin } from '../../hsm/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { hasOpenssl, makePki } from '../agent/transport/_tls_certs.ts'
import type { TestPki } from '../agent/transport/_tls_certs.ts'
import { softhsmPresent, softToken, uniqueLabel } from '../hsm/_softhsm.ts'
import type { SoftToken } from '../hsm/_softhsm.ts'
import { kmsClientFor, skipWithout } from '../helpers/index.ts'
import { cleanupTempDirs, ENV, runMain, tempDir } from './_helpers.ts'
import type { Kms, Run } from './_helpers.ts'

const DAY = 86_400_000

/** The one-line failure every refusal must be. */
function expectOneLine(run: Run, exit: number, code: string, message: string | RegExp): void {
  expect(run.code, run.err).toBe(exit)
  const lines = run.err.split('\n').filter((l) => l !== '')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: `))
  const text = lines[0]!.slice(`error ${code}: `.length)
  if (typeof message === 'string') expect(text).toBe(message)
  else expect(text).toMatch(message)
}

/** A kms-local symmetric blob sealed in the HSM: header | IV | AES-GCM(ct || tag). */
async function sealInHsm(hsm: Pkcs11Hsm, label: string, keyId: string, plaintext: Buffer) {
  const header = Buffer.concat([Buffer.from([0x4b, 0x4c, 0x01]), Buffer.from(keyId, 'ascii')])
  const iv = randomBytes(12)
  const aad = Buffer.concat([header, Buffer.from('[]')]) // no encryption context
  const sealed = await hsm.encryptAesGcm(label, iv, aad, plaintext)
  return Buffer.concat([header, iv, sealed])
}

const present = softhsmPresent() && hasOpenssl()

describe.skipIf(skipWithout(present, 'SoftHSM2 and openssl (apt-get install softhsm2 openssl)'))(
  'sealwire-provision byok',
  () => {
    let token: SoftToken
    let kms: Kms
    let client: KMSClient
    let hsm: Pkcs11Hsm
    let kmsOffsetMs = 0
    let env: Record<string, string>
    let hsmArgs: string[]

    beforeAll(async () => {
      token = await softToken('station')
      kms = await startKmsLocal({ port: 0, clock: { now: () => Date.now() + kmsOffsetMs } })
      client = kmsClientFor(kms)
      hsm = await Pkcs11Hsm.open({ module: token.module, tokenLabel: 'station', pin: token.pin })
      env = { ...ENV, SEALWIRE_HSM_PIN: token.pin }
      hsmArgs = ['--endpoint', kms.endpoint, '--region', kms.region, '--token-label', 'station']
    })
    afterAll(async () => {
      await hsm?.close()
      await kms?.close()
      await cleanupTempDirs()
    })

    const byok = (args: string[], e: Record<string, string | undefined> = env) =>
      runMain(['byok', ...hsmArgs, '--wrapping-key-spec', 'RSA_2048', ...args], e)

    it("AES_256 (the note's flow): imported with an expiry; Encrypt/Decrypt work and the material is the HSM's", async () => {
      const label = uniqueLabel('fleet-aes')
      const alias = uniqueLabel('byok-aes')
      const validTo = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10)
      const run = await byok([
        '--material',
        'AES_256',
        '--alias',
        alias,
        '--hsm-key-label',
        label,
        '--valid-to',
        validTo,
      ])
      expect(run.err).toBe('')
      expect(run.code).toBe(0)
      const lines = run.out.trim().split('\n')
      expect(lines).toEqual([
        'hsm: pkcs11:station',
        'hsm note: the token refuses CKM_RSA_PKCS_OAEP with SHA-256 parameters: OAEP with SHA-1 only',
        'hsm note: the token has no CKM_RSA_AES_KEY_WRAP: RSA-AES key wrap is composed from CKM_AES_KEY_WRAP_PAD and CKM_RSA_PKCS_OAEP',
        'hsm note: decryption: raw RSA (CKM_RSA_X_509) in the token, OAEP-SHA-256 decoding in process',
        'wrappingAlgorithm: RSAES_OAEP_SHA_1 (the strongest both KMS and the HSM accept; RSAES_OAEP_SHA_256: pkcs11:station cannot produce it)',
        expect.stringMatching(/^keyArn: arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/),
        `alias: alias/${alias}`,
        'keySpec: SYMMETRIC_DEFAULT',
        `hsmKey: ${label} (generated)`,
        `expiration: ${validTo}T00:00:00.000Z`,
        'imported: yes',
      ])
      const keyArn = lines[5]!.slice('keyArn: '.length)
      const keyId = keyArn.split('/')[1]!
      const meta = (await client.send(new DescribeKeyCommand({ KeyId: `alias/${alias}` })))
        .KeyMetadata!
      expect(meta.Origin).toBe('EXTERNAL')
      expect(meta.KeyState).toBe('Enabled')
      expect(meta.ExpirationModel).toBe('KEY_MATERIAL_EXPIRES')
      expect(meta.ValidTo?.toISOString()).toBe(`${validTo}T00:00:00.000Z`)
      const enc = await client.send(
        new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('reading 42') }),
      )
      const dec = await client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))
      expect(Buffer.from(dec.Plaintext!).toString()).toBe('reading 42')
      // The material check: a blob sealed inside the HSM under its key opens in KMS.
      const blob = await sealInHsm(hsm, label, keyId, Buffer.from('sealed in the HSM'))
      const opened = await client.send(new DecryptCommand({ CiphertextBlob: blob }))
      expect(Buffer.from(opened.Plaintext!).toString()).toBe('sealed in the HSM')
      // … and one sealed under another HSM key does not.
      const other = uniqueLabel('other-aes')
      await hsm.generateAes256(other)
      const foreign = await sealInHsm(hsm, other, keyId, Buffer.from('x'))
      await expect(client.send(new DecryptCommand({ CiphertextBlob: foreign }))).rejects.toThrow(
        expect.objectContaining({ name: 'InvalidCiphertextException' }),
      )
    })

    it("RSA_2048: a key pair generated in the HSM, imported with RSA_AES_KEY_WRAP_SHA_1; fetch pins the HSM's public key", async () => {
      const label = uniqueLabel('fleet-rsa')
      const alias = uniqueLabel('byok-rsa')
      const run = await byok([
        '--material',
        'RSA_2048',
        '--alias',
        alias,
        '--hsm-key-label',
        label,
        '--no-expiry',
      ])
      expect(run.err).toBe('')
      expect(run.code).toBe(0)
      expect(run.out).toContain(
        'wrappingAlgorithm: RSA_AES_KEY_WRAP_SHA_1 (the strongest both KMS and the HSM accept; RSA_AES_KEY_WRAP_SHA_256: pkcs11:station cannot produce it)\n',
      )
      expect(run.out).toContain('expiration: none (KEY_MATERIAL_DOES_NOT_EXPIRE)\n')
      const spki = Buffer.from(await hsm.publicKey(label))
      const pin = /pinSha256: ([0-9a-f]{64})/.exec(run.out)![1]!
      const dir = await tempDir()
      const fetched = await runMain([
        'fetch',
        '--endpoint',
        kms.endpoint,
        '--region',
        kms.region,
        '--key-id',
        `alias/${alias}`,
        '--out',
        join(dir, 'bundle'),
        '--expect-sha256',
        pin,
      ])
      expect(fetched.err).toBe('')
      expect(fetched.code).toBe(0)
      expect(readFileSync(join(dir, 'bundle', 'public_key.der')).equals(spki)).toBe(true)
      // A data key sealed to the pinned key opens in KMS and in the HSM alike.
      const cek = randomBytes(32)
      const wrapped = publicEncrypt(
        {
          key: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
        },
        cek,
      )
      const viaKms = await client.send(
        new DecryptCommand({
          KeyId: `alias/${alias}`,
          CiphertextBlob: wrapped,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      )
      expect(Buffer.from(viaKms.Plaintext!).equals(cek)).toBe(true)
      expect(Buffer.from(await hsm.decrypt(label, wrapped)).equals(cek)).toBe(true)
    })

    describe('through the HTTP API (stand-in over HTTPS, PKCS#11 behind it)', () => {
      let pki: TestPki
      let standin: HsmStandin
      beforeAll(async () => {
        pki = makePki('hsm')
        standin = await startHsmStandin({
          hsm,
          cert: readFileSync(pki.serverCert),
          key: readFileSync(pki.serverKey),
          port: 0,
          apiToken: 'api-token-1',
        })
      })
      afterAll(async () => {
        await standin?.close()
        if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true })
      })

      it("imports AES_256 with the note's three calls; the material is the HSM's", async () => {
        const label = uniqueLabel('http-aes')
        const alias = uniqueLabel('byok-http')
        const run = await runMain(
          [
            'byok',
            '--endpoint',
            kms.endpoint,
            '--region',
            kms.region,
            '--wrapping-key-spec',
            'RSA_2048',
            '--hsm-url',
            standin.url,
            '--hsm-ca',
            pki.caFile,
            '--material',
            'AES_256',
            '--alias',
            alias,
            '--hsm-key-label',
            label,
            '--no-expiry',
          ],
          { ...ENV, SEALWIRE_HSM_API_TOKEN: 'api-token-1' },
        )
        expect(run.err).toBe('')
        expect(run.code).toBe(0)
        expect(run.out).toContain(`hsm: http:${standin.url}\n`)
        expect(run.out).toContain('wrappingAlgorithm: RSAES_OAEP_SHA_1 (')
        expect(standin.count('/keys/RSA/import_pub_key')).toBe(1)
        expect(standin.count('/keys/AES256/generate')).toBe(1)
        expect(standin.count('/keys/wrap_key')).toBe(1)
        const keyArn = /keyArn: (\S+)/.exec(run.out)![1]!
        const blob = await sealInHsm(hsm, label, keyArn.split('/')[1]!, Buffer.from('via http'))
        const opened = await client.send(new DecryptCommand({ CiphertextBlob: blob }))
        expect(Buffer.from(opened.Plaintext!).toString()).toBe('via http')
      })

      it('refuses RSA material over the HTTP API (no key-pair generation there)', async () => {
        const run = await runMain(
          [
            'byok',
            '--endpoint',
            kms.endpoint,
            '--region',
            kms.region,
            '--hsm-url',
            standin.url,
            '--hsm-ca',
            pki.caFile,
            '--material',
            'RSA_2048',
            '--alias',
            uniqueLabel('x'),
            '--hsm-key-label',
            uniqueLabel('x'),
            '--no-expiry',
          ],
          { ...ENV, SEALWIRE_HSM_API_TOKEN: 'api-token-1' },
        )
        expectOneLine(
          run,
          2,
          'ERR_USAGE',
          `http:${standin.url} cannot generate RSA key pairs; use PKCS#11 for RSA_2048`,
        )
      })
    })

    describe('refusals: each its own exit code and one line', () => {
      /** An EXTERNAL key and import parameters for it, written to files. */
      async function parametersFor(keySpec: 'SYMMETRIC_DEFAULT' = 'SYMMETRIC_DEFAULT') {
        const key = await client.send(
          new CreateKeyCommand({
            KeySpec: keySpec,
            KeyUsage: 'ENCRYPT_DECRYPT',
            Origin: 'EXTERNAL',
          }),
        )
        const keyId = key.KeyMetadata!.KeyId!
        const p = await client.send(
          new GetParametersForImportCommand({
            KeyId: keyId,
            WrappingAlgorithm: 'RSAES_OAEP_SHA_1',
            WrappingKeySpec: 'RSA_2048',
          }),
        )
        const dir = await tempDir()
        await writeFile(join(dir, 'token.bin'), p.ImportToken!)
        await writeFile(join(dir, 'wrapping_key.der'), p.PublicKey!)
        return {
          keyId,
          tokenFile: join(dir, 'token.bin'),
          wrappingKeyFile: join(dir, 'wrapping_key.der'),
        }
      }

      it('an expired import token: exit 10', async () => {
        const p = await parametersFor()
        kmsOffsetMs = 25 * 3_600_000
        try {
          const run = await byok([
            '--material',
            'AES_256',
            '--key-id',
            p.keyId,
            '--hsm-key-label',
            uniqueLabel('t'),
            '--no-expiry',
            '--import-token',
            p.tokenFile,
            '--wrapping-key',
            p.wrappingKeyFile,
            '--wrapping-algorithm',
            'RSAES_OAEP_SHA_1',
          ])
          expectOneLine(
            run,
            10,
            'ERR_BYOK_TOKEN_EXPIRED',
            'the import token has expired (valid 24 h): run byok without --import-token for new parameters',
          )
        } finally {
          kmsOffsetMs = 0
        }
      })

      it('an import token of another key: exit 11', async () => {
        const a = await parametersFor()
        const b = await parametersFor()
        const run = await byok([
          '--material',
          'AES_256',
          '--key-id',
          b.keyId,
          '--hsm-key-label',
          uniqueLabel('t'),
          '--no-expiry',
          '--import-token',
          a.tokenFile,
          '--wrapping-key',
          a.wrappingKeyFile,
          '--wrapping-algorithm',
          'RSAES_OAEP_SHA_1',
        ])
        expectOneLine(
          run,
          11,
          'ERR_BYOK_TOKEN_FOREIGN',
          /^the import token is not one of arn:aws:kms:[^']+'s \(from another key, or not an import token\)$/,
        )
      })

      it('RSAES_PKCS1_V1_5: exit 12, before KMS or the HSM is touched', async () => {
        const calls = kms.callCount('CreateKey')
        const run = await byok([
          '--material',
          'AES_256',
          '--alias',
          uniqueLabel('x'),
          '--hsm-key-label',
          uniqueLabel('t'),
          '--no-expiry',
          '--wrapping-algorithm',
          'RSAES_PKCS1_V1_5',
        ])
        expectOneLine(
          run,
          12,
          'ERR_BYOK_ALGORITHM_DEPRECATED',
          '--wrapping-algorithm RSAES_PKCS1_V1_5: deprecated, KMS no longer accepts it (since 2023-10-10); use RSAES_OAEP_SHA_256',
        )
        expect(kms.callCount('CreateKey')).toBe(calls)
      })

      it('a ValidTo past 365 days, or in the past: exit 13', async () => {
        const far = new Date(Date.now() + 400 * DAY).toISOString().slice(0, 10)
        const run = await byok([
          '--material',
          'AES_256',
          '--alias',
          uniqueLabel('x'),
          '--hsm-key-label',
          uniqueLabel('t'),
          '--valid-to',
          far,
        ])
        expectOneLine(
          run,
          13,
          'ERR_BYOK_VALID_TO',
          new RegExp(
            `^--valid-to ${far}: more than 365 days ahead \\(KMS refuses a ValidTo past \\d{4}-`,
          ),
        )
        const past = await byok([
          '--material',
          'AES_256',
          '--alias',
          uniqueLabel('x'),
          '--hsm-key-label',
          uniqueLabel('t'),
          '--valid-to',
          '2020-01-01',
        ])
        expectOneLine(past, 13, 'ERR_BYOK_VALID_TO', '--valid-to 2020-01-01: not in the future')
      })

      it("a ValidTo KMS itself refuses (its clock is behind the station's): exit 13", async () => {
        kmsOffsetMs = -2 * DAY
        try {
          const p = await parametersFor()
          const validTo = new Date(Date.now() + 364 * DAY).toISOString().slice(0, 10)
          const run = await byok([
            '--material',
            'AES_256',
            '--key-id',
            p.keyId,
            '--hsm-key-label',
            uniqueLabel('t'),
            '--valid-to',
            validTo,
            '--import-token',
            p.tokenFile,
            '--wrapping-key',
            p.wrappingKeyFile,
            '--wrapping-algorithm',
            'RSAES_OAEP_SHA_1',
          ])
          expectOneLine(
            run,
            13,
            'ERR_BYOK_VALID_TO',
            /^KMS refused the ValidTo: KMS ImportKeyMaterial refused: .*ValidTo must be in the future and at most 365 days from now/,
          )
        } finally {
          kmsOffsetMs = 0
        }
      })

      it('a key that is not EXTERNAL: exit 14', async () => {
        const key = await client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT' }))
        const run = await byok([
          '--material',
          'AES_256',
          '--key-id',
          key.KeyMetadata!.KeyId!,
          '--hsm-key-label',
          uniqueLabel('t'),
          '--no-expiry',
        ])
        expectOneLine(
          run,
          14,
          'ERR_BYOK_KEY',
          /^arn:aws:kms:\S+ has Origin AWS_KMS: material can be imported only into an EXTERNAL key$/,
        )
      })

      it('the HSM: unknown token exit 15, wrong PIN exit 16, a taken key label exit 17', async () => {
        const unknown = await runMain(
          [
            'byok',
            '--endpoint',
            kms.endpoint,
            '--region',
            kms.region,
            '--token-label',
            'nope',
            '--material',
            'AES_256',
            '--alias',
            uniqueLabel('x'),
            '--hsm-key-label',
            'l',
            '--no-expiry',
          ],
          env,
        )
        expectOneLine(
          unknown,
          15,
          'ERR_HSM_UNAVAILABLE',
          `no PKCS#11 token labelled "nope" in ${token.module}`,
        )
        const dir = await tempDir()
        await writeFile(join(dir, 'pin'), 'not-the-pin\n', { mode: 0o600 })
        const wrongPin = await byok(
          [
            '--pin-file',
            join(dir, 'pin'),
            '--material',
            'AES_256',
            '--alias',
            uniqueLabel('x'),
            '--hsm-key-label',
            'l',
            '--no-expiry',
          ],
          ENV,
        )
        expectOneLine(
          wrongPin,
          16,
          'ERR_HSM_LOGIN',
          'token "station" refused the login: CKR_PIN_INCORRECT',
        )
        const taken = uniqueLabel('taken')
        await hsm.generateAes256(taken)
        const run = await byok([
          '--material',
          'AES_256',
          '--alias',
          uniqueLabel('x'),
          '--hsm-key-label',
          taken,
          '--no-expiry',
        ])
        expectOneLine(
          run,
          17,
          'ERR_HSM_KEY_EXISTS',
          `pkcs11:station: a key labelled "${taken}" exists already`,
        )
      })

      it('no PIN in the environment, and no flag that takes a PIN value: usage (exit 2)', async () => {
        const noPin = await byok(
          ['--material', 'AES_256', '--alias', 'x', '--hsm-key-label', 'l', '--no-expiry'],
          ENV,
        )
        expectOneLine(
          noPin,
          2,
          'ERR_USAGE',
          'no PKCS#11 PIN: set SEALWIRE_HSM_PIN (or use --pin-file FILE)',
        )
        const flagPin = await byok([
          '--pin',
          '1234',
          '--material',
          'AES_256',
          '--alias',
          'x',
          '--hsm-key-label',
          'l',
          '--no-expiry',
        ])
        expectOneLine(flagPin, 2, 'ERR_USAGE', /^Unknown option '--pin'/)
      })

      it('--help documents the command and its exit codes', async () => {
        const run = await runMain(['byok', '--help'])
        expect(run.code).toBe(0)
        expect(run.out).toMatch(
          /^usage: sealwire-provision byok --material AES_256\|RSA_2048\|RSA_3072\|RSA_4096/,
        )
        expect(run.out).toContain(
          '10 import token expired, 11 import token of another key, 12 deprecated wrapping',
        )
      })
    })
  },
)
