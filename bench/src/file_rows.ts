/**
 * The file rows (issue 12): sealing and opening throughput of the `sealwire/1` stream format at
 * 1 MiB and 256 MiB, on the current runtime, against raw AES-256-GCM over the same bytes (one GCM
 * pass, the floor; goal ≥ 0.8×) and the AWS Encryption SDK's `encryptStream`/`decryptStream`
 * with a raw RSA keyring (RSA-OAEP-SHA-256, public key only for encryption) in the same run;
 * plus, from the Node half only, the peak RSS of `sealwire-file seal` and `open` child processes
 * on a 256 MiB file (Node from `dist/`, Bun from the sources).
 *
 * Every candidate reads the same plaintext as 1 MiB chunks (as a file is read) and its output is
 * consumed and dropped (counted). Opening reads what the same candidate sealed, regrouped into 1
 * MiB chunks untimed (sealwire: kept whole, read in place with random access, as `sealwire-file
 * open` reads a file; no candidate copies its input). sealwire's seal includes its one RSA
 * operation per file (the wrap); its open is reported twice, without and with the per-file unwrap
 * (see {@link sealwireCandidate}). A full GC runs before every timed operation. raw AES-GCM and
 * sealwire run in interleaved rounds and the ratio is taken per round (median reported); the ESDK
 * afterwards. The rows run in a fresh child process per runtime ({@link runFileRowsIsolated}).
 *
 * @example
 * ```ts
 * const files = await runFileRowsIsolated({ rounds: 5 }, log)
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { dirname, extname, join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { AwsEsdkKeyObject } from '@aws-crypto/client-node'
import type { RandomAccessSource, Unwrap } from '../../envelope/src/index.ts'
import {
  createKeyWrapper,
  createLocalUnwrap,
  defaultStreamOptions,
  openRandomAccess,
  parseRecipientKey,
  sealStream,
  toHex,
} from '../../envelope/src/index.ts'
import type { BenchContext } from './bench_context.ts'
import { createContext } from './bench_context.ts'
import type { FileRss } from './file_rss.ts'
import { runMarkedChild, writeMarked } from './marked_child.ts'
import { collectGarbage, median, reason } from './measure.ts'

const MIB = 2 ** 20
/** The two file sizes of the issue. */
const FILE_SIZES_MIB = [1, 256] as const

/** One timed operation's throughput at one size. */
export interface FileRate {
  readonly id: string
  readonly label: string
  /** `open-unwrap`: sealwire's open with its per-file RSA unwrap inside the timed part. */
  readonly op: 'seal' | 'open' | 'open-unwrap'
  readonly mib: number
  /** Median MiB/s over the rounds, or why there is none. */
  readonly mibPerSecond?: number
  readonly rounds?: readonly number[]
  /**
   * sealwire rows only: the median over rounds of this row's MiB/s ÷ raw AES-GCM's MiB/s of the
   * same round and direction (the goal's ratio).
   */
  readonly vsRaw?: number
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
  /** Rounds at 256 MiB for raw and sealwire (interleaved); 1 MiB runs 4× as many, at least 36. */
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

/** A timed operation: returns the bytes it produced (checked against the size). */
type Op = (sealed: Chunks) => Promise<number>

interface FileCandidate {
  readonly id: string
  readonly label: string
  /** Seals `plain`, returning the sealed chunks (kept for opening) when `keep`. */
  seal(plain: Chunks, keep: boolean): Promise<Chunks | number>
  /** The opening operations, by row op. */
  readonly opens: Readonly<Partial<Record<'open' | 'open-unwrap', Op>>>
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

async function count(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0
  for await (const c of source) n += c.length
  return n
}

/** Total bytes of chunks. */
function lengthOf(chunks: Chunks): number {
  let n = 0
  for (const c of chunks) n += c.length
  return n
}

/**
 * A sealed file held whole in memory as a random-access source: each read is a view of the
 * range (no copy), as the raw and ESDK rows read their chunks in place.
 */
function inMemoryFile(sealed: Chunks): RandomAccessSource {
  if (sealed.length !== 1) throw new Error('sealwire: the sealed copy is kept whole')
  const whole = sealed[0]!
  return { size: whole.length, read: (at, n) => whole.subarray(at, at + n) }
}

/**
 * sealwire's stream, as `sealwire-file` runs it on a regular file: sealing is told the length
 * (`totalBytes`, from the file's size) and includes drawing the CEK and its RSA-OAEP wrap (one
 * public-key operation per file); opening is `openRandomAccess`, as `sealwire-file open` reads a
 * file (the header, the final segment checked first, then the segments before it, every byte once),
 * over the sealed file kept whole in memory. Opening has two rows: `open`, the stream itself
 * (header, final check, every segment) with the file's CEK unwrapped before the timed part, as the
 * per-file KMS `Decrypt` is a network call whose cost has nothing to do with the file's size; and
 * `open-unwrap`, the same with a local RSA-OAEP private-key unwrap inside the timed part (what the
 * ESDK rows also include).
 */
function sealwireCandidate(ctx: BenchContext): FileCandidate {
  const wrapper = createKeyWrapper(parseRecipientKey(ctx.spkiDer))
  const unwrap = createLocalUnwrap(ctx.privateKey)
  // The CEK of each sealed copy, unwrapped once (untimed, by the warm-up open).
  const unwrapped = new Map<string, Uint8Array>()
  const remembered: Unwrap = async (wrapped, kid) => {
    // Keyed by the first 16 bytes (a random-looking RSA ciphertext: unique among the few kept).
    const id = toHex(wrapped.subarray(0, 16))
    let cek = unwrapped.get(id)
    if (cek === undefined) {
      cek = Uint8Array.from(await unwrap(wrapped, kid))
      unwrapped.set(id, cek)
    }
    return Uint8Array.from(cek)
  }
  return {
    id: 'sealwire-stream',
    label: `sealwire/1 stream (${defaultStreamOptions.segmentBytes / 1024} KiB segments)`,
    async seal(plain, keep) {
      const sealed = sealStream(plain, { wrapper, totalBytes: lengthOf(plain) })
      if (!keep) return count(sealed)
      const parts: Uint8Array[] = []
      for await (const c of sealed) parts.push(c)
      return [Buffer.concat(parts)]
    },
    opens: {
      open: (sealed) => count(openRandomAccess(inMemoryFile(sealed), { unwrap: remembered })),
      'open-unwrap': (sealed) => count(openRandomAccess(inMemoryFile(sealed), { unwrap })),
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
  opens: {
    async open(sealed) {
      const d = createDecipheriv('aes-256-gcm', rawKey, rawIv)
      d.setAuthTag(rawTag!)
      let n = 0
      for (const p of sealed) n += d.update(p).length
      return n + d.final().length
    },
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
    opens: {
      open: (sealed) =>
        count(Readable.from(sealed).pipe(decryptStream(decrypting)) as AsyncIterable<Uint8Array>),
    },
  }
}

type RowOp = FileRate['op']

/** Files per timed operation at 1 MiB (see {@link Group.round}). */
const FILES_PER_OP = 64

/** The measurements of one group of candidates at one size. */
class Group {
  readonly #mib: number
  readonly #plain: Chunks
  readonly #sealed = new Map<string, Chunks>()
  /** Per candidate and op, MiB/s in each round (rounds align across the group's candidates). */
  readonly times = new Map<string, Map<RowOp, number[]>>()
  readonly failed = new Map<string, string>()

  constructor(mib: number) {
    this.#mib = mib
    this.#plain = plaintextChunks(mib)
  }

  /** Warm-up, the sealed copy every later open reads, and a check of every open. */
  async prepare(c: FileCandidate): Promise<void> {
    try {
      const kept = (await c.seal(this.#plain, true)) as Chunks
      this.#sealed.set(c.id, kept)
      const ops = new Map<RowOp, number[]>([['seal', []]])
      for (const [op, open] of Object.entries(c.opens) as [RowOp, Op][]) {
        if ((await open(kept)) !== this.#mib * MIB) throw new Error(`${op}: wrong plaintext length`)
        ops.set(op, [])
      }
      this.times.set(c.id, ops)
    } catch (err) {
      this.failed.set(c.id, reason(err))
    }
  }

  /**
   * One round of a candidate: seal, then each open, a full GC before each. At 1 MiB a timed
   * operation is {@link FILES_PER_OP} files in a row (each its own stream, CEK and RSA operation):
   * right after a forced full GC the first call of any code path runs several times slower
   * (measured: sealing one 1 MiB file 1.3 ms after a GC, 0.57 ms otherwise; raw AES-GCM 0.62 and
   * 0.48 ms), which would measure the GC's after-effects rather than sealing files. The effect
   * fades slowly and hits sealwire's longer path (RSA, header, four segments) more than raw's one
   * call: sealing 16 files per operation measured 0.78× raw, 64 files 0.82× (Node, same child).
   * 64 files (64 MiB, 15–25 ms) is a quarter of a 256 MiB operation, the other size's unit.
   */
  async round(c: FileCandidate): Promise<void> {
    const ops = this.times.get(c.id)
    if (!ops || this.failed.has(c.id)) return
    const files = this.#mib === 1 ? FILES_PER_OP : 1
    try {
      const rate = async (run: () => Promise<unknown>): Promise<number> => {
        collectGarbage?.()
        const start = performance.now()
        for (let i = 0; i < files; i++) await run()
        return (files * this.#mib) / ((performance.now() - start) / 1000)
      }
      ops.get('seal')!.push(await rate(() => c.seal(this.#plain, false)))
      const sealed = this.#sealed.get(c.id)!
      for (const [op, open] of Object.entries(c.opens) as [RowOp, Op][]) {
        ops.get(op)!.push(await rate(() => open(sealed)))
      }
    } catch (err) {
      this.failed.set(c.id, reason(err))
    }
  }

  /** Drops a candidate's sealed copy (memory). */
  release(c: FileCandidate): void {
    this.#sealed.delete(c.id)
  }

  rates(c: FileCandidate, raw?: Map<RowOp, number[]>): FileRate[] {
    const ops = this.times.get(c.id)
    const why = this.failed.get(c.id)
    const all: RowOp[] = ['seal', ...(Object.keys(c.opens) as RowOp[])]
    return all.map((op) => {
      const base = { id: c.id, label: c.label, op, mib: this.#mib }
      const list = ops?.get(op)
      if (why !== undefined || !list || list.length === 0) return { ...base, error: why ?? 'n/a' }
      const floor = raw?.get(op === 'seal' ? 'seal' : 'open')
      const ratios = floor?.length === list.length ? list.map((v, i) => v / floor[i]!) : undefined
      return {
        ...base,
        mibPerSecond: median(list),
        rounds: list,
        ...(ratios && { vsRaw: median(ratios) }),
      }
    })
  }
}

/**
 * Measures every candidate at 1 MiB and 256 MiB on this runtime. First raw AES-GCM and sealwire,
 * in interleaved rounds (both sealed copies held, 512 MiB at 256 MiB), the goal's ratio taken
 * per round; only then is the AWS Encryption SDK loaded and measured, each candidate's rounds in
 * a row at 256 MiB (one sealed copy at a time). Run it in a fresh process
 * ({@link runFileRowsIsolated}): how fast a 1 MiB `update` of node:crypto runs depends on what
 * the process allocated before (in a process that had loaded the ESDK, raw AES-GCM ran up to
 * 2× faster and the stream up to 1.5× slower than in a fresh one: glibc's adaptive mmap
 * threshold), and a file is sealed by `sealwire-file`, a process of its own.
 *
 * @example
 * ```ts
 * const { rates } = await runFileRows(ctx, { rounds: 5 }, log)
 * ```
 */
async function runFileRows(
  ctx: BenchContext,
  plan: FilePlan,
  log: (line: string) => void,
): Promise<FileRows> {
  const rates: FileRate[] = []
  const core = [rawCandidate, sealwireCandidate(ctx)]
  for (const mib of FILE_SIZES_MIB) {
    const rounds = mib === 1 ? Math.max(plan.rounds * 4, 36) : plan.rounds
    log(`files: ${mib} MiB, raw AES-GCM and sealwire, ${rounds} interleaved rounds`)
    const group = new Group(mib)
    for (const c of core) await group.prepare(c)
    for (let r = 0; r < rounds; r++) {
      // Alternate who goes first, so neither always runs right after the other's garbage.
      for (const c of r % 2 === 0 ? core : [...core].reverse()) await group.round(c)
    }
    const raw = group.failed.has(rawCandidate.id) ? undefined : group.times.get(rawCandidate.id)
    for (const c of core) rates.push(...group.rates(c, c === rawCandidate ? undefined : raw))
  }
  const esdk: FileCandidate[] = []
  const esdkFailed = new Map<string, string>()
  for (const signed of [false, true]) {
    try {
      esdk.push(await esdkCandidate(ctx, signed))
    } catch (err) {
      esdkFailed.set(signed ? 'aws-esdk-stream-default' : 'aws-esdk-stream-nosig', reason(err))
    }
  }
  for (const mib of FILE_SIZES_MIB) {
    const rounds = mib === 1 ? 9 : ESDK_ROUNDS_256
    log(`files: ${mib} MiB, ${esdk.length} AWS ESDK candidates, ${rounds} rounds each`)
    const group = new Group(mib)
    for (const c of esdk) {
      await group.prepare(c)
      for (let r = 0; r < rounds; r++) await group.round(c)
      group.release(c)
      rates.push(...group.rates(c))
    }
    for (const [id, why] of esdkFailed) {
      for (const op of ['seal', 'open'] as const) rates.push({ id, label: id, op, mib, error: why })
    }
  }
  return { rates }
}

/** Rounds of each ESDK candidate at 256 MiB (about 3 s per operation). */
const ESDK_ROUNDS_256 = 3

/**
 * glibc malloc settings of the child: a fixed mmap threshold (32 MiB) and trim threshold
 * (256 MiB). node:crypto allocates a fresh output buffer for every `update` (1 MiB for raw
 * AES-GCM, one segment for sealwire). With glibc's default *adaptive* threshold, whether such a
 * buffer is a fresh mmap (a page fault per 4 KiB written) or recycled heap memory depends on what
 * the process freed before, so the same loop ran at 750 or at 2,200 MiB/s depending on the order
 * of the candidates. Fixed, every candidate's buffers come from the heap and are recycled: what
 * is compared is the cryptography and the framing, not the allocator's history. (Bun allocates
 * with its own allocator and ignores these.)
 */
const FIXED_MALLOC = {
  MALLOC_MMAP_THRESHOLD_: String(32 * MIB),
  MALLOC_TRIM_THRESHOLD_: String(256 * MIB),
}

/** Prefix of the child's one stdout line that carries its results. */
const FILE_RESULT_MARKER = '@@sealwire-bench-files@@ '

/**
 * {@link runFileRows} in a fresh child process of this runtime (`file_child.ts` next to this
 * file, `.js` from `dist/` on Node), so that what this process ran before does not change the
 * figures. Never throws: a failure comes back as rows with an error.
 *
 * @example
 * ```ts
 * const files = await runFileRowsIsolated({ rounds: 5 }, log)
 * ```
 */
export async function runFileRowsIsolated(
  plan: FilePlan,
  log: (line: string) => void,
): Promise<FileRows> {
  const here = fileURLToPath(import.meta.url)
  const entry = join(dirname(here), `file_child${extname(here)}`)
  const failed = (why: string): FileRows => ({
    rates: FILE_SIZES_MIB.flatMap((mib) =>
      (['seal', 'open'] as const).map((op) => ({
        id: 'sealwire-stream',
        label: 'sealwire/1 stream',
        op,
        mib,
        error: why,
      })),
    ),
  })
  const r = await runMarkedChild<FileRows>(process.execPath, [entry, String(plan.rounds)], {
    marker: FILE_RESULT_MARKER,
    env: { ...process.env, ...FIXED_MALLOC },
  })
  if (r.ok) return r.value
  log(`files: the child ${r.error}`)
  return failed(`child ${r.error}`)
}

/**
 * The child's side of {@link runFileRowsIsolated}: measures, then prints the marked result line.
 *
 * @example
 * ```ts
 * await fileChildMain(Number(process.argv[2]))
 * ```
 */
export async function fileChildMain(rounds: number): Promise<void> {
  const runtime = (process.versions as { bun?: string }).bun ? 'bun' : 'node'
  const log = (line: string): void => void process.stderr.write(`[${runtime}] ${line}\n`)
  await writeMarked(FILE_RESULT_MARKER, await runFileRows(createContext(), { rounds }, log))
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

function vsRawText(rate: FileRate | undefined): string {
  return rate?.vsRaw === undefined ? '–' : `**${rate.vsRaw.toFixed(2)}×**`
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
    'Throughput over the same plaintext read as 1 MiB chunks, MiB/s of plaintext, median over rounds, each runtime in a ' +
      'fresh child process. "vs raw" is the median over interleaved rounds of sealwire ÷ one raw AES-256-GCM pass over the ' +
      'same bytes in the same round (goal ≥ 0.80×). Seal includes the per-file RSA-OAEP wrap. Open is the stream with the ' +
      "file's CEK already unwrapped (the per-file KMS `Decrypt` is a network call, not a function of the size); " +
      '"open + RSA unwrap" includes a local RSA-2048 private-key unwrap, as the ESDK rows include theirs, and is the ' +
      'one compared with them. ESDK: the AWS Encryption SDK streaming with a raw RSA keyring; "no signature" is the ' +
      'committing suite without ECDSA.',
    '',
    '| runtime | size | op | sealwire | raw AES-GCM | vs raw | sealwire, open + RSA unwrap | vs raw | ESDK (no signature) | sealwire vs ESDK | ESDK (default, ECDSA) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  const find = (rows: FileRows, id: string, op: string, mib: number) =>
    rows.rates.find((r) => r.id === id && r.op === op && r.mib === mib)
  for (const [runtime, rows] of runs) {
    if (!rows) {
      lines.push(`| ${runtime} | n/a | | | | | | | | | |`)
      continue
    }
    for (const mib of FILE_SIZES_MIB) {
      for (const op of ['seal', 'open'] as const) {
        const sw = find(rows, 'sealwire-stream', op, mib)
        const withUnwrap =
          op === 'open' ? find(rows, 'sealwire-stream', 'open-unwrap', mib) : undefined
        const raw = find(rows, 'raw-gcm', op, mib)
        const esdk = find(rows, 'aws-esdk-stream-nosig', op, mib)
        const esdkDefault = find(rows, 'aws-esdk-stream-default', op, mib)
        const likeEsdk = op === 'open' ? withUnwrap : sw
        lines.push(
          `| ${runtime} | ${mib} MiB | ${op} | ${fmt(sw)} | ${fmt(raw)} | ${vsRawText(sw)} | ` +
            `${op === 'open' ? fmt(withUnwrap) : '(wrap included)'} | ${op === 'open' ? vsRawText(withUnwrap) : '–'} | ` +
            `${fmt(esdk)} | ${ratioText(likeEsdk, esdk)} | ${fmt(esdkDefault)} |`,
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
