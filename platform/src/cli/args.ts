/**
 * Command-line parsing on `node:util` `parseArgs`, one rule for every sealwire CLI: strict (an
 * unknown flag, a missing value or an extra argument is `ERR_USAGE`), and **a flag given twice
 * is refused** unless its spec says `multiple: true` (then every value is kept, in order).
 * Global flags may come before or after the command word.
 *
 * @example
 * ```ts
 * const { command, rest } = splitCommand(argv, GLOBAL_FLAGS)
 * const args = parseCommandArgs(rest, { ...GLOBAL_FLAGS, ...command.flags }, 1)
 * const out = requiredString(args, 'out')
 * ```
 */
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'
import { shown } from '../sanitize.ts'

/** A flag definition, as `parseArgs` takes it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  /** The flag may be repeated; its values are kept as a list. Otherwise a repeat is refused. */
  readonly multiple?: boolean
}

/** Flag specs by long name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  /** A flag's value; for a `multiple` string flag, its values in order. */
  readonly values: Readonly<Record<string, string | boolean | readonly string[] | undefined>>
  readonly positionals: readonly string[]
}

/**
 * Finds the command word in `argv`, skipping global flags (and their values) before it.
 *
 * @example
 * ```ts
 * splitCommand(['--region', 'x', 'verify', 'dir'], { region: { type: 'string' } })
 * // { command: 'verify', rest: ['--region', 'x', 'dir'] }
 * ```
 */
export function splitCommand(
  argv: readonly string[],
  globalFlags: FlagSpecs,
): { command: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '--') break
    if (token.startsWith('-')) {
      const name = token.replace(/^--?/, '')
      if (!name.includes('=') && globalFlags[name]?.type === 'string') i++
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
 * Parses arguments against `flags`, allowing at most `maxPositionals` positionals.
 *
 * @throws {UsageError} `ERR_USAGE`: unknown flag, missing value, repeated flag, extra argument.
 * @example
 * ```ts
 * parseCommandArgs(['DIR', '--expect-sha256', pin], { 'expect-sha256': { type: 'string' } }, 1)
 * ```
 */
export function parseCommandArgs(
  args: readonly string[],
  flags: FlagSpecs,
  maxPositionals: number,
): ParsedArgs {
  // parseArgs keeps the last of repeated values; ask for lists and refuse repeats ourselves.
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple: true }> =
    Object.create(null)
  for (const [name, spec] of Object.entries(flags)) {
    options[name] = {
      type: spec.type,
      multiple: true,
      ...(spec.short !== undefined && { short: spec.short }),
    }
  }
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true })
  } catch (err) {
    const message = err instanceof Error ? err.message.split('. ')[0]! : String(err)
    throw new UsageError(`${message.replace(/\.$/, '')} (see --help)`)
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(
      `unexpected argument ${shown(parsed.positionals[maxPositionals])} (see --help)`,
    )
  }
  const values: Record<string, string | boolean | readonly string[] | undefined> =
    Object.create(null)
  for (const [name, raw] of Object.entries(parsed.values)) {
    const list = raw as (string | boolean)[]
    const spec = flags[name]!
    if (spec.multiple === true) {
      values[name] = spec.type === 'string' ? (list as string[]) : list.length > 0
      continue
    }
    if (list.length > 1) throw new UsageError(`--${name} given more than once (see --help)`)
    values[name] = list[0]
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
 * The values of a `multiple` string flag, in order (empty when absent). Empty values are refused.
 *
 * @example
 * ```ts
 * stringList(args, 'key-id') // ['alias/a', 'alias/b']
 * ```
 */
export function stringList(args: ParsedArgs, name: string): readonly string[] {
  const v = args.values[name]
  if (v === undefined) return []
  if (!Array.isArray(v)) throw new TypeError(`stringList: --${name} is not a multiple flag`)
  for (const item of v) if (item === '') throw new UsageError(`--${name} needs a value`)
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
 * Parses an integer flag value within `[min, max]`.
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * integerFlag('3', '--max-retries', 0, 20) // 3
 * ```
 */
export function integerFlag(value: string, name: string, min: number, max: number): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`)
  }
  return Number(value)
}

/**
 * The command word of a multi-command CLI: prints `mainHelp` and returns 0 for a bare `--help`;
 * prints it on stderr and throws `ERR_USAGE` when no command is given; otherwise returns the
 * command and the other arguments.
 *
 * @throws {UsageError} `ERR_USAGE` when no command is given.
 * @example
 * ```ts
 * const taken = takeCommand(argv, GLOBAL_FLAGS, cli, MAIN_HELP)
 * if (typeof taken === 'number') return taken
 * ```
 */
export function takeCommand(
  argv: readonly string[],
  globalFlags: FlagSpecs,
  io: {
    readonly stdout: { write(s: string): unknown }
    readonly stderr: { write(s: string): unknown }
  },
  mainHelp: string,
): { command: string; rest: string[] } | 0 {
  const { command, rest } = splitCommand(argv, globalFlags)
  if (command !== undefined) return { command, rest }
  if (wantsHelp(rest)) {
    io.stdout.write(mainHelp)
    return 0
  }
  io.stderr.write(mainHelp)
  throw new UsageError('no command given')
}

/** A subcommand as {@link selectCommand} dispatches it. */
export interface SubcommandSpec {
  readonly name: string
  /** The full `--help` text. */
  readonly help: string
  readonly flags: FlagSpecs
  readonly maxPositionals: number
}

/**
 * The subcommand of a multi-command CLI and its arguments (global flags and its own, before or
 * after the command word): 0 when help was printed (a bare `--help`: `mainHelp`; `CMD --help`:
 * the command's help).
 *
 * @throws {UsageError} `ERR_USAGE`: no command, an unknown one (the known ones listed), a bad flag.
 * @example
 * ```ts
 * const selected = selectCommand(argv, GLOBAL_FLAGS, COMMANDS, cli, MAIN_HELP)
 * if (selected === 0) return EXIT.ok
 * return await selected.command.run(selected.args, ctx)
 * ```
 */
export function selectCommand<C extends SubcommandSpec>(
  argv: readonly string[],
  globalFlags: FlagSpecs,
  commands: Readonly<Record<string, C>>,
  io: {
    readonly stdout: { write(s: string): unknown }
    readonly stderr: { write(s: string): unknown }
  },
  mainHelp: string,
): { command: C; args: ParsedArgs } | 0 {
  const taken = takeCommand(argv, globalFlags, io, mainHelp)
  if (taken === 0) return 0
  const command = Object.hasOwn(commands, taken.command) ? commands[taken.command] : undefined
  if (command === undefined) {
    throw new UsageError(
      `unknown command ${shown(taken.command)}; commands: ${Object.keys(commands).join(', ')}`,
    )
  }
  if (wantsHelp(taken.rest)) {
    io.stdout.write(command.help)
    return 0
  }
  const flags = { ...globalFlags, ...command.flags }
  return { command, args: parseCommandArgs(taken.rest, flags, command.maxPositionals) }
}
