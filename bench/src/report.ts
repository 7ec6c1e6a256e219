/**
 * The results of a run and their markdown: a header (date, CPU, runtimes, method), the acceptance
 * figures, then one table per runtime with msg/s, spread, overhead and the ratio against the
 * baseline of the same operation and size.
 *
 * @example
 * ```ts
 * const markdown = renderReport({ date, plan, cpu, totalMs, runs })
 * ```
 */
import type { Plan, Rates } from './measure.ts'
import { median } from './measure.ts'

/** One candidate at one size, on one runtime. */
export interface Row {
  readonly id: string
  readonly label: string
  readonly op: 'seal' | 'open'
  readonly baseline: boolean
  readonly size: number
  readonly overheadBytes?: number
  readonly rates?: Rates
  /** Why there is no number (prepare or a timed call threw). */
  readonly error?: string
}

/** Everything one runtime measured. */
export interface RuntimeRun {
  readonly ok: true
  /** `Node` or `Bun`. */
  readonly runtime: string
  readonly version: string
  readonly elapsedMs: number
  readonly rows: readonly Row[]
}

/** A runtime whose half could not run at all. */
export interface RuntimeFailure {
  readonly ok: false
  readonly runtime: string
  readonly error: string
}

/** The whole run. */
export interface Report {
  readonly date: string
  readonly cpu: string
  readonly plan: Plan
  readonly totalMs: number
  readonly runs: readonly (RuntimeRun | RuntimeFailure)[]
}

/** The sizes the acceptance figures are read at. */
export const ACCEPTANCE_SIZE = 256

function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString('en-US')
}

function formatSize(size: number): string {
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`
}

function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000)
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`
}

function findRow(run: RuntimeRun, id: string, size: number): Row | undefined {
  return run.rows.find((r) => r.id === id && r.size === size)
}

/**
 * `row` against its operation's baseline at the same size: the median over rounds of the
 * per-round ratio (both ran in the same round, close in time, so slow drift of the machine
 * cancels out), or the ratio of the medians if the rounds do not line up.
 */
export function ratioVsBaseline(run: RuntimeRun, row: Row): number | undefined {
  const base = run.rows.find((r) => r.baseline && r.op === row.op && r.size === row.size)
  if (!row.rates || !base?.rates) return undefined
  const mine = row.rates.perRound
  const theirs = base.rates.perRound
  if (mine.length !== theirs.length || mine.length === 0) {
    return row.rates.median / base.rates.median
  }
  return median(mine.map((rate, i) => rate / theirs[i]!))
}

/** `compact seal / baseline at 256 B` for a runtime, if both were measured. */
export function compactRatio(run: RuntimeRun): number | undefined {
  const row = findRow(run, 'sealwire-compact', ACCEPTANCE_SIZE)
  return row ? ratioVsBaseline(run, row) : undefined
}

/** The two acceptance lines. */
export function acceptanceLines(report: Report): string[] {
  const ratios = report.runs.map((run) => {
    const ratio = run.ok ? compactRatio(run) : undefined
    return `${run.runtime} ${ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`}`
  })
  const sized = report.runs.find((r): r is RuntimeRun => r.ok)
  const overhead = (id: string) => {
    const bytes = sized && findRow(sized, id, ACCEPTANCE_SIZE)?.overheadBytes
    return bytes === undefined ? 'n/a' : `${bytes} B`
  }
  return [
    `compact seal / baseline at ${ACCEPTANCE_SIZE} B: ${ratios.join(', ')}`,
    `overhead at ${ACCEPTANCE_SIZE} B: compact ${overhead('sealwire-compact')}, ` +
      `full ${overhead('sealwire-full')}`,
  ]
}

function renderTable(run: RuntimeRun): string[] {
  const lines = [
    '| payload | candidate | msg/s (median) | spread | overhead B | vs baseline |',
    '|---|---|--:|--:|--:|--:|',
  ]
  const sizes = [...new Set(run.rows.map((r) => r.size))]
  for (const size of sizes) {
    for (const row of run.rows.filter((r) => r.size === size)) {
      const rates = row.rates
      const rate = rates ? formatRate(rates.median) : `n/a (${row.error ?? 'no result'})`
      const spread = rates ? `±${((50 * (rates.max - rates.min)) / rates.median).toFixed(0)}%` : ''
      const overhead = row.overheadBytes === undefined ? '' : String(row.overheadBytes)
      const ratio = ratioVsBaseline(run, row)
      const vs = row.baseline
        ? `1.00× (${row.op} baseline)`
        : ratio === undefined
          ? 'n/a'
          : `${ratio.toFixed(2)}×`
      const cells = [formatSize(size), row.label, rate, spread, overhead, vs]
      lines.push(`| ${cells.join(' | ')} |`)
    }
  }
  return lines
}

/**
 * Renders the whole report as markdown (also what `bench/RESULTS.md` holds).
 *
 * @example
 * ```ts
 * writeFileSync('bench/RESULTS.md', renderReport(report))
 * ```
 */
export function renderReport(report: Report): string {
  const { plan } = report
  const runtimes = report.runs
    .map((r) => (r.ok ? `${r.runtime} ${r.version}` : `${r.runtime} (did not run)`))
    .join(', ')
  const out = [
    '# sealwire benchmark results',
    '',
    'Generated by `npm run bench` (see `bench/README.md` for what is measured and how to read it).',
    '',
    `- date: ${report.date}`,
    `- CPU: ${report.cpu}`,
    `- runtimes: ${runtimes}`,
    `- method: per runtime, every candidate × size is warmed up for ${plan.warmupMs} ms, then ` +
      `${plan.rounds} interleaved rounds of ${plan.roundMs} ms each (round r rotates the order ` +
      'by r; a forced full GC, untimed, before each segment); msg/s = median over rounds; ' +
      'spread = ±half the (max − min) range over rounds, as % of the median; async candidates ' +
      'are awaited one at a time',
    '- key: RSA-2048, e = 65537, generated in memory for the run; payloads: JSON-like telemetry',
    '- overhead = output bytes − plaintext bytes for one message (sealwire at sequence ' +
      'number 1000)',
    '- vs baseline: seal rows against the baseline seal, open rows against the baseline open, ' +
      'same size and runtime; the median over rounds of the per-round ratio',
    `- whole run: ${formatSeconds(report.totalMs)}`,
    '',
    '## Acceptance figures',
    '',
    ...acceptanceLines(report).map((l) => `- ${l}`),
  ]
  for (const run of report.runs) {
    out.push('')
    if (!run.ok) {
      out.push(`## ${run.runtime}`, '', `n/a (${run.error})`)
      continue
    }
    out.push(`## ${run.runtime} ${run.version} (${formatSeconds(run.elapsedMs)})`, '')
    out.push(...renderTable(run))
  }
  return `${out.join('\n')}\n`
}
