/**
 * The shape of a `sealwire-file` command and what it gets to run: parsed arguments, the streams
 * (text and binary), a stop signal, and a KMS session and S3 client opened on demand.
 *
 * @example
 * ```ts
 * export const inspectCommand: Command = { name: 'inspect', summary, help, flags, maxPositionals: 1, run }
 * ```
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { KmsSession } from '../../../kms-client/src/index.ts'
import type { CliIo, FlagSpecs, ParsedArgs } from '../../../platform/src/index.ts'
import type { ByteWritable } from '../io/output.ts'

/** The CLI's streams: the platform's text streams plus binary stdin and stdout. */
export interface FileCliIo extends CliIo {
  readonly stdin: AsyncIterable<Uint8Array>
  readonly stdoutBytes: ByteWritable
}

/** What a command's `run` gets. */
export interface CommandContext {
  readonly io: FileCliIo
  /** Aborted on SIGINT/SIGTERM (or by the caller): commands stop and remove partial output. */
  readonly signal: AbortSignal
  /** The KMS session of the global flags (opened once, closed by `main`). */
  kms(): KmsSession
  /** The S3 client of the global flags (made once, destroyed by `main`). */
  s3(): S3Client
}

/** One subcommand. */
export interface Command {
  readonly name: string
  readonly summary: string
  readonly help: string
  readonly flags: FlagSpecs
  readonly maxPositionals: number
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: FlagSpecs = Object.freeze({
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  'kms-endpoint': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
})

/** Help lines of the global flags. */
export const GLOBAL_HELP = `global flags:
  --region REGION       AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 for S3)
  --profile NAME        AWS shared-config profile (default: AWS_PROFILE, else the SDK's chain)
  --endpoint URL        endpoint of the service the command talks to: KMS for open and
                        open-legacy, S3 for put and get (an S3-compatible store: path-style)
  --kms-endpoint URL    KMS endpoint for get (which talks to S3 and KMS)
  -q, --quiet           no progress on stderr
  -h, --help            show this help

Credentials come from the AWS SDK's default chain. A flag given twice is refused.`

/** Flags that name the recipient of a seal. */
export const RECIPIENT_FLAGS: FlagSpecs = Object.freeze({
  device: { type: 'string' },
  'public-key': { type: 'string' },
  'expect-sha256': { type: 'string' },
})
