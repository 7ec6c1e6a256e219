/**
 * How every sealwire CLI reports a failure: one line on stderr, `error CODE: message`, and the
 * exit code of the code's class. No stack trace unless `SEALWIRE_DEBUG=1`. An error without a
 * known code is a bug: `error ERR_INTERNAL: …`, exit 1.
 *
 * @example
 * ```ts
 * try { return await run() } catch (err) { return reportError(err, io, exitCodeOf) }
 * ```
 */
import { isCodedError } from '../errors.ts'
import { plain } from '../sanitize.ts'
import type { CliIo } from './cli_io.ts'
import type { ExitCodeOf } from './exit_codes.ts'
import { EXIT } from './exit_codes.ts'

/**
 * Guarantees the one-line contract: messages embed sanitized values already, so only a message
 * with a line break is escaped.
 */
function oneLine(message: string): string {
  return /[\n\r]/.test(message) ? plain(message, 1000) : message
}

/**
 * Writes `err` as one line on `io.stderr` and returns its exit code.
 *
 * @example
 * ```ts
 * reportError(new UsageError('--out is required'), io, exitCodeOf) // 2, "error ERR_USAGE: --out is required"
 * ```
 */
export function reportError(
  err: unknown,
  io: Pick<CliIo, 'stderr' | 'env'>,
  exitCodeOf: ExitCodeOf,
): number {
  const debug = io.env.SEALWIRE_DEBUG === '1'
  const exit = isCodedError(err) ? exitCodeOf(err.code) : undefined
  if (isCodedError(err) && exit !== undefined) {
    io.stderr.write(`error ${err.code}: ${oneLine(err.message)}\n`)
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`)
    return exit
  }
  const message = err instanceof Error ? err.message : String(err)
  const code = isCodedError(err) ? ` [${err.code}]` : ''
  io.stderr.write(
    `error ERR_INTERNAL: ${oneLine(message)}${code} (a bug; rerun with SEALWIRE_DEBUG=1)\n`,
  )
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`)
  return EXIT.internal
}

/**
 * Runs a CLI's `main` as the process: sets `process.exitCode` from its result. A rejection that
 * `main` failed to turn into an exit code is reported as internal. For the `bin` files only.
 *
 * @example
 * ```ts
 * // cli.ts
 * runMain(main)
 * ```
 */
export function runMain(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.exitCode = reportError(err, { stderr: process.stderr, env: process.env }, () => {
        return undefined
      })
    },
  )
}

/**
 * Resolves when `signal` aborts, or, without one, on the first SIGINT or SIGTERM; resolves with
 * what stopped it.
 *
 * @example
 * ```ts
 * await untilStopped(io.signal) // 'SIGTERM'
 * ```
 */
export function untilStopped(signal?: AbortSignal): Promise<'abort' | 'SIGINT' | 'SIGTERM'> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve('abort')
      else signal.addEventListener('abort', () => resolve('abort'), { once: true })
      return
    }
    const stop = (name: 'SIGINT' | 'SIGTERM'): void => {
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
