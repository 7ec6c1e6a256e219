/**
 * The file rows (issue 12): sealing and opening throughput of the `sealwire/1` stream format at
 * 1 MiB and 256 MiB, on the current runtime, against raw AES-256-GCM over the same bytes (one GCM
 * pass, the floor; goal ≥ 0.8×) and the AWS Encryption SDK's `encryptStream`/`decryptStream`
 * with a raw RSA keyring (RSA-OAEP-SHA-256, public key only for encryption) in the same run;
 * plus, from the Node half only, the peak RSS of `sealwire-file seal` and `open` child processes
 * on a 256 MiB file (Node from `dist/`, Bun from the sources).
 *
 * Every candidate reads the same plaintext as 1 MiB chunks (as a file is read) and its output is
 * consumed and dropped (counted). Opening reads what the same candidate sealed, regrouped into
 * 1 MiB chunks untimed. sealwire includes its one RSA operation per file (wrap when sealing, a
 * local unwrap when opening) and the ESDK its own. A full GC runs before every timed operation.
 * At 1 MiB the rounds interleave the candidates; at 256 MiB each candidate runs its rounds in a
 * row, so that only one sealed copy (256 MiB) is held at a time. The median is reported.
 *
 * @example
 * ```ts
 * const files = await runFileRows(ctx, { rounds: 3 }, log)
 * ```
 */
import { spawn } from 'node:child_process'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import type { AwsEsdkKeyObject } from '@aws-crypto/client-node'
import {
  createKeyWrapper,
  createLocalUnwrap,
  openStream,
  parseRecipientKey,
  sealStream,
} from '../../envelope/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { BenchContext } from './bench_context.ts'
import { reason } from './measure.ts'

const MIB = 2 ** 20
/** The two file sizes of the issue. */
const FILE_SIZES_MIB = [1, 256] as const

/** One candidate's throughput at one size. */
export interface FileRate {
  readonly id: string
  readonly label: string
  readonly op: 'seal' | 'open'
  readonly mib: number
  /** Median MiB/s over the rounds, or why there is none. */
  readonly mibPerSecond?: number
  readonly rounds?: readonly number[]
  readonly error?: string
}

/** A child process's peak RSS. */
export interface FileRss {
  readonly runtime: 'Node' | 'Bun'
  readonly command: 'seal' | 'open'
  readonly peakRssBytes?: number
  readonly error?: string
}

/** The file rows of one runtime. */
export interface FileRows {
  readonly rates: readonly FileRate[]
  /** Only in the Node half's results. */
  readonly rss?: readonly FileRss[]
}

/** How many rounds per size. */
export interface FilePlan {
  readonly rounds: number
}

type Chunks = readonly Uint8Array[]

/** `count` plaintext chunks of 1 MiB: one random MiB repeated (memory stays near the size). */
function plaintextChunks(mib: number): Chunks {
  const block = new Uint8Array(randomBytes(MIB))
  return Array.from({ length: mib }, () => block)
}

/** Regroups chunks into 1 MiB pieces, as a file would be read. */
function regroup(parts: Chunks): Chunks {
  const out: Uint8Array[] = []
  let cur = new Uint8Array(MIB)
  let fill = 0
  for (const p of parts) {
    let at = 0
    while (at < p.length) {
      const n = Math.min(MIB - fill, p.length - at)
      cur.set(p.subarray(at, at + n), fill)
      fill += n
      at += n
      if (fill === MIB) {
        out.push(cur)
        cur = new Uint8Array(MIB)
        fill = 0
      }
    }
  }
  if (fill > 0) out.push(cur.subarray(0, fill))
  return out
}

interface FileCandidate {
  readonly id: string
  readonly label: string
  /** Seals `plain`, returning the sealed chunks (kept for opening) when `keep`. */
  seal(plain: Chunks, keep: boolean): Promise<Chunks | number>
  /** Opens what `seal` kept; returns plaintext bytes. */
  open(sealed: Chunks): Promise<number>
}

async function drain(source: AsyncIterable<Uint8Array>, keep: boolean): Promise<Chunks | number> {
  if (keep) {
    const parts: Uint8Array[] = []
    for await (const c of source) parts.push(c)
    return regroup(parts)
  }
  let n = 0
  for await (const c of source) n += c.length
  return n
}

function sealwireCandidate(ctx: BenchContext): FileCandidate {
  const wrapper = createKeyWrapper(parseRecipientKey(ctx.spkiDer))
  const unwrap = createLocalUnwrap(ctx.privateKey)
  return {
    id: 'sealwire-stream',
    label: 'sealwire/1 stream (64 KiB segments)',
    seal: (plain, keep) => drain(sealStream(plain, { wrapper }), keep),
    async open(sealed) {
      let n = 0
      for await (const c of openStream(sealed, { unwrap })) n += c.length
      return n
    },
  }
}

const rawKey = randomBytes(32)
const rawIv = randomBytes(12)
let rawTag: Buffer | undefined

const rawCandidate: FileCandidate = {
  id: 'raw-gcm',
  label: 'raw AES-256-GCM, one pass (node:crypto)',
  async seal(plain, keep) {
    const c = createCipheriv('aes-256-gcm', rawKey, rawIv)
    const parts: Uint8Array[] = []
    let n = 0
    for (const p of plain) {
      const out = c.update(p)
      n += out.length
      if (keep) parts.push(out)
    }
    n += c.final().length
    rawTag = c.getAuthTag()
    return keep ? regroup(parts) : n
  },
  async open(sealed) {
    const d = createDecipheriv('aes-256-gcm', rawKey, rawIv)
    d.setAuthTag(rawTag!)
    let n = 0
    for (const p of sealed) n += d.update(p).length
    return n + d.final().length
  },
}

async function esdkCandidate(ctx: BenchContext, signed: boolean): Promise<FileCandidate> {
  const sdk = await import('@aws-crypto/client-node')
  const { encryptStream, decryptStream } = sdk.buildClient(
    sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  )
  const common = {
    keyNamespace: 'sealwire-bench',
    keyName: 'rsa-2048',
    padding: (await import('node:crypto')).constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256' as const,
  }
  const encrypting = new sdk.RawRsaKeyringNode({
    ...common,
    rsaKey: { publicKey: ctx.publicKey as unknown as AwsEsdkKeyObject },
  })
  const decrypting = new sdk.RawRsaKeyringNode({
    ...common,
    rsaKey: { privateKey: ctx.privateKey as unknown as AwsEsdkKeyObject },
  })
  const suiteId = signed
    ? undefined
    : sdk.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
  return {
    id: signed ? 'aws-esdk-stream-default' : 'aws-esdk-stream-nosig',
    label: signed
      ? 'AWS ESDK encryptStream, commit + ECDSA P-384 (default)'
      : 'AWS ESDK encryptStream, commit, no signature',
    seal: (plain, keep) =>
      drain(Readable.from(plain).pipe(encryptStream(encrypting, suiteId ? { suiteId } : {})), keep),
    async open(sealed) {
      let n = 0
      for await (const c of Readable.from(sealed).pipe(decryptStream(decrypting))) {
        n += (c as Uint8Array).length
      }
      return n
    },
  }
}

/** A forced full GC before each timed operation (as measure.ts does for its rounds). */
const collectGarbage: () => void = (() => {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun
  if (bun) return () => bun.gc(true)
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    if (typeof gc === 'function') return gc as () => void
  } catch {
    // No forced GC: the rounds run without it.
  }
  return () => undefined
})()

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/**
 * Measures every candidate at 1 MiB and 256 MiB on this runtime.
 *
 * @example
 * ```ts
 * const { rates } = await runFileRows(ctx, { rounds: 3 }, log)
 * ```
 */
export async function runFileRows(
  ctx: BenchContext,
  plan: FilePlan,
  log: (line: string) => void,
): Promise<FileRows> {
  const candidates: FileCandidate[] = [rawCandidate, sealwireCandidate(ctx)]
  const failed = new Map<string, string>()
  for (const signed of [false, true]) {
    try {
      candidates.push(await esdkCandidate(ctx, signed))
    } catch (err) {
      failed.set(signed ? 'aws-esdk-stream-default' : 'aws-esdk-stream-nosig', reason(err))
    }
  }
  const rates: FileRate[] = []
  for (const mib of FILE_SIZES_MIB) {
    const plain = plaintextChunks(mib)
    const rounds = mib === 1 ? Math.max(plan.rounds, 9) * 4 : plan.rounds
    const sealed = new Map<string, Chunks>()
    const times = new Map<string, { seal: number[]; open: number[] }>()
    const prepare = async (c: FileCandidate): Promise<void> => {
      try {
        // Warm-up, and the sealed bytes every later open round reads.
        const kept = await c.seal(plain, true)
        sealed.set(c.id, kept as Chunks)
        if ((await c.open(kept as Chunks)) !== mib * MIB) throw new Error('wrong plaintext length')
        times.set(c.id, { seal: [], open: [] })
      } catch (err) {
        failed.set(c.id, reason(err))
      }
    }
    const round = async (c: FileCandidate): Promise<void> => {
      const t = times.get(c.id)
      if (!t) return
      collectGarbage()
      let start = performance.now()
      await c.seal(plain, false)
      t.seal.push(mib / ((performance.now() - start) / 1000))
      collectGarbage()
      start = performance.now()
      await c.open(sealed.get(c.id)!)
      t.open.push(mib / ((performance.now() - start) / 1000))
    }
    log(`files: ${mib} MiB, ${rounds} rounds of ${candidates.length} candidates`)
    if (mib === 1) {
      // Small: all sealed copies fit; rounds interleave the candidates.
      for (const c of candidates) await prepare(c)
      for (let r = 0; r < rounds; r++) for (const c of candidates) await round(c)
    } else {
      // Large: one candidate's sealed copy in memory at a time (256 MiB each), rounds in a row.
      for (const c of candidates) {
        await prepare(c)
        for (let r = 0; r < rounds; r++) await round(c)
        sealed.delete(c.id)
      }
    }
    for (const c of candidates) {
      const t = times.get(c.id)
      for (const op of ['seal', 'open'] as const) {
        const base = { id: c.id, label: c.label, op, mib }
        rates.push(
          t
            ? { ...base, mibPerSecond: median(t[op]), rounds: t[op] }
            : { ...base, error: failed.get(c.id) ?? 'n/a' },
        )
      }
    }
    sealed.clear()
  }
  for (const [id, why] of failed) {
    if (!candidates.some((c) => c.id === id)) {
      for (const mib of FILE_SIZES_MIB) {
        for (const op of ['seal', 'open'] as const) {
          rates.push({ id, label: id, op, mib, error: why })
        }
      }
    }
  }
  return { rates }
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

function fmt(rate: FileRate | undefined): string {
  if (!rate) return '–'
  return rate.mibPerSecond === undefined
    ? `n/a (${rate.error})`
    : `${rate.mibPerSecond.toFixed(0)} MiB/s`
}

function ratioText(a: FileRate | undefined, b: FileRate | undefined): string {
  if (a?.mibPerSecond === undefined || b?.mibPerSecond === undefined) return '–'
  return `${(a.mibPerSecond / b.mibPerSecond).toFixed(2)}×`
}

/**
 * The markdown section of the file rows for both runtimes.
 *
 * @example
 * ```ts
 * process.stdout.write(renderFileRows([['Node', node.files], ['Bun', bun.files]]).join('\n'))
 * ```
 */
export function renderFileRows(
  runs: readonly (readonly [string, FileRows | undefined])[],
): string[] {
  const lines = [
    '',
    '## Large files: the sealwire/1 stream format (issue 12)',
    '',
    'Throughput over the same plaintext read as 1 MiB chunks (median of interleaved rounds; MiB/s of plaintext). ' +
      '"vs raw" is against one raw AES-256-GCM pass over the same bytes (goal ≥ 0.80×); "vs ESDK" against the AWS ' +
      'Encryption SDK streaming with a raw RSA keyring, committing suite without signature.',
    '',
    '| runtime | size | op | sealwire | raw AES-GCM | vs raw | ESDK (no signature) | vs ESDK | ESDK (default, ECDSA) |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  const find = (rows: FileRows, id: string, op: string, mib: number) =>
    rows.rates.find((r) => r.id === id && r.op === op && r.mib === mib)
  for (const [runtime, rows] of runs) {
    if (!rows) {
      lines.push(`| ${runtime} | n/a | | | | | | | |`)
      continue
    }
    for (const mib of FILE_SIZES_MIB) {
      for (const op of ['seal', 'open'] as const) {
        const sw = find(rows, 'sealwire-stream', op, mib)
        const raw = find(rows, 'raw-gcm', op, mib)
        const esdk = find(rows, 'aws-esdk-stream-nosig', op, mib)
        const esdkDefault = find(rows, 'aws-esdk-stream-default', op, mib)
        lines.push(
          `| ${runtime} | ${mib} MiB | ${op} | ${fmt(sw)} | ${fmt(raw)} | ${ratioText(sw, raw)} | ${fmt(esdk)} | ${ratioText(sw, esdk)} | ${fmt(esdkDefault)} |`,
        )
      }
    }
  }
  const rss = runs.flatMap(([, r]) => r?.rss ?? [])
  if (rss.length > 0) {
    lines.push(
      '',
      'Peak RSS of `sealwire-file` on a 256 MiB file (child processes, Linux VmHWM):',
      '',
    )
    lines.push('| runtime | command | peak RSS |', '|---|---|---|')
    for (const r of rss) {
      lines.push(
        `| ${r.runtime} | ${r.command} | ${r.peakRssBytes !== undefined ? `${(r.peakRssBytes / MIB).toFixed(1)} MiB` : `n/a (${r.error})`} |`,
      )
    }
  }
  return lines
}
