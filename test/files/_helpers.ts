/**
 * Helpers of the `sealwire-file` tests: a kms-local with one RSA-2048 ENCRYPT_DECRYPT key (and
 * its public key on disk), s3rver on a free port, in-process runs of `main` with binary
 * stdin/stdout, and the CLI run as a child process (for peak RSS).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CreateKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms'
import { main } from '../../files/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { capture, kmsClientFor, repoRoot } from '../helpers/index.ts'

export { cleanupTempDirs, tempDir } from '../helpers/index.ts'

/** Credentials kms-local and s3rver accept. */
/** The CLI's segment size (files/README.md: 262,144 plaintext bytes per segment). */
export const SEGMENT = 256 * 1024

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

export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

/**
 * The CLI's entry for a child process of this runtime: the built `cli.js` on Node (Node 20
 * cannot run TypeScript; `npm ci` builds it through `prepare`), `cli.ts` on Bun. A missing build
 * fails the test with a message saying so; it is never a skip.
 */
function cliEntry(): string {
  if (isBun) return join(repoRoot, 'files/src/cli.ts')
  const built = join(repoRoot, 'dist/files/src/cli.js')
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: run \`npm run build\` first (npm ci runs it)`)
  }
  return built
}

/** The CLI as a child process with a stdin pipe, in a user's environment. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [cliEntry(), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...ENV, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Runs the CLI as a child process; resolves with its exit code, stdout and stderr. */
export function runChild(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), ...args], {
      // A user's environment, not the test runner's (vitest's NODE_OPTIONS and loaders would be
      // measured with the child).
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...ENV, ...env },
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

/** The peak RSS a child CLI run printed (`SEALWIRE_FILE_REPORT_RSS=1`). */
export function peakRss(stderr: string): number {
  const m = /peak-rss-bytes: (\d+)/.exec(stderr)
  if (!m) throw new Error(`no peak RSS in: ${stderr}`)
  return Number(m[1])
}

const requireFrom = createRequire(import.meta.url)

/** A running s3rver with one bucket. */
export interface S3Fixture {
  readonly endpoint: string
  readonly bucket: string
  close(): Promise<void>
}

/**
 * Starts s3rver 3.7.1 on 127.0.0.1, a free port, a temporary folder, with bucket `bucket`, in a
 * Node child process of its own (as a real store is another process: a server sharing the test
 * runner's event loop slows uploads down and makes the client's peak RSS the runner's doing).
 */
export async function startS3(directory: string, bucket = 'sealwire-test'): Promise<S3Fixture> {
  const script = `
const { default: S3rver } = await import(${JSON.stringify(pathToFileURL(requireFrom.resolve('s3rver')).href)})
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true,
  directory: ${JSON.stringify(directory)}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] })
const { port } = await server.run()
process.stdout.write(port + '\\n')
process.stdin.on('end', () => server.close().then(() => process.exit(0)))
process.stdin.resume()
`
  const child = spawn('node', ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    let text = ''
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString()
      if (text.includes('\n')) resolve(Number(text.trim()))
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)))
  })
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin.end()
      }),
  }
}
