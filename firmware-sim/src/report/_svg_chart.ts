/**
 * A static SVG line chart over the run's time axis: one polyline per series (one point per
 * value, `data-series` and `data-points` on it), a y axis whose top tick is the series' maximum
 * rounded up to a 1-2-5 step (or decades on a log scale), the peak of each series in its legend,
 * and each fault as a dashed vertical marker numbered as in the fault table. Well-formed XML.
 */
import { esc, num } from './_html.ts'

/** One line. */
export interface ChartSeries {
  readonly name: string
  readonly color: string
  /** [seconds since the start, value] */
  readonly points: readonly (readonly [number, number])[]
}

/** A numbered vertical marker. */
export interface ChartMarker {
  /** seconds since the start */
  readonly x: number
  readonly label: string
  readonly title: string
}

/** What to draw. */
export interface ChartSpec {
  readonly id: string
  readonly title: string
  readonly unit: string
  readonly xMax: number
  readonly series: readonly ChartSeries[]
  readonly markers: readonly ChartMarker[]
  readonly scale?: 'linear' | 'log'
}

const W = 880
const H = 276
const M = { left: 64, right: 16, top: 52, bottom: 34 }
const PW = W - M.left - M.right
const PH = H - M.top - M.bottom

/** A step of 1, 2 or 5 × 10^k just above `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(raw))
  const f = raw / p
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p
}

/** y ticks: [0, step, …, top ≥ max] on a linear scale; decades from 1 on a log scale. */
function yTicks(max: number, scale: 'linear' | 'log'): number[] {
  if (scale === 'log') {
    const top = Math.max(1, Math.ceil(Math.log10(Math.max(max, 1))))
    return Array.from({ length: top + 1 }, (_, i) => 10 ** i)
  }
  const step = niceStep(max / 4)
  const top = Math.max(step, Math.ceil(max / step) * step)
  const ticks: number[] = []
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)))
  return ticks
}

function f1(n: number): string {
  return (Math.round(n * 10) / 10).toString()
}

/** The chart as an `<svg>` element. */
export function lineChart(spec: ChartSpec): string {
  const scale = spec.scale ?? 'linear'
  const max = Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p[1])))
  const ticks = yTicks(max, scale)
  const top = ticks[ticks.length - 1]!
  const xMax = spec.xMax > 0 ? spec.xMax : 1
  const x = (s: number): number => M.left + (Math.min(Math.max(s, 0), xMax) / xMax) * PW
  const y =
    scale === 'log'
      ? (v: number): number => M.top + PH - (Math.log10(Math.max(v, 1)) / Math.log10(top)) * PH
      : (v: number): number => M.top + PH - (v / top) * PH
  const out: string[] = []
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="${esc(spec.id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" data-y-max="${num(top)}" data-x-max="${num(xMax)}">`,
    `<title>${esc(spec.title)}</title>`,
    `<text class="chart-title" x="${M.left}" y="16">${esc(spec.title)}</text>`,
  )
  for (const t of ticks) {
    const yy = f1(y(t))
    out.push(
      `<line class="grid" x1="${M.left}" y1="${yy}" x2="${M.left + PW}" y2="${yy}"/>`,
      `<text class="y-tick" x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${esc(num(t))}</text>`,
    )
  }
  const xStep = niceStep(xMax / 8)
  for (let s = 0; s <= xMax + xStep / 1000; s += xStep) {
    const xx = f1(x(s))
    out.push(
      `<line class="x-tick" x1="${xx}" y1="${M.top + PH}" x2="${xx}" y2="${M.top + PH + 4}"/>`,
      `<text class="x-tick" x="${xx}" y="${M.top + PH + 16}" text-anchor="middle">${esc(num(Number(s.toPrecision(12))))}</text>`,
    )
  }
  out.push(
    `<text class="axis-label" x="${M.left + PW}" y="${H - 2}" text-anchor="end">seconds since start</text>`,
    `<text class="axis-label" x="4" y="${M.top - 8}">${esc(spec.unit)}</text>`,
    `<line class="axis" x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}"/>`,
    `<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + PH}"/>`,
  )
  for (const m of spec.markers) {
    const xx = f1(x(m.x))
    out.push(
      `<g class="fault"><title>${esc(m.title)}</title>`,
      `<line x1="${xx}" y1="${M.top}" x2="${xx}" y2="${M.top + PH}"/>`,
      `<text x="${xx}" y="${M.top - 3}" text-anchor="middle">${esc(m.label)}</text></g>`,
    )
  }
  let legendX = M.left
  for (const s of spec.series) {
    const peak = s.points.reduce((a, p) => Math.max(a, p[1]), 0)
    const points = s.points.map(([px, py]) => `${f1(x(px))},${f1(y(py))}`).join(' ')
    out.push(
      `<polyline class="series" data-series="${esc(s.name)}" data-points="${s.points.length}" data-peak="${num(peak)}" fill="none" stroke="${esc(s.color)}" points="${points}"/>`,
      `<rect x="${legendX}" y="23" width="10" height="10" fill="${esc(s.color)}"/>`,
      `<text class="legend" x="${legendX + 14}" y="32">${esc(`${s.name} (peak ${num(peak)})`)}</text>`,
    )
    legendX += 14 + 7 * (s.name.length + 8 + num(peak).length) + 20
  }
  out.push('</svg>')
  return out.join('\n')
}
