/**
 * End to end through kms-local: create-key → fetch → the device's bundle check → seal with the
 * envelope → open with KMS Decrypt, one Decrypt per epoch however many messages it holds.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { createKeyWrapper, Opener, parseRecipientKey, Sealer } from '../../envelope/src/index.ts'
import { main, verifyBundle } from '../../provisioning/src/index.ts'
import { capture, cleanupTempDirs, tempDir } from './_helpers.ts'

type Kms = Awaited<ReturnType<typeof startKmsLocal>>

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST', AWS_SECRET_ACCESS_KEY: 'local-secret' }
let kms: Kms
let client: KMSClient

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  client = new KMSClient({
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: { accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY },
  })
})

afterAll(async () => {
  client?.destroy()
  await kms?.close()
  await cleanupTempDirs()
})

async function cli(args: string[]): Promise<string> {
  const c = capture(ENV)
  const code = await main([...args, '--endpoint', kms.endpoint, '--region', kms.region], c.io)
  expect(code, c.err()).toBe(0)
  return c.out()
}

describe('create-key → fetch → seal → KMS Decrypt → open', () => {
  for (const spec of ['RSA_2048', 'RSA_3072'] as const) {
    it(`round-trips several messages of one epoch with one Decrypt (${spec})`, async () => {
      const alias = `alias/e2e-${spec}`
      const created = await cli(['create-key', '--alias', alias, '--spec', spec])
      const keyArn = /^keyArn: (\S+)$/m.exec(created)![1]!
      const dir = join(await tempDir(), 'key')
      const fetched = await cli(['fetch', '--key-id', alias, '--out', dir])
      const pin = /^pinSha256: (\S+)$/m.exec(fetched)![1]!

      // The device side: the bundle check the agent runs at start, then the envelope.
      const bundle = await verifyBundle(dir, { expectSha256: pin })
      const deviceId = 'dev-0001'
      const sealer = new Sealer({
        wrapper: createKeyWrapper(parseRecipientKey(bundle.key.spki)),
        deviceId,
        random: (n) => new Uint8Array(randomBytes(n)),
      })
      let seq = 0
      const plaintexts = Array.from({ length: 5 }, (_, i) =>
        new TextEncoder().encode(`reading ${i}: ${21 + i} °C`),
      )
      const sealed = plaintexts.map((p) => sealer.seal(p, () => ++seq))
      expect(sealed[0]!.announcement).toBeDefined()
      expect(sealed.slice(1).every((s) => s.announcement === undefined)).toBe(true)

      // The cloud side: KMS Decrypt of the wrapped data key, once per epoch.
      const decryptsBefore = kms.callCount('Decrypt')
      const opener = new Opener({
        unwrap: async (wrapped) =>
          (
            await client.send(
              new DecryptCommand({
                KeyId: keyArn,
                CiphertextBlob: wrapped,
                EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
              }),
            )
          ).Plaintext!,
        pinIds: [bundle.key.pinId],
      })
      const announced = await opener.openAnnouncement(sealed[0]!.announcement!.bytes, deviceId)
      expect(announced.metadata).toMatchObject({ deviceId })
      for (let i = 0; i < sealed.length; i++) {
        const opened = await opener.open(sealed[i]!.message.bytes, deviceId)
        expect(new TextDecoder().decode(opened.plaintext)).toBe(
          new TextDecoder().decode(plaintexts[i]!),
        )
        expect(opened.seq).toBe(sealed[i]!.message.seq)
      }
      expect(kms.callCount('Decrypt') - decryptsBefore).toBe(1)
      expect(opener.unwraps).toBe(1)

      // A message moved to another device's topic does not open.
      await expect(opener.open(sealed[1]!.message.bytes, 'dev-0002')).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_/),
      })
    })
  }
})
