/**
 * Exit codes every sealwire CLI shares. Each CLI adds its own classes above these (a table in its
 * README); `sysexits.h` values are used where one fits (`EX_CONFIG` 78), as systemd and
 * supervisors read them.
 *
 * @example
 * ```ts
 * return code === 'ERR_USAGE' ? EXIT.usage : EXIT.internal
 * ```
 */

/** Codes shared by every CLI. */
export const EXIT = Object.freeze({
  /** Success, or `--help`. */
  ok: 0,
  /** An unexpected failure: a bug. Never used for a domain error. */
  internal: 1,
  /** The command line is wrong (`ERR_USAGE`). */
  usage: 2,
  /** A configuration value is wrong: nothing was started (`sysexits.h` EX_CONFIG). */
  config: 78,
} as const)

/**
 * Maps an error code to an exit code, or `undefined` for a code the CLI does not know (which the
 * reporter then treats as internal).
 */
export type ExitCodeOf = (code: string) => number | undefined

/**
 * Builds an {@link ExitCodeOf} from a table of codes by class; `ERR_USAGE` maps to
 * {@link EXIT}.usage unless the table says otherwise.
 *
 * @example
 * ```ts
 * const exitCodeOf = exitCodeTable({ 3: ['ERR_KEY_SIZE', 'ERR_KEY_USAGE'], 7: ['ERR_KMS_UNAVAILABLE'] })
 * exitCodeOf('ERR_KEY_SIZE') // 3
 * ```
 */
export function exitCodeTable(table: Readonly<Record<number, readonly string[]>>): ExitCodeOf {
  const map = new Map<string, number>([['ERR_USAGE', EXIT.usage]])
  for (const [exit, codes] of Object.entries(table)) {
    for (const code of codes) {
      if (map.has(code) && code !== 'ERR_USAGE') {
        throw new RangeError(`exitCodeTable: ${code} is listed twice`)
      }
      map.set(code, Number(exit))
    }
  }
  return (code) => map.get(code)
}
