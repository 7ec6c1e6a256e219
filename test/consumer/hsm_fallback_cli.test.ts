/**
 * The HSM fallback through the `sealwire-consumer` executable's `replay` command: settings from a
 * config file, the PIN from the environment, the HSM opened at start and its key labels mapped to
 * the served kids; with `hsm-first`, messages dead-lettered while KMS was away are delivered with
 * no KMS `Decrypt`. Start-up refusals: each one line and its exit code.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deadLettersFromSpec } from '../../consumer/src/dead_letters/index.ts'
import { main as consumerMain } from '../../consumer/src/main.ts'
import { fetchPublicKey, KmsSession } from '../../kms-client/src/index.ts'
import type { CheckedPublicKey } from '../../kms-client/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { main as stationMain } from '../../provisioning/src/index.ts'
import { softhsmPresent, softToken, uniqueLabel } from '../hsm/_softhsm.ts'
import type { SoftToken } from '../hsm/_softhsm.ts'
import { capture, cleanupTempDirs, skipWithout, tempDir } from '../helpers/index.ts'
import { KMS_ENV, SimDevice } from './_helpers.ts'

describe.skipIf(skipWithout(softhsmPresent(), 'SoftHSM2 (apt-get install softhsm2)'))(
  'sealwire-consumer replay with the HSM fallback',
  () => {
    let token: SoftToken
    let kms: KmsLocalServer
    let alias: string
    let label: string
    let checked: CheckedPublicKey

    beforeAll(async () => {
      token = await softToken('consumer')
      kms = await startKmsLocal({ port: 0 })
      alias = `alias/${uniqueLabel('fleet')}`
      label = uniqueLabel('fleet-rsa')
      const c = capture({ ...KMS_ENV, SEALWIRE_HSM_PIN: token.pin })
      const code = await stationMain(
        [
          'byok',
          '--endpoint',
          kms.endpoint,
          '--region',
          kms.region,
          '--token-label',
          'consumer',
          '--material',
          'RSA_2048',
          '--alias',
          alias,
          '--hsm-key-label',
          label,
          '--no-expiry',
          '--wrapping-key-spec',
          'RSA_2048',
        ],
        c.io,
      )
      expect(c.err()).toBe('')
      expect(code).toBe(0)
      const session = new KmsSession({ endpoint: kms.endpoint, region: kms.region, env: KMS_ENV })
      checked = (await fetchPublicKey(session, alias)).checked
      session.close()
    })
    afterAll(async () => {
      await kms?.close()
      await cleanupTempDirs()
    })

    async function replay(hsm: object, env: Record<string, string> = {}) {
      const dir = await tempDir()
      const config = join(dir, 'consumer.json')
      await writeFile(config, JSON.stringify({ hsm: { tokenLabel: 'consumer', ...hsm } }))
      const letters = join(dir, 'letters')
      const store = await deadLettersFromSpec(letters, {})
      const device = new SimDevice('dev-1', 'sealwire', checked)
      const msgs = [...device.seal(device.reading(1)), ...device.seal(device.reading(2))]
      for (const m of msgs) {
        await store.put({
          topic: m.topic,
          bytes: m.payload,
          reason: 'kms-unavailable',
          detail: 'ERR_UNWRAP_UNAVAILABLE: KMS was away',
          at: Date.now(),
        })
      }
      await store.close()
      const sink = join(dir, 'out.jsonl')
      const c = capture({ ...KMS_ENV, SEALWIRE_HSM_PIN: token.pin, ...env })
      const code = await consumerMain(
        [
          'replay',
          '--config',
          config,
          '--endpoint',
          kms.endpoint,
          '--region',
          kms.region,
          '--key-id',
          alias,
          '--dead-letters',
          letters,
          '--sink',
          `jsonl:${sink}`,
        ],
        c.io,
      )
      return { code, out: c.out(), err: c.err(), sink }
    }

    it('hsm-first: the HSM opens every epoch, KMS Decrypt is not called', async () => {
      const decrypts = kms.callCount('Decrypt')
      const r = await replay({ keyLabels: [label], order: 'hsm-first' })
      expect(r.code, r.err).toBe(0)
      expect(r.out).toBe(
        'replayed 3 dead letters: 2 delivered, 1 announcements, 0 duplicates removed; 0 kept\n',
      )
      const rows = (await readFile(r.sink, 'utf8')).trim().split('\n')
      expect(rows.map((l) => (JSON.parse(l) as { value: number }).value)).toEqual([1, 2])
      expect(kms.callCount('Decrypt')).toBe(decrypts)
      const ready = r.err
        .split('\n')
        .filter((l) => l.includes('"hsm-fallback-ready"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(ready).toEqual([
        expect.objectContaining({
          hsm: 'pkcs11:consumer',
          order: 'hsm-first',
          decrypt: 'raw-rsa',
          kids: [checked.pinId],
        }),
      ])
      expect(r.err).not.toContain(token.pin)
    })

    it('refuses at start, one line each: a missing key label (78), an unknown token (69), no PIN (78)', async () => {
      const missing = await replay({ keyLabels: ['no-such-key'] })
      expect(missing.code).toBe(78)
      expect(missing.err.trim().split('\n').at(-1)).toBe(
        'error ERR_HSM_KEY_NOT_FOUND: pkcs11:consumer: no RSA public key labelled "no-such-key"',
      )
      const unknown = await replay({
        keyLabels: [label],
        module: token.module,
        tokenLabel: 'other',
      })
      expect(unknown.code).toBe(69)
      expect(unknown.err.trim().split('\n').at(-1)).toBe(
        `error ERR_HSM_UNAVAILABLE: no PKCS#11 token labelled "other" in ${token.module}`,
      )
      const noPin = await replay({ keyLabels: [label], pinEnv: 'NO_SUCH_PIN_VAR' })
      expect(noPin.code).toBe(78)
      expect(noPin.err.trim().split('\n').at(-1)).toMatch(
        /^error ERR_CONFIG: .*hsm\.pinEnv.*no PIN: set NO_SUCH_PIN_VAR$/,
      )
    })
  },
)
