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
import { ConfigError } from '../errors.ts'
import type { ConsumerSettings } from './defaults.ts'
import { consumerDefaults } from './defaults.ts'
import type { ConsumerSettingsInput } from './schema.ts'
import { ConsumerSettingsSchema } from './schema.ts'

/** Largest config file read. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

const ENV_PREFIX = 'SEALWIRE_CONSUMER_'
const ENV_NOT_SETTINGS = new Set(['SEALWIRE_CONSUMER_CONFIG'])
const ENV_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  SEALWIRE_CONSUMER_BROKER: 'broker.url',
  SEALWIRE_CONSUMER_KEY_ID: 'keyIds',
})

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

const LEAVES = leavesOf(ConsumerSettingsSchema)
const checkSettings = compileSchema(ConsumerSettingsSchema)

function envNameOf(path: readonly string[]): string {
  return `${ENV_PREFIX}${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`
}

const LEAF_BY_ENV = new Map<string, Leaf>(LEAVES.map((l) => [envNameOf(l.path), l]))
const LEAF_BY_NAME = new Map<string, Leaf>(LEAVES.map((l) => [l.path.join('.'), l]))
for (const [alias, name] of Object.entries(ENV_ALIASES))
  LEAF_BY_ENV.set(alias, LEAF_BY_NAME.get(name)!)

/**
 * The environment variable of every setting, for the README and `--help`.
 *
 * @example
 * ```ts
 * settingEnvNames().get('kms.ratePerSecond') // 'SEALWIRE_CONSUMER_KMS_RATE_PER_SECOND'
 * ```
 */
export function settingEnvNames(): ReadonlyMap<string, string> {
  return new Map(LEAVES.map((l) => [l.path.join('.'), envNameOf(l.path)]))
}

type LeafType = 'integer' | 'number' | 'boolean' | 'string' | 'array' | 'union'

function typeOf(schema: TSchema): LeafType {
  switch (schema[Kind] as string) {
    case 'Integer':
      return 'integer'
    case 'Number':
      return 'number'
    case 'Boolean':
      return 'boolean'
    case 'Array':
      return 'array'
    case 'Union':
      return 'union'
    default:
      return 'string'
  }
}

function fromText(leaf: Leaf, text: string, source: string): unknown {
  const setting = leaf.path.join('.')
  switch (typeOf(leaf.schema)) {
    case 'integer':
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
    case 'array':
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    case 'union':
      // A union of literals (protocolVersion, log level): a number when it reads as one.
      return /^\d+$/.test(text) ? Number(text) : text
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

function checkLayer(layer: unknown, sourceOf: (setting: string) => string): ConsumerSettingsInput {
  try {
    return checkSettings.parse(layer)
  } catch (err) {
    if (!(err instanceof SchemaInvalidError)) throw err
    const parts = err.pointer.split('/').filter(Boolean)
    // An error inside a list names the list.
    const setting = parts.filter((p) => !/^\d+$/.test(p)).join('.') || '(document)'
    const why = err.message.slice(err.message.indexOf(': ') + 2)
    throw new ConfigError(setting, sourceOf(setting), why, { cause: err })
  }
}

async function readConfigFile(path: string): Promise<ConsumerSettingsInput> {
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
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof over !== 'object' ||
    over === null ||
    Array.isArray(over)
  ) {
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
 * const { settings } = await loadSettings({ flags: { broker: 'mqtt://127.0.0.1:1883' }, env: {} })
 * settings.broker.url // 'mqtt://127.0.0.1:1883'
 * ```
 */
export async function loadSettings(input: LoadSettingsInput): Promise<LoadedSettings> {
  const sources = new Map<string, string>()
  const configFile = input.config ?? input.env.SEALWIRE_CONSUMER_CONFIG
  const fileLayer = configFile !== undefined ? await readConfigFile(configFile) : {}
  recordSources(fileLayer, [], () => `config file ${shown(configFile)}`, sources)

  const envLayer: Record<string, unknown> = {}
  const envSource = new Map<string, string>()
  for (const [name, text] of Object.entries(input.env)) {
    if (!name.startsWith(ENV_PREFIX) || text === undefined || ENV_NOT_SETTINGS.has(name)) continue
    const leaf = LEAF_BY_ENV.get(name)
    if (leaf === undefined) {
      throw new ConfigError(name, 'environment', 'unknown setting (see sealwire-consumer --help)')
    }
    setPath(envLayer, leaf.path, fromText(leaf, text, name))
    envSource.set(leaf.path.join('.'), name)
  }
  const checkedEnv = checkLayer(envLayer, (s) => envSource.get(s) ?? 'environment')
  recordSources(checkedEnv, [], (s) => envSource.get(s) ?? 'environment', sources)

  const flagLayer: Record<string, unknown> = {}
  const flagSource = new Map<string, string>()
  for (const [flag, value] of Object.entries(input.flags)) {
    if (value === undefined) continue
    const setting = FLAG_SETTINGS[flag]
    if (setting === undefined) throw new TypeError(`loadSettings: unknown flag --${flag}`)
    if (Array.isArray(value) && value.length === 0) continue
    const leaf = LEAF_BY_NAME.get(setting)!
    const typed = typeof value === 'string' ? fromText(leaf, value, `--${flag}`) : value
    setPath(flagLayer, setting.split('.'), typed)
    flagSource.set(setting, `--${flag}`)
  }
  const checkedFlags = checkLayer(flagLayer, (s) => flagSource.get(s) ?? 'flags')
  recordSources(checkedFlags, [], (s) => flagSource.get(s) ?? 'flags', sources)

  const settings = deepMerge(
    deepMerge(deepMerge(consumerDefaults, fileLayer), checkedEnv),
    checkedFlags,
  )
  return { settings, sources }
}
