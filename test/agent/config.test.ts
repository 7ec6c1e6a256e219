/**
 * Settings layers and the published JSON Schema.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { agentJsonSchema } from '../../agent/src/config/json_schema.ts'
import { loadSettings, settingEnvNames } from '../../agent/src/config/load_settings.ts'
import { caught, cleanupTempDirs, repoRoot, tempDir } from '../helpers/index.ts'

afterEach(cleanupTempDirs)

describe('agent/config.schema.json', () => {
  it('is exactly what the TypeBox schema gives (regenerate with: sealwire-agent schema)', () => {
    const published = JSON.parse(readFileSync(join(repoRoot, 'agent/config.schema.json'), 'utf8'))
    expect(published).toEqual(agentJsonSchema())
  })
})

describe('loadSettings', () => {
  it('layers defaults < file < env < flags, and records each source', async () => {
    const dir = await tempDir()
    const file = join(dir, 'agent.json')
    writeFileSync(
      file,
      JSON.stringify({
        $schema: './config.schema.json',
        state: '/from/file',
        broker: { url: 'mqtt://file:1883', keepaliveSec: 30 },
        outbox: { policy: 'drop-oldest' },
      }),
    )
    const { settings, sources } = await loadSettings({
      flags: { config: file, broker: 'mqtt://flag:1883' },
      env: {
        SEALWIRE_STATE: '/from/env',
        SEALWIRE_BROKER_KEEPALIVE_SEC: '45',
        SEALWIRE_DEBUG: '1',
      },
    })
    expect(settings.state).toBe('/from/env')
    expect(settings.broker.url).toBe('mqtt://flag:1883')
    expect(settings.broker.keepaliveSec).toBe(45)
    expect(settings.outbox.policy).toBe('drop-oldest')
    expect(settings.outbox.maxCount).toBe(200_000)
    expect(sources.get('broker.url')).toBe('--broker')
    expect(sources.get('state')).toBe('SEALWIRE_STATE')
    expect(sources.get('outbox.policy')).toMatch(/^config file ".*agent\.json"$/)
  })

  it('maps every setting to one SEALWIRE_ variable in upper snake case', () => {
    const names = settingEnvNames()
    expect(names.get('outbox.maxBytes')).toBe('SEALWIRE_OUTBOX_MAX_BYTES')
    expect(names.get('broker.tls.key')).toBe('SEALWIRE_BROKER_TLS_KEY')
    expect(names.get('device')).toBe('SEALWIRE_DEVICE')
    expect(new Set(names.values()).size).toBe(names.size)
  })

  it('reads SEALWIRE_BROKER and SEALWIRE_HTTP as broker.url and http.listen', async () => {
    const { settings } = await loadSettings({
      flags: {},
      env: {
        SEALWIRE_BROKER: 'mqtt://b:1',
        SEALWIRE_HTTP: 'unix:/run/a.sock',
        SEALWIRE_STDIN: 'true',
      },
    })
    expect(settings.broker.url).toBe('mqtt://b:1')
    expect(settings.http.listen).toBe('unix:/run/a.sock')
    expect(settings.stdin).toBe(true)
  })

  it('refuses a duplicated key and a non-JSON file, naming the file', async () => {
    const dir = await tempDir()
    const file = join(dir, 'c.json')
    writeFileSync(file, '{"state": "/a", "state": "/b"}')
    const err = await caught(loadSettings({ flags: { config: file }, env: {} }))
    expect(err).toMatchObject({ code: 'ERR_CONFIG' })
    expect(err.message).toMatch(
      /^\(document\) \(config file ".*c\.json"\): not JSON: duplicate key "state" at line 1, column 17$/,
    )
    const missing = await caught(
      loadSettings({ flags: { config: join(dir, 'none.json') }, env: {} }),
    )
    expect(missing.message).toMatch(
      /^--config \(config file ".*none\.json"\): cannot read ".*none\.json": ENOENT$/,
    )
  })

  it('refuses an unknown key in the file with its path', async () => {
    const dir = await tempDir()
    const file = join(dir, 'c.json')
    writeFileSync(file, JSON.stringify({ outbox: { maxbytes: 1 } }))
    const err = await caught(loadSettings({ flags: { config: file }, env: {} }))
    expect(err.message).toMatch(
      /^outbox\.maxbytes \(config file ".*c\.json"\): Unexpected property$/,
    )
  })

  it('refuses a bad boolean and a bad number from the environment', async () => {
    expect(
      (await caught(loadSettings({ flags: {}, env: { SEALWIRE_STDIN: 'maybe' } }))).message,
    ).toBe('stdin (SEALWIRE_STDIN): expected true or false, got "maybe"')
    expect(
      (
        await caught(
          loadSettings({ flags: {}, env: { SEALWIRE_ENTROPY_MIN_ENTROPY_PER_SAMPLE: '9' } }),
        )
      ).message,
    ).toBe(
      'entropy.minEntropyPerSample (SEALWIRE_ENTROPY_MIN_ENTROPY_PER_SAMPLE): Expected number to be less or equal to 8',
    )
  })
})
