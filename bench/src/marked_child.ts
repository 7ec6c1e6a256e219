/**
 * A measurement in a child process that hands back one JSON result: the child prints it on one
 * stdout line after a marker ({@link writeMarked}); the parent reads that line
 * ({@link runMarkedChild}). Used by the Bun half (`run.ts --child`) and the file rows'
 * fresh process (`file_child.ts`). stderr is inherited: the child's progress shows as it runs.
 *
 * @example
 * ```ts
 * const r = await runMarkedChild<FileRows>(process.execPath, [entry], { marker, env })
 * if (r.ok) use(r.value)
 * ```
 */
import { spawn } from 'node:child_process'
import { reason } from './measure.ts'

/** What {@link runMarkedChild} hands back: the child's value, or why there is none. */
export type MarkedResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

/** Options of {@link runMarkedChild}. */
export interface MarkedChildOptions {
  /** The prefix of the result line. */
  readonly marker: string
  readonly env?: NodeJS.ProcessEnv
  readonly cwd?: string
  /** The child is killed (SIGKILL) after this long; default: never. */
  readonly timeoutMs?: number
}

/**
 * Runs `command args` and resolves with the JSON value of its first stdout line that starts with
 * the marker. Never rejects: a child that cannot start, dies, or prints no (readable) result
 * resolves `{ ok: false, error }`.
 */
export function runMarkedChild<T>(
  command: string,
  args: readonly string[],
  options: MarkedChildOptions,
): Promise<MarkedResult<T>> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ ok: false, error: reason(err) })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith(options.marker))
      if (!line) {
        resolve({ ok: false, error: `exited (${signal ?? `code ${code}`}) without results` })
        return
      }
      try {
        resolve({ ok: true, value: JSON.parse(line.slice(options.marker.length)) as T })
      } catch (err) {
        resolve({ ok: false, error: `unreadable results: ${reason(err)}` })
      }
    })
  })
}

/** The child's side: prints `marker` + the JSON of `value` on one line, once it is flushed. */
export function writeMarked(marker: string, value: unknown): Promise<void> {
  return new Promise<void>((resolve) => {
    process.stdout.write(`${marker}${JSON.stringify(value)}\n`, () => resolve())
  })
}
