/**
 * Command-line parsing on `node:util` `parseArgs` (strict: an unknown flag or a missing value is
 * `ERR_USAGE`). Global flags may come before or after the command.
 *
 * @example
 * ```ts
 * const { command, rest } = splitCommand(['--region', 'eu-west-1', 'fetch', '--key-id', 'alias/x'])
 * const args = parseCommandArgs(rest, fetchCommand.options, 0)
 * ```
 */
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'
import { shown } from '../_sanitize.ts'

/** A flag definition, as `parseArgs` takes it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
}

/**
 * Flags every command takes.
 *
 * @example
 * ```ts
 * parseArgs({ args, options: { ...GLOBAL_FLAGS, ...command.flags }, strict: true })
 * ```
 */
export const GLOBAL_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  'max-retries': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
})

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>
  readonly positionals: readonly string[]
}

/**
 * Finds the command word in `argv`, skipping global flags (and their values) before it.
 *
 * @example
 * ```ts
 * splitCommand(['--region', 'x', 'verify', 'dir']) // { command: 'verify', rest: ['--region', 'x', 'dir'] }
 * ```
 */
export function splitCommand(argv: readonly string[]): {
  command: string | undefined
  rest: string[]
} {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') break
    if (token.startsWith('-')) {
      const name = token.replace(/^--?/, '')
      if (!name.includes('=') && GLOBAL_FLAGS[name]?.type === 'string') i++
      continue
    }
    return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] }
  }
  return { command: undefined, rest: [...argv] }
}

/**
 * True when `args` asks for help (`--help` or `-h` before any `--`).
 *
 * @example
 * ```ts
 * wantsHelp(['fetch', '--help']) // true
 * ```
 */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false
    if (a === '--help' || a === '-h') return true
  }
  return false
}

/**
 * Parses a command's arguments: its own flags plus {@link GLOBAL_FLAGS}, at most
 * `maxPositionals` positionals.
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * parseCommandArgs(['DIR', '--expect-sha256', pin], { 'expect-sha256': { type: 'string' } }, 1)
 * ```
 */
export function parseCommandArgs(
  args: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
  maxPositionals: number,
): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...GLOBAL_FLAGS, ...flags },
      strict: true,
      allowPositionals: true,
    })
  } catch (err) {
    const message = err instanceof Error ? err.message.split('. ')[0]! : String(err)
    throw new UsageError(`${message.replace(/\.$/, '')} (see --help)`)
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(
      `unexpected argument ${shown(parsed.positionals[maxPositionals])} (see --help)`,
    )
  }
  const values: Record<string, string | boolean | undefined> = Object.create(null)
  for (const [k, v] of Object.entries(parsed.values)) {
    values[k] = Array.isArray(v) ? v[v.length - 1] : v
  }
  return { values, positionals: parsed.positionals }
}

/**
 * The value of string flag `name`, or `undefined`. An empty value is a usage error.
 *
 * @example
 * ```ts
 * optionalString(args, 'spec') ?? defaults.keySpec
 * ```
 */
export function optionalString(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`)
  return v
}

/**
 * The value of string flag `name`.
 *
 * @throws {UsageError} `ERR_USAGE` when it is absent.
 * @example
 * ```ts
 * const out = requiredString(args, 'out')
 * ```
 */
export function requiredString(args: ParsedArgs, name: string): string {
  const v = optionalString(args, name)
  if (v === undefined) throw new UsageError(`--${name} is required (see --help)`)
  return v
}

/**
 * The value of boolean flag `name`.
 *
 * @example
 * ```ts
 * const force = flag(args, 'force')
 * ```
 */
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true
}

/**
 * Parses a non-negative integer flag value within `[min, max]`.
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * integerFlag('3', '--max-retries', 0, 20) // 3
 * ```
 */
export function integerFlag(value: string, name: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`)
  }
  return Number(value)
}
