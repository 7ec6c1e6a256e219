/**
 * The project's own CLIs as a fleet run uses them: `sealwire-provision` (run to completion, its
 * last error line quoted on failure) and `sealwire-consumer run` (kept running, logs to a file,
 * stopped with SIGTERM like systemd would).
 *
 * @example
 * ```ts
 * const out = await runProgram('provisioning', ['create-key', '--alias', 'x', '--endpoint', url], env)
 * ```
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { FleetError } from './errors.ts'
import type { Program } from './scripts.ts'
import { programPath } from './scripts.ts'

/** Environment of a child program. */
export type ChildEnv = Readonly<Record<string, string | undefined>>

/**
 * Runs `program` to completion; resolves with its stdout.
 *
 * @throws {FleetError} `ERR_FLEET_PROVISION` (exit code and last stderr line) when it fails.
 */
export async function runProgram(
  program: Program,
  args: readonly string[],
  env: ChildEnv,
): Promise<string> {
  const child = spawn(process.execPath, [programPath(program), ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (c) => resolve(c))
  })
  if (code !== 0) {
    const last =
      stderr
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .pop() ?? '(no output)'
    throw new FleetError(
      'ERR_FLEET_PROVISION',
      `sealwire-${program === 'provisioning' ? 'provision' : program} ${args[0] ?? ''} exited with ${code}: ${last}`,
    )
  }
  return stdout
}

/** A long-running child program. */
export interface RunningProgram {
  readonly child: ChildProcess
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  readonly exited: Promise<number | string>
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how it ended. */
  stop(timeoutMs: number): Promise<number | string>
}

/** Starts `program` with stdout and stderr appended to `logFile`. */
export function startProgram(
  program: Program,
  args: readonly string[],
  env: ChildEnv,
  logFile: string,
): RunningProgram {
  const log = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(process.execPath, [programPath(program), ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.pipe(log, { end: false })
  child.stderr!.pipe(log, { end: false })
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', () => resolve('spawn-failed'))
    child.once('close', (code, signal) => {
      log.end()
      resolve(code ?? signal ?? 'unknown')
    })
  })
  return {
    child,
    exited,
    async stop(timeoutMs) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const how = await exited
      clearTimeout(timer)
      return how
    },
  }
}
