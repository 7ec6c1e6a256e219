/**
 * The results of a run and their markdown: the summary (sealwire against the fastest baseline
 * and against raw AES-GCM, per runtime and size), the headline figures at 256 B, the method, then
 * one table per runtime with msg/s, spread, overhead and both ratios for every row.
 *
 * A ratio is the median over rounds of the per-round ratio: both rows ran in the same round,
 * seconds apart, so slow drift of the machine cancels out.
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
  /** A minimal-hybrid baseline of its op. */
  readonly baseline: boolean
  /** The raw AES-GCM row of its op (the floor). */
  readonly floor?: boolean
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
  /** The 1-minute load average when the run started and when it ended (0 where not reported). */
  readonly load?: readonly [number, number]
  readonly plan: Plan
  /** Set when the run used the `--quick` plan (a smoke check, not numbers to keep). */
  readonly quick?: boolean
  readonly totalMs: number
  readonly runs: readonly (RuntimeRun | RuntimeFailure)[]
}

/** The payload size of the headline figures. */
export const HEADLINE_SIZE = 256

/** The sealwire row that the summary reports for each operation. */
const SEALWIRE_ROW = { seal: 'sealwire-compact', open: 'sealwire-open' } as const
const OPS = ['seal', 'open'] as const

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

function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`
}

/** A row's label without its parenthesised detail, for the summary. */
function shortLabel(row: Row): string {
  return row.label.replace(/\s*\(.*\)$/, '')
}

function findRow(run: RuntimeRun, id: string, size: number): Row | undefined {
  return run.rows.find((r) => r.id === id && r.size === size)
}

/**
 * `row` against `reference`: the median over rounds of the per-round ratio of their msg/s, or
 * the ratio of the medians if the rounds do not line up (a row failed partway).
 */
export function ratio(row: Row, reference: Row | undefined): number | undefined {
  if (!row.rates || !reference?.rates) return undefined
  const mine = row.rates.perRound
  const theirs = reference.rates.perRound
  if (mine.length !== theirs.length || mine.length === 0) {
    return row.rates.median / reference.rates.median
  }
  return median(mine.map((rate, i) => rate / theirs[i]!))
}

/**
 * The fastest minimal-hybrid baseline of `op` at `size` in this run (highest median msg/s), or
 * undefined if none was measured.
 */
export function fastestBaseline(run: RuntimeRun, op: Row['op'], size: number): Row | undefined {
  let best: Row | undefined
  for (const r of run.rows) {
    if (!r.baseline || r.op !== op || r.size !== size || !r.rates) continue
    if (!best?.rates || r.rates.median > best.rates.median) best = r
  }
  return best
}

/** The raw AES-GCM row of `op` at `size`, if it was measured. */
export function floorRow(run: RuntimeRun, op: Row['op'], size: number): Row | undefined {
  return run.rows.find((r) => r.floor && r.op === op && r.size === size && r.rates)
}

/** sealwire's row of `op` at `size` against the fastest baseline and against raw AES-GCM. */
export interface Comparison {
  readonly runtime: string
  readonly op: Row['op']
  readonly size: number
  readonly sealwire?: Row
  readonly baseline?: Row
  readonly floor?: Row
  readonly vsBaseline?: number
  readonly vsFloor?: number
}

/**
 * The summary figures of one runtime: for each size and operation, sealwire (compact seal, or
 * compact open with the epoch key cached) against the fastest baseline and against raw AES-GCM.
 */
export function comparisons(run: RuntimeRun): Comparison[] {
  const sizes = [...new Set(run.rows.map((r) => r.size))]
  const out: Comparison[] = []
  for (const size of sizes) {
    for (const op of OPS) {
      const sealwire = findRow(run, SEALWIRE_ROW[op], size)
      const baseline = fastestBaseline(run, op, size)
      const floor = floorRow(run, op, size)
      out.push({
        runtime: run.runtime,
        op,
        size,
        sealwire,
        baseline,
        floor,
        vsBaseline: sealwire && ratio(sealwire, baseline),
        vsFloor: sealwire && ratio(sealwire, floor),
      })
    }
  }
  return out
}

/** The headline lines (256 B): both ratios of seal and open on each runtime, and the overheads. */
export function headlineLines(report: Report): string[] {
  const ok = report.runs.filter((r): r is RuntimeRun => r.ok)
  const failed = report.runs.filter((r) => !r.ok).map((r) => `${r.runtime} n/a`)
  const at = (op: Row['op']) =>
    ok.map((run) => comparisons(run).find((c) => c.op === op && c.size === HEADLINE_SIZE)!)
  const line = (op: Row['op'], what: string, pick: (c: Comparison) => string) =>
    `${what} at ${HEADLINE_SIZE} B: ${[...at(op).map((c) => `${c.runtime} ${pick(c)}`), ...failed].join(', ')}`
  const named = (c: Comparison) =>
    `${formatRatio(c.vsBaseline)}${c.baseline ? ` (${shortLabel(c.baseline)})` : ''}`
  const sized = ok[0]
  const overhead = (id: string) => {
    const bytes = sized && findRow(sized, id, HEADLINE_SIZE)?.overheadBytes
    return bytes === undefined ? 'n/a' : `${bytes} B`
  }
  return [
    line('seal', 'compact seal / fastest baseline seal', named),
    line('seal', 'compact seal / raw AES-GCM encrypt', (c) => formatRatio(c.vsFloor)),
    line('open', 'compact open / fastest baseline open', named),
    line('open', 'compact open / raw AES-GCM decrypt', (c) => formatRatio(c.vsFloor)),
    `overhead at ${HEADLINE_SIZE} B: compact ${overhead('sealwire-compact')}, ` +
      `full ${overhead('sealwire-full')}`,
  ]
}

function renderSummary(report: Report): string[] {
  const ok = report.runs.filter((r): r is RuntimeRun => r.ok)
  const all = ok.map(comparisons)
  const lines = [
    '| payload | op | runtime | sealwire msg/s | fastest baseline (msg/s) | **vs fastest baseline** | raw AES-GCM msg/s | **vs raw AES-GCM** |',
    '|---|---|---|--:|---|--:|--:|--:|',
  ]
  const rate = (row: Row | undefined) => (row?.rates ? formatRate(row.rates.median) : 'n/a')
  const keys = all[0]?.map((c) => [c.size, c.op] as const) ?? []
  for (const [size, op] of keys) {
    for (const list of all) {
      const c = list.find((x) => x.size === size && x.op === op)
      if (!c) continue
      const base = c.baseline ? `${shortLabel(c.baseline)} (${rate(c.baseline)})` : 'n/a'
      const bold = (text: string) => (size === HEADLINE_SIZE ? `**${text}**` : text)
      const what = op === 'seal' ? 'seal, compact' : 'open, compact'
      const cells = [
        formatSize(size),
        what,
        c.runtime,
        rate(c.sealwire),
        base,
        bold(formatRatio(c.vsBaseline)),
        rate(c.floor),
        bold(formatRatio(c.vsFloor)),
      ]
      lines.push(`| ${cells.join(' | ')} |`)
    }
  }
  for (const run of report.runs) if (!run.ok) lines.push('', `${run.runtime}: n/a (${run.error})`)
  return lines
}

function renderTable(run: RuntimeRun): string[] {
  const lines = [
    '| payload | candidate | msg/s (median) | spread | overhead B | vs fastest baseline | vs raw AES-GCM |',
    '|---|---|--:|--:|--:|--:|--:|',
  ]
  const sizes = [...new Set(run.rows.map((r) => r.size))]
  for (const size of sizes) {
    const fastest = {
      seal: fastestBaseline(run, 'seal', size),
      open: fastestBaseline(run, 'open', size),
    }
    const floors = { seal: floorRow(run, 'seal', size), open: floorRow(run, 'open', size) }
    for (const row of run.rows.filter((r) => r.size === size)) {
      const rates = row.rates
      const rate = rates ? formatRate(rates.median) : `n/a (${row.error ?? 'no result'})`
      const spread = rates ? `±${((50 * (rates.max - rates.min)) / rates.median).toFixed(0)}%` : ''
      const overhead = row.overheadBytes === undefined ? '' : String(row.overheadBytes)
      const vsBaseline =
        row === fastest[row.op]
          ? `1.00× (fastest ${row.op} baseline)`
          : formatRatio(ratio(row, fastest[row.op]))
      const vsFloor =
        row.floor && rates ? `1.00× (${row.op} floor)` : formatRatio(ratio(row, floors[row.op]))
      const cells = [formatSize(size), row.label, rate, spread, overhead, vsBaseline, vsFloor]
      lines.push(`| ${cells.join(' | ')} |`)
    }
  }
  return lines
}

/**
 * Renders the whole report as markdown (also what `bench/RESULTS.md` holds after `--write`).
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
    'Generated by `npm run bench -- --write` (see `bench/README.md` for what is measured and how ' +
      'to read it).',
    ...(report.quick
      ? [
          '',
          '**Quick run** (`--quick`): too few, too short rounds; a smoke check, not numbers to keep.',
        ]
      : []),
    '',
    `## Summary: sealwire against the fastest baseline and against raw AES-GCM (${HEADLINE_SIZE} B is the headline)`,
    '',
    'Ratio = sealwire msg/s ÷ reference msg/s (median over rounds of the per-round ratio); above ' +
      '1.00× sealwire is faster. Fastest baseline = whichever minimal hybrid (random nonce or ' +
      'counter nonce; one shared open) had the higher median msg/s at that size on that runtime ' +
      'in this run. Raw AES-GCM = node:crypto AES-256-GCM with no framing, the floor.',
    '',
    ...renderSummary(report),
    '',
    `## Headline (${HEADLINE_SIZE} B)`,
    '',
    ...headlineLines(report).map((l) => `- ${l}`),
    '',
    '## Method',
    '',
    `- date: ${report.date}`,
    `- CPU: ${report.cpu}`,
    ...(report.load
      ? [
          `- machine load (1-min load average) at start / end: ${report.load[0].toFixed(1)} / ` +
            `${report.load[1].toFixed(1)} (other work on the machine; well above the core ` +
            'count, msg/s and spreads suffer and ratios get noisier)',
        ]
      : []),
    `- runtimes: ${runtimes}`,
    `- method: per runtime, every candidate × size is warmed up for ${plan.warmupMs} ms, then ` +
      `${plan.rounds} interleaved rounds of ${plan.roundMs} ms each (round r rotates the order ` +
      'by r; a forced full GC, untimed, before each segment); msg/s = median over rounds; ' +
      'spread = ±half the (max − min) range over rounds, as % of the median; async candidates ' +
      'are awaited one at a time',
    '- key: RSA-2048, e = 65537, generated in memory for the run; payloads: JSON-like telemetry',
    '- overhead = output bytes − plaintext bytes for one message (sealwire at sequence ' +
      'number 1000; raw AES-GCM counts its nonce and tag)',
    '- vs fastest baseline: seal rows against the faster seal baseline, open rows against the ' +
      'open baseline; vs raw AES-GCM: seal rows against raw encrypt, open rows against raw ' +
      'decrypt; same size and runtime, median over rounds of the per-round ratio',
    `- whole run: ${formatSeconds(report.totalMs)}`,
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
