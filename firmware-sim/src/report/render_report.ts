/**
 * The fleet report: one self-contained HTML page (inline CSS, inline static SVG, no script, no
 * external resource) with the verdict, throughput, outbox depth, devices up and latency over time
 * with every fault marked, latency percentiles, the fault list, the settings and the samples.
 * The page is well-formed XML as well as HTML. VERIFY.md ("The report") is normative.
 *
 * @example
 * ```ts
 * await writeFileAtomic('fleet-report.html', renderFleetReport(run))
 * ```
 */
import { esc, num } from './_html.ts'
import { lineChart } from './_svg_chart.ts'
import type { ChartMarker } from './_svg_chart.ts'
import type { FleetRun, FleetSample } from './fleet_run.ts'
import { latencyStats } from './latency.ts'
import { summaryRows } from './summary_rows.ts'

const COLORS = Object.freeze({
  confirmed: '#1f77b4',
  delivered: '#2ca02c',
  outbox: '#ff7f0e',
  devices: '#9467bd',
  p50: '#2ca02c',
  p90: '#1f77b4',
  p99: '#ff7f0e',
  max: '#d62728',
})

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 920px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 18px; font-weight: bold; padding: 6px 10px; display: inline-block; }
.ok { background: #e6f4ea; color: #137333; }
.fail { background: #fce8e6; color: #a50e0e; }
svg.chart { display: block; margin: 8px 0; background: #fff; }
svg .grid { stroke: #eee; }
svg .axis { stroke: #888; }
svg .x-tick { stroke: #888; }
svg text { font: 11px system-ui, sans-serif; fill: #444; stroke: none; }
svg .chart-title { font-size: 13px; font-weight: bold; fill: #222; }
svg .series { stroke-width: 1.6; }
svg .fault line { stroke: #a50e0e; stroke-dasharray: 4 3; }
svg .fault text { fill: #a50e0e; font-weight: bold; }
.muted { color: #666; }
`

/** Readings per second between consecutive samples, at the later sample's time. */
function rates(
  samples: readonly FleetSample[],
  field: 'confirmed' | 'delivered',
): [number, number][] {
  const out: [number, number][] = []
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!
    const b = samples[i]!
    const dt = (b.t - a.t) / 1000
    out.push([b.t / 1000, dt > 0 ? Math.max(0, b[field] - a[field]) / dt : 0])
  }
  return out
}

function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: number[] = [],
): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('')
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('\n')
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`
}

function checkRun(run: FleetRun): void {
  if (!Number.isFinite(run.durationMs) || run.durationMs < 0) {
    throw new RangeError('run.durationMs must be a finite number ≥ 0')
  }
  for (let i = 1; i < run.samples.length; i++) {
    if (!(run.samples[i]!.t >= run.samples[i - 1]!.t)) {
      throw new RangeError(`run.samples must be in time order (samples[${i}])`)
    }
  }
}

/**
 * Renders `run` as the HTML report.
 *
 * @throws {RangeError} samples out of time order, or a negative duration.
 * @example
 * ```ts
 * const html = renderFleetReport(run) // '<!DOCTYPE html>\n<html lang="en">…'
 * ```
 */
export function renderFleetReport(run: FleetRun): string {
  checkRun(run)
  const v = run.verdict
  const xMax = Math.max(run.durationMs, run.samples.at(-1)?.t ?? 0) / 1000
  const markers: ChartMarker[] = run.faults.map((f, i) => ({
    x: f.t / 1000,
    label: String(i + 1),
    title: `${i + 1}: ${f.kind} → ${f.target} at ${num(f.t / 1000)} s${f.detail ? ` (${f.detail})` : ''}`,
  }))
  const at = (field: 'outboxDepth' | 'devicesUp'): [number, number][] =>
    run.samples.map((s) => [s.t / 1000, s[field]])
  const overall = latencyStats(run.latenciesMs)
  const series = run.latencySeries ?? []
  const parts: string[] = []
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    `<title>${esc(run.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(run.title)}</h1>`,
    `<p class="muted">started ${esc(new Date(run.startedAt).toISOString())}, ` +
      `${esc(num(run.durationMs / 1000))} s, ${run.samples.length} samples, ${run.faults.length} faults</p>`,
    `<p class="verdict ${v.ok ? 'ok' : 'fail'}" id="verdict">${esc(v.ok ? 'verdict: ok' : `verdict: FAILED (${v.failures.join(', ')})`)}</p>`,
    '<h2>Summary</h2>',
    `<div id="summary">${table(['check', 'value'], summaryRows(v))}</div>`,
    '<h2>Throughput</h2>',
    lineChart({
      id: 'chart-throughput',
      title: 'Readings per second: confirmed by the agents, delivered to the sink',
      unit: 'readings/s',
      xMax,
      markers,
      series: [
        { name: 'confirmed/s', color: COLORS.confirmed, points: rates(run.samples, 'confirmed') },
        { name: 'delivered/s', color: COLORS.delivered, points: rates(run.samples, 'delivered') },
      ],
    }),
    '<h2>Outbox depth</h2>',
    lineChart({
      id: 'chart-outbox',
      title: 'Messages queued in all outboxes',
      unit: 'messages',
      xMax,
      markers,
      series: [{ name: 'outbox depth', color: COLORS.outbox, points: at('outboxDepth') }],
    }),
    '<h2>Devices up</h2>',
    lineChart({
      id: 'chart-devices',
      title: 'Devices running',
      unit: 'devices',
      xMax,
      markers,
      series: [{ name: 'devices up', color: COLORS.devices, points: at('devicesUp') }],
    }),
    '<h2>Latency</h2>',
    '<p class="muted">receivedAt − reading time of each delivered reading (synced clock only); ' +
      'nearest-rank percentiles.</p>',
    `<div id="latency">${table(
      ['readings', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      [[overall.count, overall.p50, overall.p90, overall.p99, overall.max].map((n) => num(n))],
      [0, 1, 2, 3, 4],
    )}</div>`,
  )
  if (series.length > 0) {
    const pts = (k: 'p50' | 'p90' | 'p99' | 'max'): [number, number][] =>
      series.map((w) => [w.t / 1000, w[k]])
    parts.push(
      lineChart({
        id: 'chart-latency',
        title: 'Latency percentiles per window (log scale)',
        unit: 'ms',
        xMax,
        markers,
        scale: 'log',
        series: [
          { name: 'p50', color: COLORS.p50, points: pts('p50') },
          { name: 'p90', color: COLORS.p90, points: pts('p90') },
          { name: 'p99', color: COLORS.p99, points: pts('p99') },
          { name: 'max', color: COLORS.max, points: pts('max') },
        ],
      }),
    )
  }
  parts.push(
    '<h2>Faults</h2>',
    run.faults.length === 0
      ? '<p id="faults" class="muted">none injected</p>'
      : `<div id="faults">${table(
          ['#', 'at s', 'kind', 'target', 'detail'],
          run.faults.map((f, i) => [
            String(i + 1),
            num(f.t / 1000),
            f.kind,
            f.target,
            f.detail ?? '',
          ]),
          [0, 1],
        )}</div>`,
  )
  const examples = Object.entries(v.examples).filter(([, list]) => list.length > 0)
  if (examples.length > 0) {
    parts.push(
      '<h2>Examples</h2>',
      '<div id="examples">',
      ...examples.map(
        ([k, list]) =>
          `<h3>${esc(k)}</h3>\n<ul>${list.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`,
      ),
      '</div>',
    )
  }
  parts.push(
    '<h2>Settings</h2>',
    `<div id="settings">${table(
      ['setting', 'value'],
      Object.entries(run.settings).map(([k, val]) => [k, String(val)]),
    )}</div>`,
    '<h2>Samples</h2>',
    `<details id="samples"><summary>${run.samples.length} samples</summary>${table(
      ['t s', 'devices up', 'confirmed', 'delivered', 'outbox depth'],
      run.samples.map((s) =>
        [s.t / 1000, s.devicesUp, s.confirmed, s.delivered, s.outboxDepth].map((n) => num(n)),
      ),
      [0, 1, 2, 3, 4],
    )}</details>`,
    '</body>',
    '</html>',
    '',
  )
  return parts.join('\n')
}
