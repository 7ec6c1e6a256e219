/**
 * Loads the consumer's settings in layers, each checked on its own so an error names its source:
 * **defaults < JSON config file < environment (`SEALWIRE_CONSUMER_*`) < flags**, then merged.
 * Every leaf of the schema has an environment variable: `SEALWIRE_CONSUMER_` + its path in upper
 * snake case (`kms.ratePerSecond` → `SEALWIRE_CONSUMER_KMS_RATE_PER_SECOND`); a list
 * (`keyIds`) is comma-separated. `SEALWIRE_CONSUMER_BROKER` and `SEALWIRE_CONSUMER_KEY_ID` are
 * short for `broker.url` and `keyIds`, as the flags are. An unknown `SEALWIRE_CONSUMER_*`
 * variable is refused (a typo must not pass silently), except `SEALWIRE_CONSUMER_CONFIG` (the
 * file). A repeated `--key-id` gives a list; the flags' list replaces the lower layers' one.
 *
 * @example
 * ```ts
 * const { settings, sources } = await loadSettings({ flags: { keyIds: ['alias/fleet'] }, env: process.env })
 * ```
 */
import type { LayeredSettingsInput } from '../../../platform/src/index.ts'
import { layeredSettings } from '../../../platform/src/index.ts'
import type { ConsumerSettings } from './defaults.ts'
import { consumerDefaults } from './defaults.ts'
import { ConsumerSettingsSchema } from './schema.ts'

/** Flag name → the setting it sets. */
export const FLAG_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  broker: 'broker.url',
  'key-id': 'keyIds',
  sink: 'sink',
  'share-group': 'broker.shareGroup',
  'client-id': 'broker.clientId',
  state: 'state',
  'dead-letters': 'deadLetters',
  endpoint: 'kms.endpoint',
  region: 'kms.region',
  profile: 'kms.profile',
  metrics: 'metrics',
  'topic-prefix': 'topicPrefix',
  'log-level': 'log.level',
})

/** What {@link loadSettings} needs. */
export interface LoadSettingsInput {
  /** The config file (`--config`), if given. */
  readonly config?: string | undefined
  /** Flag name (without `--`) → value; `key-id` is a list. */
  readonly flags: Readonly<Record<string, string | readonly string[] | undefined>>
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Resolved settings, and where each non-default leaf came from. */
export interface LoadedSettings {
  readonly settings: ConsumerSettings
  /** Dotted setting name → its source (`config file "c.json"`, `SEALWIRE_CONSUMER_X`, `--flag`). */
  readonly sources: ReadonlyMap<string, string>
}

const loader = layeredSettings<ConsumerSettings>({
  schema: ConsumerSettingsSchema,
  defaults: consumerDefaults,
  envPrefix: 'SEALWIRE_CONSUMER_',
  envAliases: { SEALWIRE_CONSUMER_BROKER: 'broker.url', SEALWIRE_CONSUMER_KEY_ID: 'keyIds' },
  envNotSettings: ['SEALWIRE_CONSUMER_CONFIG'],
})

/** The environment variable of every setting, by dotted name. */
export function settingEnvNames(): ReadonlyMap<string, string> {
  return loader.envNames()
}

/**
 * Loads, checks and merges every layer (platform's layered loader).
 *
 * @throws {ConfigError} `ERR_CONFIG` naming the first wrong setting and its source.
 * @example
 * ```ts
 * const { settings } = await loadSettings({ flags: { broker: 'mqtt://127.0.0.1:1883' }, env: {} })
 * settings.broker.url // 'mqtt://127.0.0.1:1883'
 * ```
 */
export async function loadSettings(input: LoadSettingsInput): Promise<LoadedSettings> {
  const flags: Record<string, NonNullable<LayeredSettingsInput['flags']>[string]> = {}
  for (const [flag, value] of Object.entries(input.flags)) {
    if (value === undefined) continue
    const setting = FLAG_SETTINGS[flag]
    if (setting === undefined) throw new TypeError(`loadSettings: unknown flag --${flag}`)
    if (Array.isArray(value) && value.length === 0) continue
    flags[setting] = [`--${flag}`, value]
  }
  const loaded = await loader.load({
    configFile: input.config ?? input.env.SEALWIRE_CONSUMER_CONFIG,
    env: input.env,
    flags,
  })
  return { settings: loaded.values, sources: loaded.sources }
}
