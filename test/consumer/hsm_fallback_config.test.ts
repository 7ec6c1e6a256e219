/**
 * The HSM fallback's settings (`hsm.*`) through the consumer's layered loader: off by default,
 * from a config file and the environment, the PIN only from an environment variable or a 0600
 * file, and each problem one `ERR_CONFIG` naming the setting.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkHsmSettings } from '../../consumer/src/config/check_hsm.ts'
import { loadSettings } from '../../consumer/src/config/load_settings.ts'
import { caught, cleanupTempDirs, tempDir } from '../helpers/index.ts'

afterAll(cleanupTempDirs)

async function load(env: Record<string, string>, file?: object) {
  let config: string | undefined
  if (file !== undefined) {
    config = join(await tempDir(), 'consumer.json')
    await writeFile(config, JSON.stringify(file))
  }
  return loadSettings({ config, flags: {}, env })
}

describe('hsm.* settings', () => {
  it('are off by default', async () => {
    const loaded = await load({})
    expect(loaded.settings.hsm.order).toBe('kms-first')
    expect(await checkHsmSettings(loaded, {})).toBeUndefined()
  })

  it('come from a config file, with the PIN from the named environment variable', async () => {
    const loaded = await load(
      { STATION_PIN: '4321' },
      {
        hsm: {
          tokenLabel: 'consumer',
          keyLabels: ['fleet-rsa'],
          pinEnv: 'STATION_PIN',
          order: 'hsm-first',
        },
      },
    )
    expect(await checkHsmSettings(loaded, { STATION_PIN: '4321' })).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      tokenLabel: 'consumer',
      pin: '4321',
      keyLabels: ['fleet-rsa'],
      keyLabelsSource: expect.stringMatching(/^config file ".*consumer\.json"$/),
      order: 'hsm-first',
      kmsRetryAfterMs: 30_000,
    })
  })

  it('come from the environment; the PIN from a 0600 file', async () => {
    const dir = await tempDir()
    const pinFile = join(dir, 'pin')
    await writeFile(pinFile, '9999\n', { mode: 0o600 })
    const env = {
      SEALWIRE_CONSUMER_HSM_TOKEN_LABEL: 'consumer',
      SEALWIRE_CONSUMER_HSM_KEY_LABELS: 'a,b',
      SEALWIRE_CONSUMER_HSM_PIN_FILE: pinFile,
    }
    const checked = await checkHsmSettings(await load(env), env)
    expect(checked?.pin).toBe('9999')
    expect(checked?.keyLabels).toEqual(['a', 'b'])
  })

  it('refuses each problem with one ERR_CONFIG naming the setting', async () => {
    const noLabels = await caught(
      checkHsmSettings(await load({}, { hsm: { tokenLabel: 't' } }), {}),
    )
    expect(noLabels.code).toBe('ERR_CONFIG')
    expect(noLabels.message).toMatch(/^hsm\.keyLabels/)
    const noPin = await caught(
      checkHsmSettings(await load({}, { hsm: { tokenLabel: 't', keyLabels: ['k'] } }), {}),
    )
    expect(noPin.code).toBe('ERR_CONFIG')
    expect(noPin.message).toMatch(/^hsm\.pinEnv.*no PIN: set SEALWIRE_HSM_PIN$/)
    const dir = await tempDir()
    const loose = join(dir, 'pin')
    await writeFile(loose, '1\n', { mode: 0o644 })
    const open = await caught(
      checkHsmSettings(
        await load({}, { hsm: { tokenLabel: 't', keyLabels: ['k'], pinFile: loose } }),
        {},
      ),
    )
    expect(open.code).toBe('ERR_CONFIG')
    expect(open.message).toMatch(/^hsm\.pinFile.*is readable by group or others \(chmod 600 it\)$/)
    const orphan = await caught(checkHsmSettings(await load({}, { hsm: { keyLabels: ['k'] } }), {}))
    expect(orphan.message).toMatch(/^hsm\.keyLabels.*needs hsm\.tokenLabel$/)
    const badOrder = await caught(load({}, { hsm: { order: 'hsm-only' } }))
    expect(badOrder.code).toBe('ERR_CONFIG')
  })
})
