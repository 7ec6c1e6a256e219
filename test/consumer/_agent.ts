/**
 * The real device agent for consumer tests: a device folder pinned to a kms-local key (as
 * `sealwire-provision batch` writes it), and `sealwire-agent run` as a child process on Bun
 * (which runs the sources directly), with its ingest API on a free loopback port.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { CheckedPublicKey } from '../../kms-client/src/index.ts'
import { writeTestDevice } from '../device-bundle/_helpers.ts'
import { repoRoot } from '../helpers/index.ts'

/** A running agent. */
export interface RunningAgent {
  readonly deviceId: string
  readonly ingest: string
  /** POSTs readings; resolves when the agent has queued them durably. */
  post(readings: readonly { stream: string; value: unknown }[]): Promise<void>
  stop(): Promise<number | null>
  output(): string
}

/** Writes a device folder for `deviceId` pinned to `key`. */
export async function deviceFolder(
  dir: string,
  deviceId: string,
  prefix: string,
  key: CheckedPublicKey,
): Promise<string> {
  await writeTestDevice(dir, deviceId, prefix, key.key.spki)
  return dir
}

/** Starts `sealwire-agent run` for the device folder `dir`. */
export async function startAgent(
  dir: string,
  deviceId: string,
  broker: string,
  env: Record<string, string> = {},
): Promise<RunningAgent> {
  const child: ChildProcess = spawn(
    join(repoRoot, 'node_modules/.bin/bun'),
    [
      join(repoRoot, 'agent/src/cli.ts'),
      'run',
      '--device',
      dir,
      '--broker',
      broker,
      '--state',
      join(dir, 'state'),
      '--http',
      '127.0.0.1:0',
    ],
    {
      env: { ...process.env, SEALWIRE_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const deadline = Date.now() + 20_000
  while (!/ingest (http:\/\/127\.0\.0\.1:\d+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL')
      throw new Error(`the agent did not start:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const ingest = /ingest (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!
  return {
    deviceId,
    ingest,
    post: async (readings) => {
      const res = await fetch(`${ingest}/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(readings),
      })
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    },
    stop: async () => {
      child.kill('SIGTERM')
      return exited
    },
    output: () => out,
  }
}
