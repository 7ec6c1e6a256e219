/**
 * The streams and environment a CLI run uses, injected so that tests run a `main` in-process.
 *
 * @example
 * ```ts
 * const io = defaultCliIo()
 * io.stdout.write('ok\n')
 * ```
 */

/** Anything with `write(string)`: a Node stream or a test capture. */
export interface WritableLike {
  write(chunk: string): unknown
  /** True for a terminal: progress then draws a bar. */
  readonly isTTY?: boolean | undefined
  /** Terminal width, when known. */
  readonly columns?: number | undefined
}

/** The streams and environment of one CLI run. */
export interface CliIo {
  readonly stdout: WritableLike
  readonly stderr: WritableLike
  /** Read for `AWS_*` and `SEALWIRE_*` settings (`SEALWIRE_DEBUG=1` prints stack traces). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Stops a long-running command when aborted; without it, SIGINT and SIGTERM do. */
  readonly signal?: AbortSignal | undefined
}

/**
 * The process's own streams and environment, with any of them replaced by `io`.
 *
 * @example
 * ```ts
 * const cli = defaultCliIo({ env: { SEALWIRE_DEBUG: '1' } })
 * ```
 */
export function defaultCliIo(io: Partial<CliIo> = {}): CliIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    signal: io.signal,
  }
}
