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
import type { AgentPlan } from './options.ts'

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

/**
 * A part of the agent against its bare peer (SQLite insert, mqtt.js publisher), measured in the
 * same interleaved rounds on one runtime.
 */
export interface PairRow {
  readonly id: string
  /** The agent's side. */
  readonly label: string
  /** The bare peer. */
  readonly peerLabel: string
  /** Unit of both rates, e.g. `rows/s`. */
  readonly unit: string
  /** The goal for agent ÷ peer (e.g. 0.5). */
  readonly goal: number
  readonly rates?: Rates
  readonly peerRates?: Rates
  /** Why the agent's side has no number. */
  readonly error?: string
  /** Why the peer has no number. */
  readonly peerError?: string
  /** Process CPU time per operation, µs (median over rounds), agent side and peer. */
  readonly cpuUs?: number
  readonly peerCpuUs?: number
  /** How it was run (concurrency, rows per commit, window, sizes). */
  readonly note?: string
  /** The broker it published to, for the rows that publish. */
  readonly broker?: string
}

/** Peak memory of one agent process (`sealwire-agent run`) on one runtime. */
export interface MemoryResult {
  readonly runtime: string
  readonly readings: number
  /** `VmHWM` of the process just before SIGTERM, bytes. */
  readonly peakRssBytes?: number
  /** Highest `VmRSS` seen by sampling every 100 ms, bytes. */
  readonly sampledPeakBytes?: number
  /** Readings per second from the first POST to the last PUBACK. */
  readonly readingsPerSecond?: number
  readonly elapsedMs?: number
  /** The goal for the peak, bytes, where there is one. */
  readonly goalBytes?: number
  readonly error?: string
}

/** KMS `Decrypt` calls of the consumer over a fleet's messages (one measurement, not timed). */
export interface ConsumerKmsCount {
  readonly devices: number
  /** Data messages delivered (announcements not counted). */
  readonly messages: number
  /** Epochs in the traffic (= announcements). */
  readonly epochs: number
  /** kms-local's `Decrypt` counter, after − before. */
  readonly decrypts: number
  readonly perTenThousand: number
  readonly elapsedMs: number
}

/** The consumer's rows on one runtime (issue 9). */
export interface ConsumerRows {
  /** Plaintext bytes (the encoded records) of one data message. */
  readonly size?: number
  /** Bytes of one sealed data message. */
  readonly messageBytes?: number
  /**
   * Raw AES-GCM decrypt (`floor`, one per plaintext size), the open stage (also with its records,
   * and at {@link BATCH_READINGS} readings) and the consumer's pipeline rows.
   */
  readonly rows?: readonly Row[]
  /** Why the open rows have no number. */
  readonly error?: string
  readonly kms?: ConsumerKmsCount
  readonly kmsError?: string
}

/** Everything one runtime measured. */
export interface RuntimeRun {
  readonly ok: true
  /** `Node` or `Bun`. */
  readonly runtime: string
  readonly version: string
  readonly elapsedMs: number
  readonly rows: readonly Row[]
  /** The agent's rows against their bare peers. */
  readonly pairs?: readonly PairRow[]
  /** The consumer's rows. */
  readonly consumer?: ConsumerRows
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
  /** The plan of the agent's rows, when they ran. */
  readonly agentPlan?: AgentPlan
  /** Set when the run used the `--quick` plan (a smoke check, not numbers to keep). */
  readonly quick?: boolean
  readonly totalMs: number
  readonly runs: readonly (RuntimeRun | RuntimeFailure)[]
  /** The agent process's peak RSS, per runtime. */
  readonly memory?: readonly MemoryResult[]
  /** The broker of the memory row. */
  readonly memoryBroker?: string
}

/** The payload size of the headline figures. */
const HEADLINE_SIZE = 256

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
  return rateRatio(row.rates, reference?.rates)
}

/**
 * `mine` against `theirs`: the median of the per-round ratios, or the ratio of the medians when
 * the rounds do not line up.
 */
function rateRatio(mine: Rates | undefined, theirs: Rates | undefined): number | undefined {
  if (!mine || !theirs) return undefined
  const a = mine.perRound
  const b = theirs.perRound
  if (a.length !== b.length || a.length === 0) return mine.median / theirs.median
  return median(a.map((rate, i) => rate / b[i]!))
}

/** The agent's side of a pair against its peer (see {@link rateRatio}). */
export function pairRatio(pair: PairRow): number | undefined {
  return rateRatio(pair.rates, pair.peerRates)
}

/** `met` or `missed` against a lower bound on a ratio; `n/a` without a ratio. */
function goalMark(value: number | undefined, goal: number): string {
  if (value === undefined) return 'n/a'
  return value >= goal ? 'met' : 'missed'
}

function formatMiB(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MiB`
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
    ...agentHeadlineLines(report),
    ...consumerHeadlineLines(report),
  ]
}

/** The goal for the consumer's open (warm epoch cache) ÷ raw AES-GCM decrypt. */
const CONSUMER_OPEN_GOAL = 0.8

/** Readings per message of the consumer's batched row (an agent with `batch.maxReadings: 16`). */
export const BATCH_READINGS = 16

/** The raw AES-GCM decrypt row of the consumer's rows for `row`'s plaintext size. */
function consumerFloor(c: ConsumerRows, row: Row): Row | undefined {
  return c.rows?.find((r) => r.floor && r.size === row.size)
}

/** A consumer row against the raw decrypt of the same plaintext, in the same rounds. */
export function consumerRatio(c: ConsumerRows, id: string): number | undefined {
  const row = c.rows?.find((r) => r.id === id)
  return row && ratio(row, consumerFloor(c, row))
}

/** The consumer row the goal is about: its open stage with a warm epoch cache. */
const CONSUMER_GOAL_ROW = 'consumer-open'

/** The consumer's headline lines: its open ÷ raw decrypt, and KMS calls per 10,000 messages. */
export function consumerHeadlineLines(report: Report): string[] {
  const ok = report.runs.filter((r): r is RuntimeRun => r.ok && r.consumer !== undefined)
  if (ok.length === 0) return []
  const cell = (run: RuntimeRun | RuntimeFailure, f: (c: ConsumerRows) => string) =>
    `${run.runtime} ${run.ok && run.consumer ? f(run.consumer) : 'n/a'}`
  const line = (what: string, id: string) =>
    `${what}: ${report.runs.map((run) => cell(run, (c) => formatRatio(consumerRatio(c, id)))).join(', ')}`
  return [
    `${line('consumer open stage, warm epoch cache / raw AES-GCM decrypt', CONSUMER_GOAL_ROW)} (goal ≥ ${CONSUMER_OPEN_GOAL.toFixed(2)}×)`,
    line(
      `consumer open stage, ${BATCH_READINGS} readings per message / raw AES-GCM decrypt`,
      'consumer-open-batch',
    ),
    line('consumer pipeline.handle, 1 in flight / raw AES-GCM decrypt', 'consumer-open-1'),
    `consumer KMS Decrypt per 10,000 messages: ${report.runs
      .map((run) =>
        cell(run, (c) =>
          c.kms
            ? `${c.kms.perTenThousand} (${c.kms.decrypts} calls, ${c.kms.epochs} epochs)`
            : `n/a`,
        ),
      )
      .join(', ')}`,
  ]
}

/** Short names of the agent's pairs in the headline. */
const PAIR_HEADLINES: Readonly<Record<string, string>> = Object.freeze({
  'outbox-full': 'outbox enqueue / bare SQLite insert, durability full (rows/s)',
  'outbox-normal': 'outbox enqueue / bare SQLite insert, durability normal (rows/s)',
  mqtt: 'agent → broker / bare mqtt.js publisher (acknowledged msg/s)',
})

/** The agent's headline lines: each pair's ratio per runtime, and the peak RSS. */
export function agentHeadlineLines(report: Report): string[] {
  const ok = report.runs.filter((r): r is RuntimeRun => r.ok && (r.pairs?.length ?? 0) > 0)
  const ids = [...new Set(ok.flatMap((run) => run.pairs!.map((p) => p.id)))]
  const lines = ids.map((id) => {
    const cells = report.runs.map((run) => {
      const p = run.ok ? run.pairs?.find((x) => x.id === id) : undefined
      return `${run.runtime} ${p ? formatRatio(pairRatio(p)) : 'n/a'}`
    })
    const goal = ok.flatMap((run) => run.pairs!).find((p) => p.id === id)!.goal
    return `${PAIR_HEADLINES[id] ?? id}: ${cells.join(', ')} (goal ≥ ${goal.toFixed(2)}×)`
  })
  if (report.memory && report.memory.length > 0) {
    const readings = Math.max(...report.memory.map((m) => m.readings))
    const cells = report.memory.map(
      (m) =>
        `${m.runtime} ${m.error === undefined ? formatMiB(m.peakRssBytes) : 'n/a'}` +
        (m.goalBytes === undefined ? '' : ` (goal ≤ ${formatMiB(m.goalBytes)})`),
    )
    lines.push(
      `agent peak RSS (VmHWM), ${readings.toLocaleString('en-US')} readings sealed and published: ${cells.join(', ')}`,
    )
  }
  return lines
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

function formatCpu(us: number | undefined): string {
  return us === undefined ? 'n/a' : us >= 100 ? String(Math.round(us)) : us.toFixed(1)
}

function renderAgentSummary(report: Report): string[] {
  const ok = report.runs.filter((r): r is RuntimeRun => r.ok && (r.pairs?.length ?? 0) > 0)
  const lines: string[] = []
  if (ok.length > 0) {
    lines.push(
      '| row | runtime | agent | bare peer | **agent ÷ peer** | goal | CPU µs per op (agent / peer) |',
      '|---|---|--:|--:|--:|---|--:|',
    )
    const ids = [...new Set(ok.flatMap((run) => run.pairs!.map((p) => p.id)))]
    for (const id of ids) {
      for (const run of ok) {
        const p = run.pairs!.find((x) => x.id === id)
        if (!p) continue
        const rate = (r: Rates | undefined, err: string | undefined) =>
          r ? `${formatRate(r.median)} ${p.unit}` : `n/a (${err ?? 'no result'})`
        const value = pairRatio(p)
        lines.push(
          `| ${PAIR_HEADLINES[id] ?? p.label} | ${run.runtime} | ${rate(p.rates, p.error)} | ` +
            `${rate(p.peerRates, p.peerError)} | **${formatRatio(value)}** | ` +
            `≥ ${p.goal.toFixed(2)}×: ${goalMark(value, p.goal)} | ` +
            `${formatCpu(p.cpuUs)} / ${formatCpu(p.peerCpuUs)} |`,
        )
      }
    }
  }
  if (report.memory && report.memory.length > 0) {
    if (lines.length > 0) lines.push('')
    lines.push(
      '| agent process | readings | **peak RSS (VmHWM)** | highest sampled RSS | readings/s end to end (both agents at once) | goal |',
      '|---|--:|--:|--:|--:|---|',
    )
    for (const m of report.memory) {
      const goal =
        m.goalBytes === undefined
          ? '—'
          : `≤ ${formatMiB(m.goalBytes)}: ${
              m.peakRssBytes === undefined
                ? 'n/a'
                : m.peakRssBytes <= m.goalBytes
                  ? 'met'
                  : 'missed'
            }`
      const cells =
        m.error === undefined
          ? [
              `**${formatMiB(m.peakRssBytes)}**`,
              formatMiB(m.sampledPeakBytes),
              m.readingsPerSecond === undefined ? 'n/a' : formatRate(m.readingsPerSecond),
            ]
          : [`n/a (${m.error})`, '', '']
      lines.push(
        `| ${m.runtime} | ${m.readings.toLocaleString('en-US')} | ${cells.join(' | ')} | ${goal} |`,
      )
    }
  }
  return lines
}

function renderPairTable(run: RuntimeRun): string[] {
  const lines = [
    '| agent row | agent (median) | spread | bare peer (median) | spread | agent ÷ peer | how |',
    '|---|--:|--:|--:|--:|--:|---|',
  ]
  const spread = (r: Rates | undefined) =>
    r ? `±${((50 * (r.max - r.min)) / r.median).toFixed(0)}%` : ''
  for (const p of run.pairs ?? []) {
    const rate = (r: Rates | undefined, err: string | undefined) =>
      r ? `${formatRate(r.median)} ${p.unit}` : `n/a (${err ?? 'no result'})`
    lines.push(
      `| ${p.label} vs ${p.peerLabel} | ${rate(p.rates, p.error)} | ${spread(p.rates)} | ` +
        `${rate(p.peerRates, p.peerError)} | ${spread(p.peerRates)} | ` +
        `${formatRatio(pairRatio(p))} | ${p.note ?? ''} |`,
    )
  }
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

/** Which broker each part of the run published to. */
function brokerLines(report: Report): string[] {
  const parts: string[] = []
  for (const run of report.runs) {
    const broker = run.ok ? run.pairs?.find((p) => p.broker !== undefined)?.broker : undefined
    if (broker !== undefined) parts.push(`${run.runtime} half: ${broker}`)
  }
  if (report.memoryBroker !== undefined) parts.push(`memory row: ${report.memoryBroker}`)
  return parts.length === 0 ? [] : [`- broker: ${parts.join('; ')}`]
}

function agentMethodLines(plan: AgentPlan): string[] {
  return [
    `- agent rows: per runtime, each side is one trial per segment: outbox and bare insert run ` +
      `${plan.outbox.roundMs} ms per round after ${plan.outbox.warmupMs} ms of warm-up; the ` +
      `agent and the bare publisher publish for ${plan.mqtt.roundMs} ms per round (after ` +
      `${plan.mqtt.warmupMs} ms of warm-up), then wait for their last PUBACKs, which count in ` +
      `the segment's time; ${plan.rounds} interleaved rounds (order rotated per round, forced ` +
      'GC before each segment); rate = median over rounds; every side verified before timing ' +
      '(rows read back, messages received and opened by a subscriber)',
    `- agent memory: one \`sealwire-agent run\` process per runtime with its defaults, ` +
      `${plan.rssReadings.toLocaleString('en-US')} readings POSTed to its ingest API in arrays ` +
      'of 1,000, then waited for until every sealed message was acknowledged; peak = `VmHWM` ' +
      'from `/proc/<pid>/status`; the Node and Bun agents run at the same time (a peak is not ' +
      'a timing figure), so their readings/s are not comparable with the MQTT row',
  ]
}

/** The consumer's summary section (also the whole report of `--only consumer`). */
export function renderConsumerSummary(report: Report): string[] {
  const ok = report.runs.filter((r): r is RuntimeRun => r.ok && r.consumer !== undefined)
  if (ok.length === 0) return []
  const lines = [
    '',
    '## Summary: the consumer, warm epoch cache, against raw AES-GCM decrypt; KMS calls',
    '',
    'Ratio = row msg/s ÷ raw AES-256-GCM decrypt msg/s of the same plaintext (the encoded ' +
      'records of one message), median over rounds of the per-round ratio, same interleaved ' +
      "rounds. Open stage = the consumer's own opener and epoch key cache (memory hit), called " +
      'as its pipeline calls them for a compact data message: `parseEnvelope`, then ' +
      '`openCompactSync` (device binding, key lookup, AES-GCM with the `Enc_structure` AAD). ' +
      'Pipeline = its own `Pipeline` (`createConsumerCore`, in-memory state and dead letters, a ' +
      'no-op sink): the open stage, then `decodeRecords`, replay window, group commit to the ' +
      'sink, mark delivered, metrics.',
    '',
    '| row | runtime | plaintext B | msg/s | raw AES-GCM msg/s | **÷ raw AES-GCM** | goal |',
    '|---|---|--:|--:|--:|--:|---|',
  ]
  const ids = [
    ...new Set(
      ok.flatMap((run) => (run.consumer!.rows ?? []).filter((r) => !r.floor).map((r) => r.id)),
    ),
  ]
  for (const id of ids) {
    for (const run of ok) {
      const c = run.consumer!
      const row = c.rows?.find((r) => r.id === id)
      if (!row) continue
      const floor = consumerFloor(c, row)
      const rate = (r: Row | undefined) =>
        r?.rates ? formatRate(r.rates.median) : `n/a (${r?.error ?? 'no result'})`
      const value = consumerRatio(c, id)
      const goalRow = id === CONSUMER_GOAL_ROW
      const goal = goalRow
        ? `≥ ${CONSUMER_OPEN_GOAL.toFixed(2)}×: ${goalMark(value, CONSUMER_OPEN_GOAL)}`
        : '—'
      lines.push(
        `| ${shortLabel(row)} | ${run.runtime} | ${row.size.toLocaleString('en-US')} | ` +
          `${rate(row)} | ${rate(floor)} | ` +
          `${goalRow ? `**${formatRatio(value)}**` : formatRatio(value)} | ${goal} |`,
      )
    }
  }
  for (const run of ok) {
    const c = run.consumer!
    if (c.error !== undefined) lines.push('', `${run.runtime} consumer open rows: n/a (${c.error})`)
  }
  lines.push(
    '',
    '| KMS calls | runtime | devices | data messages | epochs | **Decrypt calls** | per 10,000 messages | time |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  )
  for (const run of ok) {
    const k = run.consumer!.kms
    lines.push(
      k
        ? `| consumer through kms-local | ${run.runtime} | ${k.devices} | ` +
            `${k.messages.toLocaleString('en-US')} | ${k.epochs} | **${k.decrypts}** | ` +
            `${k.perTenThousand} | ${formatSeconds(k.elapsedMs)} |`
        : `| consumer through kms-local | ${run.runtime} | n/a (${run.consumer!.kmsError ?? 'no result'}) | | | | | |`,
    )
  }
  return lines
}

function renderConsumerTable(c: ConsumerRows): string[] {
  if (!c.rows) return [`consumer rows: n/a (${c.error ?? 'no result'})`]
  const lines = [
    `| consumer row (one reading: ${c.size ?? '?'} B plaintext, ${c.messageBytes ?? '?'} B message) | plaintext B | msg/s (median) | spread | vs raw AES-GCM |`,
    '|---|--:|--:|--:|--:|',
  ]
  for (const row of c.rows) {
    const rates = row.rates
    const rate = rates ? formatRate(rates.median) : `n/a (${row.error ?? 'no result'})`
    const spread = rates ? `±${((50 * (rates.max - rates.min)) / rates.median).toFixed(0)}%` : ''
    const vs =
      row.floor && rates ? '1.00× (open floor)' : formatRatio(ratio(row, consumerFloor(c, row)))
    lines.push(
      `| ${row.label} | ${row.size.toLocaleString('en-US')} | ${rate} | ${spread} | ${vs} |`,
    )
  }
  return lines
}

/** The agent's summary section, or nothing when the run has no agent rows. */
function agentSection(report: Report): string[] {
  const table = renderAgentSummary(report)
  if (table.length === 0) return []
  return [
    '',
    '## Summary: the agent against bare SQLite and a bare MQTT publisher, and its memory',
    '',
    'Ratio = agent ÷ bare peer, median over rounds of the per-round ratio (both sides ran in the ' +
      'same interleaved rounds); above 1.00× the agent is faster. CPU µs per op = process CPU ' +
      'time (user + system) per row or acknowledged message, median over rounds: less at the ' +
      "mercy of other work on the machine than the rates. Peak RSS = the agent process's " +
      '`VmHWM` after its last PUBACK.',
    '',
    ...table,
  ]
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
    ...agentSection(report),
    ...renderConsumerSummary(report),
    '',
    `## Headline (${HEADLINE_SIZE} B${agentHeadlineLines(report).length > 0 ? ', and the agent' : ''}${consumerHeadlineLines(report).length > 0 ? ', and the consumer' : ''})`,
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
    ...(report.agentPlan ? agentMethodLines(report.agentPlan) : []),
    ...(report.runs.some((r) => r.ok && r.consumer !== undefined)
      ? [
          '- consumer rows: per runtime, after the agent rows, the crypto plan (warm-up, ' +
            'interleaved rounds, forced GC), each row against the raw decrypt of its own plaintext ' +
            'size; the open-stage rows are synchronous steps over a pool of pre-sealed messages; ' +
            'the pipeline rows are trials that seal 500 fresh messages untimed, then time handling ' +
            'them, until the segment is full; the announcement ' +
            'and a first message are handled and checked (one `Decrypt`, the reading reaches the ' +
            'sink) before timing, and no `Decrypt` happens while timed; the KMS count is one ' +
            'untimed pass of 20 devices × 500 messages, one rotation each, through kms-local and ' +
            'the real SDK',
        ]
      : []),
    ...brokerLines(report),
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
    if ((run.pairs?.length ?? 0) > 0) out.push('', ...renderPairTable(run))
    if (run.consumer) out.push('', ...renderConsumerTable(run.consumer))
  }
  return `${out.join('\n')}\n`
}
