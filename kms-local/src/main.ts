/**
 * The `sealwire-kms-local` command: parses flags, starts the endpoint, prints one line with its
 * URL, and serves until SIGINT/SIGTERM (or `io.signal` aborts), then closes cleanly.
 *
 * Exit codes: 0 after a clean stop or `--help`; 2 for bad flags (one line on stderr); 1 when the
 * endpoint cannot start (state file, audit log, port in use).
 *
 * @example
 * ```ts
 * const ac = new AbortController()
 * const done = main(['--port', '0'], { stdout, stderr, signal: ac.signal })
 * ac.abort()
 * await done // 0
 * ```
 */
import { CLI_DEFAULT_PORT, defaultKmsLocalOptions } from './defaults.ts'
import { KmsLocalError } from './errors.ts'
import { ACCOUNT_ID_PATTERN, REGION_PATTERN, type KmsLocalOptions } from './options.ts'
import { startKmsLocal } from './server.ts'

/** Where `main` writes, and what stops it. */
export interface MainIo {
  readonly stdout: { write(chunk: string): unknown }
  readonly stderr: { write(chunk: string): unknown }
  /** Stops the server when aborted; without it, SIGINT and SIGTERM do. */
  readonly signal?: AbortSignal
}

/** The `--help` text. */
export const USAGE = `usage: sealwire-kms-local [options]

A local AWS KMS endpoint (JSON 1.1, X-Amz-Target TrentService.*) for @aws-sdk/client-kms.

options:
  --port N                 TCP port (default ${CLI_DEFAULT_PORT}; 0 picks a free one)
  --host HOST              interface to listen on (default ${defaultKmsLocalOptions.host})
  --region REGION          region in ARNs (default ${defaultKmsLocalOptions.region})
  --account-id ID          12-digit account id in ARNs (default ${defaultKmsLocalOptions.accountId})
  --state FILE             keep keys in FILE (mode 0600, reloaded on start); default: memory only
  --audit-log FILE         append one JSON line per request to FILE (no key material)
  --rate-limit-crypto N    cryptographic requests per second before ThrottlingException
  --rate-limit-management N  management requests per second before ThrottlingException
  --help                   show this help

Prints "kms-local listening on <endpoint>" when ready; stops on SIGINT or SIGTERM.
`

class UsageError extends Error {}

type Flag =
  | 'port'
  | 'host'
  | 'region'
  | 'account-id'
  | 'state'
  | 'audit-log'
  | 'rate-limit-crypto'
  | 'rate-limit-management'
const FLAGS: ReadonlySet<string> = new Set<Flag>([
  'port',
  'host',
  'region',
  'account-id',
  'state',
  'audit-log',
  'rate-limit-crypto',
  'rate-limit-management',
])

function parseArgs(argv: readonly string[]): { help: boolean; options: KmsLocalOptions } {
  const values = new Map<string, string>()
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') {
      help = true
      continue
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`)
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    if (!FLAGS.has(name)) throw new UsageError(`unknown flag --${name}`)
    let value: string | undefined
    if (eq !== -1) value = arg.slice(eq + 1)
    else {
      value = argv[i + 1]
      i++
    }
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`)
    if (values.has(name)) throw new UsageError(`--${name} given twice`)
    values.set(name, value)
  }
  const integer = (name: string, min: number, max: number): number | undefined => {
    const v = values.get(name)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}`)
    }
    return Number(v)
  }
  const region = values.get('region')
  if (region !== undefined && !REGION_PATTERN.test(region)) {
    throw new UsageError('--region must be a region name such as us-east-1')
  }
  const accountId = values.get('account-id')
  if (accountId !== undefined && !ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new UsageError('--account-id must be 12 digits')
  }
  const cryptographic = integer('rate-limit-crypto', 1, 1_000_000)
  const management = integer('rate-limit-management', 1, 1_000_000)
  return {
    help,
    options: {
      port: integer('port', 0, 65535) ?? CLI_DEFAULT_PORT,
      host: values.get('host'),
      region,
      accountId,
      stateFile: values.get('state'),
      auditLog: values.get('audit-log'),
      rateLimits: {
        ...(cryptographic !== undefined && { cryptographic }),
        ...(management !== undefined && { management }),
      },
    },
  }
}

function waitForStop(signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve('abort')
      else signal.addEventListener('abort', () => resolve('abort'), { once: true })
      return
    }
    const stop = (name: string): void => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve(name)
    }
    const onInt = (): void => stop('SIGINT')
    const onTerm = (): void => stop('SIGTERM')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
  })
}

/**
 * Runs the command; resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(
  argv: readonly string[],
  io: MainIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    io.stderr.write(`sealwire-kms-local: ${err.message} (see --help)\n`)
    return 2
  }
  if (parsed.help) {
    io.stdout.write(USAGE)
    return 0
  }
  let server
  try {
    server = await startKmsLocal(parsed.options)
  } catch (err) {
    if (err instanceof KmsLocalError || err instanceof RangeError || err instanceof TypeError) {
      io.stderr.write(`sealwire-kms-local: ${err.message}\n`)
      return err instanceof KmsLocalError ? 1 : 2
    }
    throw err
  }
  io.stdout.write(`kms-local listening on ${server.endpoint}\n`)
  await waitForStop(io.signal)
  await server.close()
  return 0
}
