/**
 * Helpers of the `sealwire-file` tests: a kms-local with one RSA-2048 ENCRYPT_DECRYPT key (and
 * its public key on disk), in-process runs of `main` with binary stdin/stdout, and the built CLI
 * run as a child process (for peak RSS and signals).
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms'
import { main } from '../../files/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { capture, kmsClientFor, repoRoot } from '../helpers/index.ts'

export { caught, cleanupTempDirs, tempDir } from '../helpers/index.ts'

/** Credentials kms-local and s3rver accept. */
export const ENV = Object.freeze({
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
})

/** A kms-local with one key. */
export interface KmsFixture {
  readonly server: KmsLocalServer
  readonly keyArn: string
  readonly spki: Uint8Array
  /** Writes the DER public key into `dir` and returns its path. */
  writePublicKey(dir: string): Promise<string>
  /** Makes another key (for wrong-key tests). */
  newKey(): Promise<{ keyArn: string; spki: Uint8Array }>
  close(): Promise<void>
}

/** Starts kms-local on a free port and creates an RSA_2048 ENCRYPT_DECRYPT key. */
export async function startKms(): Promise<KmsFixture> {
  const server = await startKmsLocal({ port: 0, log: () => undefined })
  const sdk = kmsClientFor(server)
  const newKey = async () => {
    const created = await sdk.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    )
    const keyArn = created.KeyMetadata!.Arn!
    const spki = (await sdk.send(new GetPublicKeyCommand({ KeyId: keyArn }))).PublicKey!
    return { keyArn, spki }
  }
  const { keyArn, spki } = await newKey()
  return {
    server,
    keyArn,
    spki,
    async writePublicKey(dir) {
      const path = join(dir, 'public_key.der')
      await writeFile(path, spki)
      return path
    },
    newKey,
    async close() {
      sdk.destroy()
      await server.close()
    },
  }
}

/** One in-process run. */
export interface Run {
  readonly code: number
  readonly out: Buffer
  readonly text: string
  readonly err: string
}

/** Runs `main(args)` with `stdin` bytes and captured binary stdout. */
export async function run(
  args: readonly string[],
  options: { stdin?: Uint8Array; env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Run> {
  const c = capture({ ...ENV, ...options.env }, false, options.signal)
  const parts: Buffer[] = []
  const stdoutBytes = {
    write: (chunk: Uint8Array) => (parts.push(Buffer.from(chunk)), true),
    once: () => undefined,
  }
  const code = await main(args, {
    ...c.io,
    stdin: (async function* () {
      if (options.stdin) yield options.stdin
    })(),
    stdoutBytes,
  })
  return { code, out: Buffer.concat(parts), text: c.out(), err: c.err() }
}

/** The built CLI, when `npm run build` has run. */
export const BUILT_CLI = join(repoRoot, 'dist/files/src/cli.js')

/** Runs the built CLI as a child process; resolves with its exit code, stdout and stderr. */
export function runBuilt(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], {
      env: { ...process.env, ...ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out: Buffer.concat(out), err }))
  })
}

/** The peak RSS a built CLI run printed (`SEALWIRE_FILE_REPORT_RSS=1`). */
export function peakRss(stderr: string): number {
  const m = /peak-rss-bytes: (\d+)/.exec(stderr)
  if (!m) throw new Error(`no peak RSS in: ${stderr}`)
  return Number(m[1])
}
