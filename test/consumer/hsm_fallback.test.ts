/**
 * RSA BYOK end to end with the consumer's HSM fallback: `sealwire-provision byok` generates an
 * RSA key pair in SoftHSM2 and imports its private key into kms-local; `fetch` pins its public
 * key; a device seals to the pinned key; the consumer opens through KMS, then, with kms-local
 * stopped, through the HSM (raw RSA in the token, OAEP decoding in process), counted in metrics
 * and logged.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createConsumerCore } from '../../consumer/src/consumer_core.ts'
import { hsmLabelsFor } from '../../consumer/src/keys/hsm_labels.ts'
import { keyRingOf } from '../../consumer/src/keys/key_ring.ts'
import { MemoryConsumerState } from '../../consumer/src/state/index.ts'
import { Pkcs11Hsm } from '../../hsm/src/index.ts'
import { fetchPublicKey, KmsSession } from '../../kms-client/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { main } from '../../provisioning/src/index.ts'
import { softhsmPresent, softToken, uniqueLabel } from '../hsm/_softhsm.ts'
import type { SoftToken } from '../hsm/_softhsm.ts'
import { capture, cleanupTempDirs, skipWithout, tempDir } from '../helpers/index.ts'
import {
  KMS_ENV,
  MemoryDeadLetters,
  MemorySink,
  quietLogger,
  SimDevice,
  TEST_KEY_SETTINGS,
  testPipelineSettings,
  uniquePrefix,
} from './_helpers.ts'

describe.skipIf(skipWithout(softhsmPresent(), 'SoftHSM2 (apt-get install softhsm2)'))(
  'RSA BYOK: the consumer opens through KMS, then through the HSM with KMS stopped',
  () => {
    let token: SoftToken
    let kms: KmsLocalServer
    let hsm: Pkcs11Hsm

    beforeAll(async () => {
      token = await softToken('station')
      kms = await startKmsLocal({ port: 0 })
    })
    afterAll(async () => {
      await hsm?.close()
      await kms?.close()
      await cleanupTempDirs()
    })

    async function station(args: string[]): Promise<string> {
      const c = capture({ ...KMS_ENV, SEALWIRE_HSM_PIN: token.pin })
      const code = await main([...args, '--endpoint', kms.endpoint, '--region', kms.region], c.io)
      expect(c.err()).toBe('')
      expect(code).toBe(0)
      return c.out()
    }

    it('delivers through KMS, then through the HSM while KMS is down, counted and logged', async () => {
      const label = uniqueLabel('fleet-rsa')
      const alias = `alias/${uniqueLabel('fleet')}`
      const out = await station([
        'byok',
        '--token-label',
        'station',
        '--material',
        'RSA_2048',
        '--alias',
        alias,
        '--hsm-key-label',
        label,
        '--no-expiry',
        '--wrapping-key-spec',
        'RSA_2048',
      ])
      const pin = /pinSha256: ([0-9a-f]{64})/.exec(out)![1]!
      const dir = await tempDir()
      await station(['fetch', '--key-id', alias, '--out', join(dir, 'b'), '--expect-sha256', pin])
      const pinned = readFileSync(join(dir, 'b', 'public_key.der'))

      const session = new KmsSession({
        endpoint: kms.endpoint,
        region: kms.region,
        env: KMS_ENV,
        retry: { maxRetries: 0, initialMs: 1, maxMs: 1 },
      })
      const { checked } = await fetchPublicKey(session, alias)
      expect(Buffer.from(checked.key.spki).equals(pinned)).toBe(true)
      const ring = keyRingOf([{ keyId: alias, checked }])
      hsm = await Pkcs11Hsm.open({ module: token.module, tokenLabel: 'station', pin: token.pin })
      const labels = await hsmLabelsFor(hsm, [label], ring)
      expect([...labels]).toEqual([[checked.pinId, label]])

      const prefix = uniquePrefix()
      const sink = new MemorySink()
      const letters = new MemoryDeadLetters()
      const { log, events } = quietLogger()
      const core = createConsumerCore({
        ring,
        session,
        state: new MemoryConsumerState({ windowSize: 8 }),
        sink,
        deadLetters: letters,
        settings: { keys: TEST_KEY_SETTINGS, pipeline: testPipelineSettings(prefix) },
        log,
        hsmFallback: { hsm, labels, order: 'kms-first', kmsRetryAfterMs: 60_000 },
      })
      const metric = async (labelsText: string): Promise<number> => {
        const text = await core.metrics.registry.metrics()
        const m = new RegExp(
          `^sealwire_consumer_hsm_fallbacks_total\\{${labelsText}\\} (\\S+)$`,
          'm',
        ).exec(text)
        return m === null ? 0 : Number(m[1])
      }
      const deliver = async (device: SimDevice, value: number) => {
        for (const m of device.seal(device.reading(value))) {
          await core.pipeline.handle({ topic: m.topic, payload: m.payload, receivedAt: Date.now() })
        }
      }

      // KMS up: through KMS, no fallback.
      await deliver(new SimDevice('dev-1', prefix, checked), 1)
      expect(kms.callCount('Decrypt')).toBe(1)
      expect(sink.rows.size).toBe(1)
      expect(await metric('to="hsm",outcome="unwrapped"')).toBe(0)

      // KMS stopped: a new epoch opens through the HSM.
      await kms.close()
      await deliver(new SimDevice('dev-2', prefix, checked), 2)
      expect(sink.rows.size).toBe(2)
      expect(letters.letters.size).toBe(0)
      expect(await metric('to="hsm",outcome="unwrapped"')).toBe(1)
      const logged = events.filter((e) => e.event === 'hsm-fallback')
      expect(logged).toEqual([
        expect.objectContaining({
          kid: checked.pinId,
          from: 'kms',
          to: 'hsm',
          reason: 'ERR_KMS_UNAVAILABLE',
          outcome: 'unwrapped',
        }),
      ])
      // While KMS is known down, the next new epoch goes to the HSM at once.
      await deliver(new SimDevice('dev-3', prefix, checked), 3)
      expect(sink.rows.size).toBe(3)
      expect(await metric('to="hsm",outcome="unwrapped"')).toBe(2)
      expect(events.filter((e) => e.event === 'hsm-fallback').at(-1)).toMatchObject({
        reason: 'kms-down',
      })
      // No log line holds key bytes: only the kid (a public pin id) and codes.
      expect(JSON.stringify(logged)).not.toMatch(/[0-9a-f]{64}/)
      await core.stop(1_000)
      session.close()
      // kms-local is closed; afterAll's close is a no-op then.
      kms = { close: () => Promise.resolve() } as unknown as KmsLocalServer
    })
  },
)
