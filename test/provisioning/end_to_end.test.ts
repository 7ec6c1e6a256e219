/**
 * End to end through kms-local: create-key → batch → the device agent's start-up check
 * (`verifyDeviceFolder`) → seal with the envelope → open with kms-client's `kmsUnwrap` (KMS
 * `Decrypt`), one Decrypt per epoch however many messages it holds.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { createKeyWrapper, Opener, Sealer } from '../../envelope/src/index.ts'
import { deviceIdFromTopic, verifyDeviceFolder } from '../../device-bundle/src/index.ts'
import { KmsSession, kmsUnwrap } from '../../kms-client/src/index.ts'
import { main } from '../../provisioning/src/index.ts'
import type { Kms } from './_helpers.ts'
import { capture, cleanupTempDirs, ENV, tempDir } from './_helpers.ts'

let kms: Kms
let session: KmsSession

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  session = new KmsSession({ endpoint: kms.endpoint, region: kms.region, env: ENV })
})

afterAll(async () => {
  session?.close()
  await kms?.close()
  await cleanupTempDirs()
})

async function cli(args: string[]): Promise<string> {
  const c = capture(ENV)
  const code = await main([...args, '--endpoint', kms.endpoint, '--region', kms.region], c.io)
  expect(code, c.err()).toBe(0)
  return c.out()
}

describe('create-key → batch → verifyDeviceFolder → seal → kmsUnwrap → open', () => {
  for (const spec of ['RSA_2048', 'RSA_3072'] as const) {
    it(`round-trips several messages of one epoch with one Decrypt (${spec})`, async () => {
      const alias = `alias/e2e-${spec}`
      const created = await cli(['create-key', '--alias', alias, '--spec', spec])
      const keyArn = /^keyArn: (\S+)$/m.exec(created)![1]!
      const root = await tempDir()
      await writeFile(join(root, 'devices.csv'), 'device_id\ndev-0001\n')
      const batch = await cli([
        'batch',
        '--devices',
        join(root, 'devices.csv'),
        '--key-id',
        alias,
        '--out',
        join(root, 'out'),
        '--topic-prefix',
        'acme/line7',
      ])
      const pin = /^pinSha256: (\S+)$/m.exec(batch)![1]!

      // The device side: the agent's start-up check of its folder, then the envelope.
      const { config, bundle } = await verifyDeviceFolder(join(root, 'out', 'dev-0001'), {
        expectSha256: pin,
      })
      expect(bundle.manifest.keyArn).toBe(keyArn)
      expect(config.key.keySpec).toBe(spec)
      const sealer = new Sealer({
        wrapper: createKeyWrapper(bundle.key),
        deviceId: config.deviceId,
        random: (n) => new Uint8Array(randomBytes(n)),
      })
      let seq = 0
      const plaintexts = Array.from({ length: 5 }, (_, i) =>
        new TextEncoder().encode(`reading ${i}: ${21 + i} °C`),
      )
      const sealed = plaintexts.map((p) => sealer.seal(p, () => ++seq))
      expect(sealed[0]!.announcement).toBeDefined()
      expect(sealed.slice(1).every((s) => s.announcement === undefined)).toBe(true)

      // The cloud side: the device id comes from the topic; KMS Decrypt once per epoch.
      const fromKeyTopic = deviceIdFromTopic(config.topics.key, 'acme/line7')!
      const fromDataTopic = deviceIdFromTopic(config.topics.data, 'acme/line7')!
      expect(fromKeyTopic).toEqual({ deviceId: 'dev-0001', kind: 'key' })
      const unwrap = kmsUnwrap({ session, keys: { [config.key.pinId]: config.key.arn } })
      const opener = new Opener({ unwrap, pinIds: [bundle.key.pinId] })
      const decryptsBefore = kms.callCount('Decrypt')
      const announced = await opener.openAnnouncement(
        sealed[0]!.announcement!.bytes,
        fromKeyTopic.deviceId,
      )
      expect(announced.metadata).toMatchObject({ deviceId: 'dev-0001' })
      for (let i = 0; i < sealed.length; i++) {
        const opened = await opener.open(sealed[i]!.message.bytes, fromDataTopic.deviceId)
        expect(new TextDecoder().decode(opened.plaintext)).toBe(
          new TextDecoder().decode(plaintexts[i]!),
        )
        expect(opened.seq).toBe(sealed[i]!.message.seq)
      }
      expect(kms.callCount('Decrypt') - decryptsBefore).toBe(1)
      expect(unwrap.stats().decryptRequests).toBe(1)

      // A message moved to another device's topic does not open.
      await expect(opener.open(sealed[1]!.message.bytes, 'dev-0002')).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_/),
      })
    })
  }
})
