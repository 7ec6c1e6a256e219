/**
 * `sealwire-provision`: the manufacture-station CLI, as a function that returns the exit code.
 *
 * `main` never throws and never exits the process: a failure is one line on stderr,
 * `error ERR_CODE: message` (platform's `reportError`), and the exit code of its class
 * (`exit_codes.ts`, README). No stack trace unless `SEALWIRE_DEBUG=1`. Tests call it in-process
 * with captured streams.
 *
 * @example
 * ```ts
 * const code = await main(['verify', '/out/dev-1'], { stdout, stderr, env: process.env })
 * ```
 */
import { KmsSession, kmsClientDefaults } from '../../kms-client/src/index.ts'
import type { CliIo, Clock } from '../../platform/src/index.ts'
import {
  defaultCliIo,
  EXIT,
  integerFlag,
  optionalString,
  reportError,
  selectCommand,
  systemClock,
  withoutUserinfo,
} from '../../platform/src/index.ts'
import { batchCommand } from './commands/batch.ts'
import { byokCommand } from './commands/byok.ts'
import type { Command, CommandContext } from './commands/command.ts'
import { GLOBAL_FLAGS, GLOBAL_HELP } from './commands/command.ts'
import { createKeyCommand } from './commands/create_key.ts'
import { fetchCommand } from './commands/fetch.ts'
import { verifyCommand } from './commands/verify.ts'
import { exitCodeOf } from './exit_codes.ts'

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Command>, {
    [createKeyCommand.name]: createKeyCommand,
    [fetchCommand.name]: fetchCommand,
    [verifyCommand.name]: verifyCommand,
    [batchCommand.name]: batchCommand,
    [byokCommand.name]: byokCommand,
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

/** What `main` may be given besides the streams: the clock (tests). */
export interface MainOptions extends Partial<CliIo> {
  readonly clock?: Clock | undefined
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: readonly string[], io: MainOptions = {}): Promise<number> {
  const cli = defaultCliIo(io)
  let session: KmsSession | undefined
  try {
    const selected = selectCommand(argv, GLOBAL_FLAGS, COMMANDS, cli, MAIN_HELP)
    if (selected === 0) return EXIT.ok
    const { command: cmd, args } = selected
    const maxRetries = optionalString(args, 'max-retries')
    const retry =
      maxRetries === undefined
        ? kmsClientDefaults.retry
        : {
            ...kmsClientDefaults.retry,
            maxRetries: integerFlag(maxRetries, '--max-retries', 0, 20),
          }
    const endpoint = optionalString(args, 'endpoint')
    const clock = io.clock ?? systemClock
    const ctx: CommandContext = {
      io: cli,
      clock,
      kms() {
        if (session === undefined) {
          if (endpoint !== undefined && withoutUserinfo(endpoint) !== endpoint) {
            // The SDK signs with AWS credentials and never sends URL userinfo; kms-client drops
            // it, so it is never stored in a manifest or printed. Say so, once.
            cli.stderr.write(
              'warning: --endpoint: the user name and password in the URL are ignored and never stored\n',
            )
          }
          session = new KmsSession({
            region: optionalString(args, 'region'),
            endpoint,
            profile: optionalString(args, 'profile'),
            env: cli.env,
            retry,
            clock,
          })
        }
        return session
      },
    }
    return await cmd.run(args, ctx)
  } catch (err) {
    return reportError(err, cli, exitCodeOf)
  } finally {
    session?.close()
  }
}
