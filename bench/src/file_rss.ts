/**
 * The memory part of the file rows (issue 12): the peak RSS of `sealwire-file seal` and `open`
 * child processes on a 256 MiB file, against kms-local (Node from `dist/`, Bun from the
 * sources). A module of its own, so that the timed file rows' child (`file_child.ts`) does not
 * load the AWS SDK and kms-local it does not use.
 *
 * @example
 * ```ts
 * const rss = await measureFileRss(root, log)
 * ```
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { reason } from './measure.ts'

const MIB = 2 ** 20

/** A child process's peak RSS. */
export interface FileRss {
  readonly runtime: 'Node' | 'Bun'
  readonly command: 'seal' | 'open'
  readonly peakRssBytes?: number
  readonly error?: string
}

function runChild(
  command: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, err }))
  })
}

/**
 * Peak RSS of `sealwire-file seal` and `open` on a 256 MiB file, as child processes (Node from
 * `dist/`, Bun from the sources), against kms-local.
 *
 * @example
 * ```ts
 * const rss = await measureFileRss(root, log)
 * ```
 */
export async function measureFileRss(
  root: string,
  log: (line: string) => void,
): Promise<FileRss[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sealwire-bench-files-'))
  const kms = await startKmsLocal({ port: 0, log: () => undefined })
  const sdk = new KMSClient({
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  })
  const out: FileRss[] = []
  try {
    const key = await sdk.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    )
    const arn = key.KeyMetadata!.Arn!
    const spki = (await sdk.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey!
    await writeFile(join(dir, 'key.der'), spki)
    const block = randomBytes(MIB)
    await writeFile(join(dir, 'in.bin'), Buffer.concat(Array.from({ length: 256 }, () => block)))
    const env = {
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_REGION: kms.region,
      SEALWIRE_FILE_REPORT_RSS: '1',
    }
    const runtimes: [FileRss['runtime'], string[]][] = [
      ['Node', [process.execPath, join(root, 'dist', 'files', 'src', 'cli.js')]],
      ['Bun', [join(root, 'node_modules', '.bin', 'bun'), join(root, 'files', 'src', 'cli.ts')]],
    ]
    for (const [runtime, cli] of runtimes) {
      const steps: [FileRss['command'], string[]][] = [
        [
          'seal',
          [
            'seal',
            '-q',
            '--public-key',
            join(dir, 'key.der'),
            join(dir, 'in.bin'),
            join(dir, 'f.sw'),
          ],
        ],
        [
          'open',
          [
            'open',
            '-q',
            '--key-id',
            arn,
            '--endpoint',
            kms.endpoint,
            join(dir, 'f.sw'),
            join(dir, 'out.bin'),
          ],
        ],
      ]
      for (const [command, args] of steps) {
        try {
          const r = await runChild([...cli, ...args], env)
          const m = /peak-rss-bytes: (\d+)/.exec(r.err)
          if (r.code !== 0 || !m) throw new Error(`exit ${r.code}: ${r.err.trim().slice(0, 200)}`)
          out.push({ runtime, command, peakRssBytes: Number(m[1]) })
          log(
            `files: ${runtime} ${command} 256 MiB, peak RSS ${(Number(m[1]) / MIB).toFixed(1)} MiB`,
          )
        } catch (err) {
          out.push({ runtime, command, error: reason(err) })
        }
      }
    }
  } finally {
    sdk.destroy()
    await kms.close()
    await rm(dir, { recursive: true, force: true })
  }
  return out
}
