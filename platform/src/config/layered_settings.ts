/**
 * Loads the agent's settings in layers, each checked on its own so an error names its source:
 * **defaults < JSON config file < environment (`SEALWIRE_*`) < flags**, then merged. Every leaf of
 * the schema has an environment variable: `SEALWIRE_` + its path in upper snake case
 * (`outbox.maxBytes` → `SEALWIRE_OUTBOX_MAX_BYTES`, `broker.tls.key` → `SEALWIRE_BROKER_TLS_KEY`);
 * `SEALWIRE_BROKER` and `SEALWIRE_HTTP` are short for `broker.url` and `http.listen`, as the
 * flags are. An unknown `SEALWIRE_*` variable is refused (a typo must not pass silently), except
 * `SEALWIRE_CONFIG` (the file) and `SEALWIRE_DEBUG`.
 *
 * @example
 * ```ts
 * const { settings, sources } = await loadSettings({ flags: { device: 'out/dev-1' }, env: process.env })
 * ```
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { Kind } from '@sinclair/typebox'
import {
  IoError,
  JsonInvalidError,
  SchemaInvalidError,
  compileSchema,
  parseStrictJson,
  readFileBounded,
  shown,
} from '../../../platform/src/index.ts'
import type { AgentSettings } from './defaults.ts'
import { agentDefaults } from './defaults.ts'
import { ConfigError } from './errors.ts'
import type { AgentSettingsInput } from './schema.ts'
import { AgentSettingsSchema } from './schema.ts'

/** Largest config file read. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

/** Environment variables that are not settings but are allowed. */
const ENV_NOT_SETTINGS = new Set(['SEALWIRE_CONFIG', 'SEALWIRE_DEBUG'])
const ENV_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  SEALWIRE_BROKER: 'broker.url',
  SEALWIRE_HTTP: 'http.listen',
})

/** The flags `run` and `check-config` take, as strings (booleans as true). */
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
  /** Dotted setting name → its source (`file agent.conf.json`, `SEALWIRE_X`, `--flag`). */
  readonly sources: ReadonlyMap<string, string>
  readonly configFile: string | undefined
}

interface Leaf {
  readonly path: readonly string[]
  readonly schema: TSchema
}

function leavesOf(schema: TObject, prefix: readonly string[] = []): Leaf[] {
  const out: Leaf[] = []
  for (const [key, child] of Object.entries(schema.properties)) {
    if (key === '$schema') continue
    const path = [...prefix, key]
    if ((child as TSchema)[Kind] === 'Object') out.push(...leavesOf(child as TObject, path))
    else out.push({ path, schema: child as TSchema })
  }
  return out
}

const LEAVES = leavesOf(AgentSettingsSchema)
const checkSettings = compileSchema(AgentSettingsSchema)

function envNameOf(path: readonly string[]): string {
  return `SEALWIRE_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`
}

const LEAF_BY_ENV = new Map<string, Leaf>(LEAVES.map((l) => [envNameOf(l.path), l]))
const LEAF_BY_NAME = new Map<string, Leaf>(LEAVES.map((l) => [l.path.join('.'), l]))
for (const [alias, name] of Object.entries(ENV_ALIASES))
  LEAF_BY_ENV.set(alias, LEAF_BY_NAME.get(name)!)

/** The environment variable of every setting, for the README and `--help`. */
export function settingEnvNames(): ReadonlyMap<string, string> {
  return new Map(LEAVES.map((l) => [l.path.join('.'), envNameOf(l.path)]))
}

function typeOf(schema: TSchema): 'integer' | 'number' | 'boolean' | 'string' | 'numeric-literal' {
  const kind = schema[Kind] as string
  if (kind === 'Integer') return 'integer'
  if (kind === 'Number') return 'number'
  if (kind === 'Boolean') return 'boolean'
  if (kind === 'Union') {
    const first = (schema as unknown as { anyOf: { const: unknown }[] }).anyOf[0]
    if (typeof first?.const === 'number') return 'numeric-literal'
  }
  return 'string'
}

function fromText(leaf: Leaf, text: string, source: string): unknown {
  const setting = leaf.path.join('.')
  switch (typeOf(leaf.schema)) {
    case 'integer':
    case 'numeric-literal':
      if (!/^-?\d{1,16}$/.test(text)) {
        throw new ConfigError(setting, source, `expected an integer, got ${shown(text)}`)
      }
      return Number(text)
    case 'number': {
      const n = Number(text)
      if (text.trim() === '' || !Number.isFinite(n)) {
        throw new ConfigError(setting, source, `expected a number, got ${shown(text)}`)
      }
      return n
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true
      if (/^(false|0|no|off)$/i.test(text)) return false
      throw new ConfigError(setting, source, `expected true or false, got ${shown(text)}`)
    default:
      return text
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    node[key] ??= {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
}

function checkLayer(layer: unknown, sourceOf: (setting: string) => string): AgentSettingsInput {
  try {
    return checkSettings.parse(layer)
  } catch (err) {
    if (!(err instanceof SchemaInvalidError)) throw err
    const setting = err.pointer.split('/').filter(Boolean).join('.') || '(document)'
    const why = err.message.slice(err.message.indexOf(': ') + 2)
    throw new ConfigError(setting, sourceOf(setting), why, { cause: err })
  }
}

async function readConfigFile(path: string): Promise<AgentSettingsInput> {
  const source = `config file ${shown(path)}`
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      await readFileBounded(path, MAX_CONFIG_FILE_BYTES),
    )
  } catch (err) {
    const why = err instanceof IoError ? err.message : 'not UTF-8 text'
    throw new ConfigError('--config', source, why, { cause: err })
  }
  let value: unknown
  try {
    value = parseStrictJson(text)
  } catch (err) {
    if (!(err instanceof JsonInvalidError)) throw err
    throw new ConfigError('(document)', source, `not JSON: ${err.message}`, { cause: err })
  }
  return checkLayer(value, () => source)
}

function deepMerge<T>(base: T, over: unknown): T {
  if (over === undefined) return base
  if (typeof base !== 'object' || base === null || typeof over !== 'object' || over === null) {
    return over as T
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [k, v] of Object.entries(over)) {
    if (k === '$schema') continue
    out[k] = deepMerge(out[k], v)
  }
  return out as T
}

function recordSources(
  layer: unknown,
  prefix: string[],
  label: (s: string) => string,
  into: Map<string, string>,
): void {
  if (typeof layer !== 'object' || layer === null) return
  for (const [k, v] of Object.entries(layer)) {
    if (k === '$schema') continue
    const path = [...prefix, k]
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      recordSources(v, path, label, into)
    else into.set(path.join('.'), label(path.join('.')))
  }
}

/**
 * Loads, checks and merges every layer.
 *
 * @throws {ConfigError} `ERR_CONFIG` naming the first wrong setting and its source.
 * @example
 * ```ts
 * const { settings } = await loadSettings({ flags: { device: 'out/dev-1', broker: 'mqtt://127.0.0.1:1883' }, env: {} })
 * settings.broker.url // 'mqtt://127.0.0.1:1883'
 * ```
 */
export async function loadSettings(input: LoadSettingsInput): Promise<LoadedSettings> {
  const sources = new Map<string, string>()
  const configFile = input.flags.config ?? input.env.SEALWIRE_CONFIG
  const fileLayer = configFile !== undefined ? await readConfigFile(configFile) : {}
  recordSources(fileLayer, [], () => `config file ${shown(configFile)}`, sources)

  const envLayer: Record<string, unknown> = {}
  const envSource = new Map<string, string>()
  for (const [name, text] of Object.entries(input.env)) {
    if (!name.startsWith('SEALWIRE_') || text === undefined || ENV_NOT_SETTINGS.has(name)) continue
    const leaf = LEAF_BY_ENV.get(name)
    if (leaf === undefined) {
      throw new ConfigError(name, 'environment', 'unknown setting (see sealwire-agent --help)')
    }
    setPath(envLayer, leaf.path, fromText(leaf, text, name))
    envSource.set(leaf.path.join('.'), name)
  }
  const checkedEnv = checkLayer(envLayer, (s) => envSource.get(s) ?? 'environment')
  recordSources(checkedEnv, [], (s) => envSource.get(s) ?? 'environment', sources)

  const flagLayer: Record<string, unknown> = {}
  const flagSource = new Map<string, string>()
  const flagLeaves: [keyof SettingFlags, string][] = [
    ['device', 'device'],
    ['broker', 'broker.url'],
    ['state', 'state'],
    ['http', 'http.listen'],
  ]
  for (const [flag, setting] of flagLeaves) {
    const v = input.flags[flag]
    if (typeof v !== 'string') continue
    setPath(flagLayer, setting.split('.'), v)
    flagSource.set(setting, `--${flag}`)
  }
  if (input.flags.stdin === true) {
    flagLayer.stdin = true
    flagSource.set('stdin', '--stdin')
  }
  const checkedFlags = checkLayer(flagLayer, (s) => flagSource.get(s) ?? 'flags')
  recordSources(checkedFlags, [], (s) => flagSource.get(s) ?? 'flags', sources)

  const settings = deepMerge(
    deepMerge(deepMerge(agentDefaults, fileLayer), checkedEnv),
    checkedFlags,
  )
  return { settings: settings as AgentSettings, sources, configFile }
}
