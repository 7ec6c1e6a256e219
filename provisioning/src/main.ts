/**
 * `sealwire-provision`: the manufacture-station CLI, as a function that returns the exit code.
 *
 * `main` never throws and never exits the process: a failure is one line on stderr,
 * `error ERR_CODE: message`, and the exit code of its class (`exit_codes.ts`, README). No stack
 * trace unless `SEALWIRE_DEBUG=1`. Tests call it in-process with captured streams.
 *
 * @example
 * ```ts
 * const code = await main(['verify', '/out/dev-1'], { stdout, stderr, env: process.env })
 * ```
 */
import { integerFlag, parseCommandArgs, splitCommand, wantsHelp } from './cli/args.ts'
import type { CliIo } from './cli/cli_io.ts'
import { batchCommand } from './commands/batch.ts'
import type { Command, CommandContext } from './commands/command.ts'
import { GLOBAL_HELP } from './commands/command.ts'
import { createKeyCommand } from './commands/create_key.ts'
import { fetchCommand } from './commands/fetch.ts'
import { verifyCommand } from './commands/verify.ts'
import { defaults } from './defaults.ts'
import { ProvisioningError, UsageError } from './errors.ts'
import { EXIT_CODES, exitCodeOf } from './exit_codes.ts'
import { KmsSession } from './kms/kms_session.ts'
import { optionalString } from './cli/args.ts'
import { plain, shown } from './_sanitize.ts'

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Command>, {
    [createKeyCommand.name]: createKeyCommand,
    [fetchCommand.name]: fetchCommand,
    [verifyCommand.name]: verifyCommand,
    [batchCommand.name]: batchCommand,
  }),
)

const MAIN_HELP = `usage: sealwire-provision <command> [flags]

Manufacture-station tool of sealwire: fetches the AWS KMS public key, checks it, pins it, and
writes device key bundles.

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.name.padEnd(12)} ${c.summary}`)
  .join('\n')}

Run "sealwire-provision <command> --help" for a command's flags.

${GLOBAL_HELP}
`

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
  }
  let session: KmsSession | undefined
  try {
    const { command, rest } = splitCommand(argv)
    if (command === undefined) {
      if (wantsHelp(rest)) {
        cli.stdout.write(MAIN_HELP)
        return EXIT_CODES.ok
      }
      cli.stderr.write(MAIN_HELP)
      throw new UsageError('no command given')
    }
    const cmd = COMMANDS[command]
    if (cmd === undefined) {
      throw new UsageError(
        `unknown command ${shown(command)}; commands: ${Object.keys(COMMANDS).join(', ')}`,
      )
    }
    if (wantsHelp(rest)) {
      cli.stdout.write(cmd.help)
      return EXIT_CODES.ok
    }
    const args = parseCommandArgs(rest, cmd.flags, cmd.maxPositionals)
    const maxRetries = optionalString(args, 'max-retries')
    const retry =
      maxRetries === undefined
        ? defaults.retry
        : { ...defaults.retry, maxRetries: integerFlag(maxRetries, '--max-retries', 0, 20) }
    const ctx: CommandContext = {
      io: cli,
      now: () => new Date(),
      kms() {
        session ??= new KmsSession({
          region: optionalString(args, 'region'),
          endpoint: optionalString(args, 'endpoint'),
          profile: optionalString(args, 'profile'),
          env: cli.env,
          retry,
        })
        return session
      },
    }
    return await cmd.run(args, ctx)
  } catch (err) {
    return report(err, cli)
  } finally {
    session?.close()
  }
}

function report(err: unknown, io: CliIo): number {
  const debug = io.env.SEALWIRE_DEBUG === '1'
  if (err instanceof ProvisioningError) {
    io.stderr.write(`error ${err.code}: ${oneLine(err.message)}\n`)
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`)
    return exitCodeOf(err.code)
  }
  const message = err instanceof Error ? err.message : String(err)
  io.stderr.write(`error ERR_INTERNAL: ${oneLine(message)} (a bug; rerun with SEALWIRE_DEBUG=1)\n`)
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`)
  return EXIT_CODES.internal
}

function oneLine(message: string): string {
  // Messages embed sanitized values already; this only guarantees the one-line contract.
  return /[\n\r]/.test(message) ? plain(message, 1000) : message
}
