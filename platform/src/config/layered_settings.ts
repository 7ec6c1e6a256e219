/**
 * Settings in layers, one loader for every program: **defaults < JSON config file < environment
 * < flags**, each layer checked against the program's TypeBox schema on its own so that an error
 * names the setting and its source, then merged. Every leaf of the schema has an environment
 * variable: the program's prefix + its path in upper snake case (prefix `SEALWIRE_`:
 * `outbox.maxBytes` → `SEALWIRE_OUTBOX_MAX_BYTES`, `broker.tls.key` → `SEALWIRE_BROKER_TLS_KEY`),
 * plus the aliases the program declares. An unknown variable with the prefix is refused (a typo
 * must not pass silently), except those the program lists as not settings.
 *
 * @example
 * ```ts
 * const settings = layeredSettings({ schema, defaults, envPrefix: 'SEALWIRE_', envNotSettings: ['SEALWIRE_DEBUG'] })
 * const { values, sources } = await settings.load({ configFile, env: process.env, flags: { 'broker.url': ['--broker', url] } })
 * ```
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { Kind } from '@sinclair/typebox'
import { IoError, JsonInvalidError, SchemaInvalidError } from '../errors.ts'
import { readFileBounded } from '../fs/read_bounded.ts'
import { compileSchema } from '../json/schema.ts'
import { parseStrictJson } from '../json/strict_json.ts'
import { shown } from '../sanitize.ts'
import { ConfigError } from './config_error.ts'

/** Largest config file read. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

/** How a program's settings are layered. */
export interface LayeredSettingsSpec<T> {
  /** The file's schema: a TypeBox object whose leaves are the settings (every key optional). */
  readonly schema: TObject
  /** Every setting's default. */
  readonly defaults: T
  /** `SEALWIRE_` or `SEALWIRE_CONSUMER_`. */
  readonly envPrefix: string
  /** Extra variable names for settings: name → dotted setting (`SEALWIRE_BROKER` → `broker.url`). */
  readonly envAliases?: Readonly<Record<string, string>>
  /** Variables with the prefix that are not settings (`SEALWIRE_DEBUG`, `SEALWIRE_CONFIG`). */
  readonly envNotSettings?: readonly string[]
}

/** One load: the config file (if any), the environment and the flags given. */
export interface LayeredSettingsInput {
  readonly configFile?: string | undefined
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * Dotted setting → [flag name as typed, its value]; text values are converted like env ones,
   * a list (a repeatable flag) is taken as it is.
   */
  readonly flags?: Readonly<Record<string, readonly [string, string | boolean | readonly string[]]>>
}

/** Resolved settings, and where each non-default leaf came from (for `check-config`). */
export interface LayeredSettings<T> {
  readonly values: T
  /** Dotted setting name → its source (`config file "…"`, `SEALWIRE_X`, `--flag`). */
  readonly sources: ReadonlyMap<string, string>
  readonly configFile: string | undefined
}

/** A program's layered settings. */
export interface SettingsLoader<T> {
  /** The environment variable of every setting, by dotted name. */
  envNames(): ReadonlyMap<string, string>
  /**
   * Loads, checks and merges every layer.
   *
   * @throws {ConfigError} `ERR_CONFIG` naming the first wrong setting and its source.
   */
  load(input: LayeredSettingsInput): Promise<LayeredSettings<T>>
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

function envNameOf(prefix: string, path: readonly string[]): string {
  return `${prefix}${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`
}

function typeOf(
  schema: TSchema,
): 'integer' | 'number' | 'boolean' | 'string' | 'numeric-literal' | 'list' {
  const kind = schema[Kind] as string
  if (kind === 'Integer') return 'integer'
  if (kind === 'Number') return 'number'
  if (kind === 'Boolean') return 'boolean'
  if (kind === 'Array') return 'list'
  if (kind === 'Union') {
    // A union with numeric literals (`'auto' | 5 | 4`): a text that reads as an integer is one.
    const options = (schema as unknown as { anyOf: { const?: unknown }[] }).anyOf
    if (options.some((o) => typeof o.const === 'number')) return 'numeric-literal'
  }
  return 'string'
}

function fromText(leaf: Leaf, text: string, source: string): unknown {
  const setting = leaf.path.join('.')
  switch (typeOf(leaf.schema)) {
    case 'numeric-literal':
      return /^-?\d{1,16}$/.test(text) ? Number(text) : text
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
    case 'list':
      // A list of strings from one variable: comma-separated, blanks dropped.
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
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
    // Scalars and lists are replaced whole by the higher layer, never merged item by item.
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
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      recordSources(v, path, label, into)
    } else into.set(path.join('.'), label(path.join('.')))
  }
}

/**
 * Builds the loader of a program's settings.
 *
 * @example
 * ```ts
 * const loader = layeredSettings({ schema: AgentSettingsSchema, defaults: agentDefaults, envPrefix: 'SEALWIRE_' })
 * loader.envNames().get('outbox.maxBytes') // 'SEALWIRE_OUTBOX_MAX_BYTES'
 * ```
 */
export function layeredSettings<T>(spec: LayeredSettingsSpec<T>): SettingsLoader<T> {
  const leaves = leavesOf(spec.schema)
  const check = compileSchema(spec.schema)
  const notSettings = new Set(spec.envNotSettings ?? [])
  const byEnv = new Map<string, Leaf>(leaves.map((l) => [envNameOf(spec.envPrefix, l.path), l]))
  const byName = new Map<string, Leaf>(leaves.map((l) => [l.path.join('.'), l]))
  for (const [alias, name] of Object.entries(spec.envAliases ?? {})) {
    const leaf = byName.get(name)
    if (leaf === undefined) throw new RangeError(`layeredSettings: alias ${alias} names no setting`)
    byEnv.set(alias, leaf)
  }

  const checkLayer = (layer: unknown, sourceOf: (setting: string) => string): unknown => {
    try {
      return check.parse(layer)
    } catch (err) {
      if (!(err instanceof SchemaInvalidError)) throw err
      const setting = err.pointer.split('/').filter(Boolean).join('.') || '(document)'
      const why = err.message.slice(err.message.indexOf(': ') + 2)
      throw new ConfigError(setting, sourceOf(setting), why, { cause: err })
    }
  }

  const readConfigFile = async (path: string): Promise<unknown> => {
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

  return {
    envNames: () =>
      new Map(leaves.map((l) => [l.path.join('.'), envNameOf(spec.envPrefix, l.path)])),
    async load(input: LayeredSettingsInput): Promise<LayeredSettings<T>> {
      const sources = new Map<string, string>()
      const configFile = input.configFile
      const fileLayer = configFile !== undefined ? await readConfigFile(configFile) : {}
      recordSources(fileLayer, [], () => `config file ${shown(configFile)}`, sources)

      const envLayer: Record<string, unknown> = {}
      const envSource = new Map<string, string>()
      for (const [name, text] of Object.entries(input.env)) {
        if (!name.startsWith(spec.envPrefix) || text === undefined || notSettings.has(name))
          continue
        const leaf = byEnv.get(name)
        if (leaf === undefined) {
          throw new ConfigError(name, 'environment', 'unknown setting (see --help)')
        }
        setPath(envLayer, leaf.path, fromText(leaf, text, name))
        envSource.set(leaf.path.join('.'), name)
      }
      const checkedEnv = checkLayer(envLayer, (s) => envSource.get(s) ?? 'environment')
      recordSources(checkedEnv, [], (s) => envSource.get(s) ?? 'environment', sources)

      const flagLayer: Record<string, unknown> = {}
      const flagSource = new Map<string, string>()
      for (const [setting, [flag, value]] of Object.entries(input.flags ?? {})) {
        const leaf = byName.get(setting)
        if (leaf === undefined) throw new RangeError(`layeredSettings: ${setting} is no setting`)
        setPath(
          flagLayer,
          leaf.path,
          typeof value === 'string' ? fromText(leaf, value, flag) : value,
        )
        flagSource.set(setting, flag)
      }
      const checkedFlags = checkLayer(flagLayer, (s) => flagSource.get(s) ?? 'flags')
      recordSources(checkedFlags, [], (s) => flagSource.get(s) ?? 'flags', sources)

      const values = deepMerge(
        deepMerge(deepMerge(spec.defaults, fileLayer), checkedEnv),
        checkedFlags,
      )
      return { values, sources, configFile }
    },
  }
}
