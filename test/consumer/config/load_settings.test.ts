/**
 * The settings loader: every setting has its SEALWIRE_CONSUMER_* variable, lists are
 * comma-separated, the short forms work, flags replace lists, and the defaults are what the
 * README says.
 */
import { describe, expect, it } from 'vitest'
import { consumerDefaults } from '../../../consumer/src/config/defaults.ts'
import { loadSettings, settingEnvNames } from '../../../consumer/src/config/load_settings.ts'

describe('loadSettings', () => {
  it('names a variable after every setting', () => {
    const names = settingEnvNames()
    expect(names.get('kms.ratePerSecond')).toBe('SEALWIRE_CONSUMER_KMS_RATE_PER_SECOND')
    expect(names.get('broker.tls.key')).toBe('SEALWIRE_CONSUMER_BROKER_TLS_KEY')
    expect(names.get('keyIds')).toBe('SEALWIRE_CONSUMER_KEY_IDS')
    expect(names.size).toBeGreaterThan(40)
  })

  it('reads lists, numbers, unions and the short forms from the environment; flags win', async () => {
    const { settings, sources } = await loadSettings({
      flags: {},
      env: {
        SEALWIRE_CONSUMER_KEY_ID: 'alias/a, alias/b',
        SEALWIRE_CONSUMER_BROKER: 'mqtt://broker:1883',
        SEALWIRE_CONSUMER_BROKER_PROTOCOL_VERSION: '4',
        SEALWIRE_CONSUMER_KMS_RATE_PER_SECOND: '12.5',
        SEALWIRE_CONSUMER_LOG_LEVEL: 'warn',
        SEALWIRE_AGENT_THING: 'not ours',
      },
    })
    expect(settings.keyIds).toEqual(['alias/a', 'alias/b'])
    expect(settings.broker.url).toBe('mqtt://broker:1883')
    expect(settings.broker.protocolVersion).toBe(4)
    expect(settings.kms.ratePerSecond).toBe(12.5)
    expect(settings.log.level).toBe('warn')
    expect(sources.get('keyIds')).toBe('SEALWIRE_CONSUMER_KEY_ID')
    const flagged = await loadSettings({
      flags: { 'key-id': ['alias/c'], 'share-group': 'g1' },
      env: { SEALWIRE_CONSUMER_KEY_IDS: 'alias/a,alias/b' },
    })
    expect(flagged.settings.keyIds).toEqual(['alias/c'])
    expect(flagged.settings.broker.shareGroup).toBe('g1')
    expect(flagged.sources.get('broker.shareGroup')).toBe('--share-group')
  })

  it('keeps the defaults the README lists', async () => {
    const { settings } = await loadSettings({ flags: {}, env: {} })
    expect(settings).toEqual(consumerDefaults)
    expect(settings.kms.ratePerSecond).toBe(400)
    expect(settings.parking).toEqual({ maxMessages: 10_000, maxAgeMs: 30_000 })
    expect(settings.epochs.cacheTtlMs).toBe(2 * 3_600_000)
    expect(settings.broker.protocolVersion).toBe('auto')
  })
})
