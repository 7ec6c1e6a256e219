/**
 * The `sealwire-kms-local` command: parses flags (platform's `parseArgs` rules: unknown flags and
 * repeated flags are refused), starts the endpoint, prints one line with its URL, and serves until
 * SIGINT/SIGTERM (or `io.signal` aborts), then closes cleanly.
 *
 * A failure is one line on stderr, `error CODE: message` (platform's `reportError`; a stack trace
 * only with `SEALWIRE_DEBUG=1`), and the exit code of the code's class ({@link KMS_LOCAL_EXIT}):
 *
 * | exit | when | codes |
 * |---|---|---|
 * | 0 | stopped cleanly, or `--help` | |
 * | 1 | the endpoint cannot start: state file, audit log, port (or a bug: `ERR_INTERNAL`) | `ERR_KMS_LOCAL_STATE_INVALID`, `ERR_KMS_LOCAL_STATE_IO`, `ERR_KMS_LOCAL_AUDIT_LOG`, `ERR_KMS_LOCAL_LISTEN` |
 * | 2 | the command line is wrong | `ERR_USAGE` |
 *
 * @example
 * ```ts
 * const ac = new AbortController()
 * const done = main(['--port', '0'], { stdout, stderr, env: {}, signal: ac.signal })
 * ac.abort()
 * await done // 0
 * ```
 */
import {
  EXIT,
  UsageError,
  defaultCliIo,
  exitCodeTable,
  integerFlag,
  optionalString,
  parseCommandArgs,
  reportError,
  untilStopped,
  wantsHelp,
  type CliIo,
  type ExitCodeOf,
  type FlagSpecs,
} from '../../platform/src/index.ts'
import { CLI_DEFAULT_PORT, defaultKmsLocalOptions } from './defaults.ts'
import type { KmsLocalErrorCode } from './errors.ts'
import { ACCOUNT_ID_PATTERN, REGION_PATTERN, type KmsLocalOptions } from './options.ts'
import { startKmsLocal } from './server.ts'

/** The exit codes of `sealwire-kms-local`. */
export const KMS_LOCAL_EXIT = Object.freeze({
  /** Stopped cleanly after SIGINT/SIGTERM, or `--help`. */
  ok: EXIT.ok,
  /** The endpoint cannot start: state file, audit log or port (also a bug, `ERR_INTERNAL`). */
  cannotStart: 1,
  /** The command line is wrong (`ERR_USAGE`). */
  usage: EXIT.usage,
} as const)

const CANNOT_START: readonly KmsLocalErrorCode[] = [
  'ERR_KMS_LOCAL_STATE_INVALID',
  'ERR_KMS_LOCAL_STATE_IO',
  'ERR_KMS_LOCAL_AUDIT_LOG',
  'ERR_KMS_LOCAL_LISTEN',
]

/** Error code → exit code of `sealwire-kms-local` (`ERR_USAGE` → 2, start failures → 1). */
const exitCodeOf: ExitCodeOf = exitCodeTable({ [KMS_LOCAL_EXIT.cannotStart]: CANNOT_START })

/** The `--help` text. */
const USAGE = `usage: sealwire-kms-local [options]

A local AWS KMS endpoint (JSON 1.1, X-Amz-Target TrentService.*) for @aws-sdk/client-kms.

options:
  --port N                 TCP port (default ${CLI_DEFAULT_PORT}; 0 picks a free one)
  --host HOST              interface to listen on (default ${defaultKmsLocalOptions.host})
  --region REGION          region in ARNs (default ${defaultKmsLocalOptions.region})
  --account-id ID          12-digit account id in ARNs (default ${defaultKmsLocalOptions.accountId})
  --state FILE             keep keys in FILE (mode 0600, reloaded on start; not a symlink);
                           default: memory only
  --audit-log FILE         append one JSON line per request to FILE (no key material)
  --rate-limit-crypto N    cryptographic requests per second before ThrottlingException
  --rate-limit-management N  management requests per second before ThrottlingException
  --help                   show this help

Prints "kms-local listening on <endpoint>" when ready; stops on SIGINT or SIGTERM.
Errors: one line "error CODE: message" on stderr (SEALWIRE_DEBUG=1 adds the stack).
Exit codes: 0 stopped cleanly; 1 cannot start (state file, audit log, port); 2 bad flags.
`

const FLAGS: FlagSpecs = Object.freeze({
  port: { type: 'string' },
  host: { type: 'string' },
  region: { type: 'string' },
  'account-id': { type: 'string' },
  state: { type: 'string' },
  'audit-log': { type: 'string' },
  'rate-limit-crypto': { type: 'string' },
  'rate-limit-management': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
})

/** Parses the command line into server options. @throws {UsageError} `ERR_USAGE`. */
function parseOptions(argv: readonly string[]): KmsLocalOptions {
  const args = parseCommandArgs(argv, FLAGS, 0)
  const integer = (name: string, min: number, max: number): number | undefined => {
    const value = optionalString(args, name)
    return value === undefined ? undefined : integerFlag(value, `--${name}`, min, max)
  }
  const region = optionalString(args, 'region')
  if (region !== undefined && !REGION_PATTERN.test(region)) {
    throw new UsageError('--region must be a region name such as us-east-1')
  }
  const accountId = optionalString(args, 'account-id')
  if (accountId !== undefined && !ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new UsageError('--account-id must be 12 digits')
  }
  const cryptographic = integer('rate-limit-crypto', 1, 1_000_000)
  const management = integer('rate-limit-management', 1, 1_000_000)
  return {
    port: integer('port', 0, 65535) ?? CLI_DEFAULT_PORT,
    host: optionalString(args, 'host'),
    region,
    accountId,
    stateFile: optionalString(args, 'state'),
    auditLog: optionalString(args, 'audit-log'),
    rateLimits: {
      ...(cryptographic !== undefined && { cryptographic }),
      ...(management !== undefined && { management }),
    },
  }
}

/**
 * Runs the command; resolves with the exit code. Never rejects for a domain error: those are
 * reported on `io.stderr` as `error CODE: message`.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli = defaultCliIo(io)
  try {
    if (wantsHelp(argv)) {
      cli.stdout.write(USAGE)
      return KMS_LOCAL_EXIT.ok
    }
    const options = parseOptions(argv)
    const server = await startKmsLocal({
      ...options,
      log: (line) => void cli.stderr.write(`${line}\n`),
    })
    cli.stdout.write(`kms-local listening on ${server.endpoint}\n`)
    await untilStopped(cli.signal)
    await server.close()
    return KMS_LOCAL_EXIT.ok
  } catch (err) {
    return reportError(err, cli, exitCodeOf)
  }
}
