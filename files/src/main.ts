/**
 * `sealwire-file`: seal large files to the KMS public key, open them through KMS, move them
 * through S3, and open the files of the openssl walkthrough. As a function that returns the exit
 * code: never throws, never exits; a failure is one line `error CODE: message` on stderr.
 *
 * @example
 * ```ts
 * const code = await main(['inspect', 'big.bin.sw'], { stdout, stderr, env: process.env })
 * ```
 */
import { S3Client } from '@aws-sdk/client-s3'
import { KmsSession } from '../../kms-client/src/index.ts'
import {
  defaultCliIo,
  EXIT,
  optionalString,
  reportError,
  selectCommand,
} from '../../platform/src/index.ts'
import type { CliIo } from '../../platform/src/index.ts'
import type { Command, CommandContext, FileCliIo } from './commands/command.ts'
import { GLOBAL_FLAGS, GLOBAL_HELP } from './commands/command.ts'
import { getCommand } from './commands/get.ts'
import { inspectCommand } from './commands/inspect.ts'
import { openCommand } from './commands/open.ts'
import { openLegacyCommand } from './commands/open_legacy.ts'
import { putCommand } from './commands/put.ts'
import { sealCommand } from './commands/seal.ts'
import { exitCodeOf } from './exit_codes.ts'
import { s3ClientFor } from './s3/s3_client.ts'

const COMMANDS: Readonly<Record<string, Command>> = Object.freeze(
  Object.assign(
    Object.create(null) as Record<string, Command>,
    Object.fromEntries(
      [sealCommand, openCommand, inspectCommand, putCommand, getCommand, openLegacyCommand].map(
        (c) => [c.name, c],
      ),
    ),
  ),
)

const MAIN_HELP = `usage: sealwire-file <command> [flags]

Large files sealed to an AWS KMS RSA key (sealwire/1 stream format): anyone with the public key
seals, only the holder of KMS Decrypt opens.

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.name.padEnd(12)} ${c.summary}`)
  .join('\n')}

Run "sealwire-file <command> --help" for a command's flags.

${GLOBAL_HELP}
`

/** What `main` may be given: any of the streams (tests). */
export type MainIo = Partial<CliIo> & Partial<Pick<FileCliIo, 'stdin' | 'stdoutBytes'>>

/**
 * Runs the CLI with `argv` and returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const cli: FileCliIo = {
    ...defaultCliIo(io),
    stdin: io.stdin ?? process.stdin,
    stdoutBytes: io.stdoutBytes ?? process.stdout,
  }
  let session: KmsSession | undefined
  let s3: S3Client | undefined
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  if (io.signal) {
    if (io.signal.aborted) stop.abort()
    else io.signal.addEventListener('abort', onSignal, { once: true })
  } else {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  try {
    const selected = selectCommand(argv, GLOBAL_FLAGS, COMMANDS, cli, MAIN_HELP)
    if (selected === 0) return EXIT.ok
    const { command: cmd, args } = selected
    const region = optionalString(args, 'region')
    const profile = optionalString(args, 'profile')
    const endpoint = optionalString(args, 'endpoint')
    const kmsEndpoint = optionalString(args, 'kms-endpoint')
    const s3Command = cmd.name === 'put' || cmd.name === 'get'
    const ctx: CommandContext = {
      io: cli,
      signal: stop.signal,
      kms() {
        session ??= new KmsSession({
          region,
          profile,
          endpoint: s3Command ? kmsEndpoint : (endpoint ?? kmsEndpoint),
          env: cli.env,
        })
        return session
      },
      s3() {
        s3 ??= s3ClientFor({ region, profile, endpoint: s3Command ? endpoint : undefined }, cli.env)
        return s3
      },
    }
    return await cmd.run(args, ctx)
  } catch (err) {
    return reportError(err, cli, exitCodeOf)
  } finally {
    session?.close()
    s3?.destroy()
    io.signal?.removeEventListener('abort', onSignal)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
