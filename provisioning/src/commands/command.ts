/**
 * The shape of a subcommand, and what it gets to run: parsed arguments, the CLI's streams, the
 * clock, and a KMS session opened on demand (and closed by `main`).
 *
 * @example
 * ```ts
 * export const verifyCommand: Command = { name: 'verify', summary, help, flags, maxPositionals: 1, run }
 * ```
 */
import type { KmsSession } from '../../../kms-client/src/index.ts'
import type { CliIo, Clock, FlagSpecs, ParsedArgs } from '../../../platform/src/index.ts'

/** What a command's `run` gets. */
export interface CommandContext {
  readonly io: CliIo
  /** Opens (once) the KMS session configured by the global flags. */
  kms(): KmsSession
  /** The time source (a manifest's `fetchedAt`, durations). */
  readonly clock: Clock
}

/** One subcommand. */
export interface Command {
  readonly name: string
  /** One line for the main help. */
  readonly summary: string
  /** The full `--help` text. */
  readonly help: string
  readonly flags: FlagSpecs
  readonly maxPositionals: number
  /** Runs the command and returns the exit code; failures are thrown as coded errors. */
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>
}

/**
 * Flags every command takes (before or after the command word).
 *
 * @example
 * ```ts
 * parseCommandArgs(rest, { ...GLOBAL_FLAGS, ...command.flags }, command.maxPositionals)
 * ```
 */
export const GLOBAL_FLAGS: FlagSpecs = Object.freeze({
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  'max-retries': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
})

/**
 * The help lines for the global flags, shared by every command's help.
 *
 * @example
 * ```ts
 * const help = `usage: …\n\n${GLOBAL_HELP}`
 * ```
 */
export const GLOBAL_HELP = `global flags:
  --region REGION      AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's)
  --profile NAME       AWS shared-config profile (default: AWS_PROFILE, else the SDK's chain)
  --endpoint URL       KMS endpoint URL, e.g. a local KMS at http://127.0.0.1:4599
  --max-retries N      retries of a KMS call on network errors and throttling (default 4)
  -h, --help           show this help

A flag given twice is refused.`
