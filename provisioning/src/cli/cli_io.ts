/**
 * The streams and environment a CLI run uses, injected so that tests run `main` in-process.
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }
 * ```
 */

/** Anything with `write(string)`: a Node stream or a test capture. */
export interface WritableLike {
  write(chunk: string): unknown
  /** True for a terminal: `batch` then draws a progress bar. */
  readonly isTTY?: boolean | undefined
  /** Terminal width, when known. */
  readonly columns?: number | undefined
}

/** The streams and environment of one CLI run. */
export interface CliIo {
  readonly stdout: WritableLike
  readonly stderr: WritableLike
  /** Read for `AWS_*` settings and `SEALWIRE_DEBUG`. */
  readonly env: Readonly<Record<string, string | undefined>>
}
