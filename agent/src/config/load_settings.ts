/**
 * The agent's settings, layered by platform's loader: **defaults < JSON config file <
 * environment (`SEALWIRE_*`) < flags**. `SEALWIRE_BROKER` and `SEALWIRE_HTTP` are short for
 * `broker.url` and `http.listen`, as the flags are; `SEALWIRE_CONFIG` names the file and
 * `SEALWIRE_DEBUG` is not a setting.
 *
 * @example
 * ```ts
 * const { settings, sources } = await loadSettings({ flags: { device: 'out/dev-1' }, env: process.env })
 * ```
 */
import { layeredSettings } from '../../../platform/src/index.ts'
import type { AgentSettings } from './defaults.ts'
import { agentDefaults } from './defaults.ts'
import { AgentSettingsSchema } from './schema.ts'

/** The flags `run` and `check-config` take. */
export interface SettingFlags {
  readonly config?: string
  readonly device?: string
  readonly broker?: string
  readonly state?: string
  readonly http?: string
  readonly stdin?: boolean
}

/** What {@link loadSettings} needs. */
export interface LoadSettingsInput {
  readonly flags: SettingFlags
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Resolved settings, and where each non-default leaf came from (for `check-config`). */
export interface LoadedSettings {
  readonly settings: AgentSettings
  readonly sources: ReadonlyMap<string, string>
  readonly configFile: string | undefined
}

const loader = layeredSettings<AgentSettings>({
  schema: AgentSettingsSchema,
  defaults: agentDefaults,
  envPrefix: 'SEALWIRE_',
  envAliases: { SEALWIRE_BROKER: 'broker.url', SEALWIRE_HTTP: 'http.listen' },
  envNotSettings: ['SEALWIRE_CONFIG', 'SEALWIRE_DEBUG'],
})

/** The environment variable of every setting, for the README and `--help`. */
export function settingEnvNames(): ReadonlyMap<string, string> {
  return loader.envNames()
}

/**
 * Loads, checks and merges every layer.
 *
 * @throws {ConfigError} `ERR_CONFIG` naming the first wrong setting and its source.
 */
export async function loadSettings(input: LoadSettingsInput): Promise<LoadedSettings> {
  const f = input.flags
  const flags: Record<string, readonly [string, string | boolean]> = {}
  if (f.device !== undefined) flags.device = ['--device', f.device]
  if (f.broker !== undefined) flags['broker.url'] = ['--broker', f.broker]
  if (f.state !== undefined) flags.state = ['--state', f.state]
  if (f.http !== undefined) flags['http.listen'] = ['--http', f.http]
  if (f.stdin === true) flags.stdin = ['--stdin', true]
  const loaded = await loader.load({
    configFile: f.config ?? input.env.SEALWIRE_CONFIG,
    env: input.env,
    flags,
  })
  return { settings: loaded.values, sources: loaded.sources, configFile: loaded.configFile }
}
