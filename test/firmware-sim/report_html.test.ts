/**
 * The HTML report: well-formed (checked by a strict XML tokenizer written here: every tag
 * balanced, attributes quoted and unique, only the five XML entities and numeric references,
 * no raw `<` or `&` in text), self-contained (no script, no external reference), every string
 * escaped, and its charts hold the run's numbers (points per series, peaks, axis tops, fault
 * markers, percentiles).
 */
import { describe, expect, it } from 'vitest'
import { latencyStats, renderFleetReport } from '../../firmware-sim/src/report/index.ts'
import type { FleetRun, FleetSample } from '../../firmware-sim/src/report/index.ts'
import { verifyFleet } from '../../firmware-sim/src/verify/index.ts'
import type { FleetVerdict } from '../../firmware-sim/src/verify/index.ts'

interface Element {
  readonly name: string
  readonly attrs: Record<string, string>
  readonly children: Element[]
  text: string
}

const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/

function checkText(text: string, where: number): void {
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i))) throw new Error(`bad entity at ${where + i}`)
  }
  if (text.includes('<')) throw new Error(`raw < at ${where}`)
}

/** Parses `xml` strictly (a leading `<!DOCTYPE html>` allowed) and returns the root element. */
function parseXml(xml: string): Element {
  let pos = 0
  const doctype = /^<!DOCTYPE html>\s*/.exec(xml)
  if (doctype) pos = doctype[0].length
  const root: Element = { name: '#document', attrs: {}, children: [], text: '' }
  const stack: Element[] = [root]
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos)
    const text = xml.slice(pos, lt === -1 ? xml.length : lt)
    checkText(text, pos)
    stack.at(-1)!.text += text
    if (lt === -1) break
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt)
      if (end === -1) throw new Error('unclosed comment')
      pos = end + 3
      continue
    }
    const gt = xml.indexOf('>', lt)
    if (gt === -1) throw new Error(`unclosed tag at ${lt}`)
    const tag = xml.slice(lt + 1, gt)
    pos = gt + 1
    if (tag.startsWith('/')) {
      const name = tag.slice(1)
      const open = stack.pop()
      if (open === undefined || open.name !== name) {
        throw new Error(`</${name}> at ${lt} closes <${open?.name ?? 'nothing'}>`)
      }
      continue
    }
    const selfClosing = tag.endsWith('/')
    const body = selfClosing ? tag.slice(0, -1) : tag
    const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*$/.exec(body)
    if (!m) throw new Error(`malformed tag <${tag}> at ${lt}`)
    const attrs: Record<string, string> = {}
    for (const a of m[2]!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`attribute ${a[1]} twice at ${lt}`)
      checkText(a[2]!, lt)
      attrs[a[1]!] = a[2]!
    }
    const el: Element = { name: m[1]!, attrs, children: [], text: '' }
    stack.at(-1)!.children.push(el)
    if (!selfClosing) stack.push(el)
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`)
  if (root.children.length !== 1) throw new Error('not exactly one root element')
  return root.children[0]!
}

function all(el: Element, pred: (e: Element) => boolean, out: Element[] = []): Element[] {
  if (pred(el)) out.push(el)
  for (const c of el.children) all(c, pred, out)
  return out
}

function textOf(el: Element): string {
  return el.text + el.children.map(textOf).join('')
}

const unescape = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')

function cleanVerdict(): FleetVerdict {
  return verifyFleet({
    confirmed: [],
    delivered: [],
    wire: [],
    kms: { decryptCalls: 0 },
    deadLetters: [],
  })
}

/** 61 samples, one a second; confirmed grows 40/s then 100/s from t = 30 s; delivered lags. */
function run(over: Partial<FleetRun> = {}): FleetRun {
  const samples: FleetSample[] = []
  let confirmed = 0
  for (let i = 0; i <= 60; i++) {
    confirmed += i === 0 ? 0 : i <= 30 ? 40 : 100
    samples.push({
      t: i * 1000,
      devicesUp: i === 20 ? 49 : 50,
      confirmed,
      delivered: Math.max(0, confirmed - 35),
      outboxDepth: i === 12 ? 420 : 7,
    })
  }
  const latenciesMs = Array.from({ length: 1000 }, (_, i) => i + 1)
  return {
    title: 'fleet run',
    startedAt: Date.UTC(2026, 10, 30, 10, 0, 0),
    durationMs: 60_000,
    settings: { devices: 50, rate: 2, seed: 7, broker: 'aedes (embedded)' },
    samples,
    faults: [
      { t: 12_000, kind: 'blackhole', target: 'all links', detail: '5 s' },
      { t: 20_000, kind: 'power-cut', target: 'dev-0007' },
      { t: 41_500, kind: 'entropy-stuck', target: 'dev-0012', detail: 'stuck at 0x00' },
    ],
    latenciesMs,
    latencySeries: [
      { t: 0, count: 10, p50: 12, p90: 30, p99: 80, max: 95 },
      { t: 30_000, count: 10, p50: 15, p90: 44, p99: 900, max: 2500 },
    ],
    verdict: cleanVerdict(),
    ...over,
  }
}

function chart(doc: Element, id: string): Element {
  const [svg] = all(doc, (e) => e.name === 'svg' && e.attrs.id === id)
  expect(svg, id).toBeDefined()
  return svg!
}

function polyline(svg: Element, series: string): Element {
  const [p] = all(svg, (e) => e.name === 'polyline' && e.attrs['data-series'] === series)
  expect(p, series).toBeDefined()
  return p!
}

describe('renderFleetReport', () => {
  it('is one well-formed document with no script and no external reference', () => {
    const html = renderFleetReport(run())
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true)
    const doc = parseXml(html)
    expect(doc.name).toBe('html')
    expect(all(doc, (e) => e.name === 'script')).toHaveLength(0)
    expect(all(doc, (e) => 'src' in e.attrs || 'href' in e.attrs)).toHaveLength(0)
    expect(html).not.toMatch(/url\(|@import|<link|<img|<iframe|javascript:/i)
    // The only URL is the SVG namespace name, which nothing fetches.
    expect([...html.matchAll(/https?:\/\/[^"\s]*/g)].map((m) => m[0])).toEqual(
      Array(4).fill('http://www.w3.org/2000/svg'),
    )
    // Each SVG on its own is a well-formed XML document too.
    for (const m of html.matchAll(/<svg[\s\S]*?<\/svg>/g)) expect(parseXml(m[0]).name).toBe('svg')
  })

  it('draws throughput as readings per second between samples: one point per interval, the peak in the legend and under the top tick', () => {
    const r = run()
    const doc = parseXml(renderFleetReport(r))
    const svg = chart(doc, 'chart-throughput')
    const confirmed = polyline(svg, 'confirmed/s')
    const delivered = polyline(svg, 'delivered/s')
    expect(confirmed.attrs['data-points']).toBe(String(r.samples.length - 1))
    expect(confirmed.attrs.points!.trim().split(/\s+/)).toHaveLength(r.samples.length - 1)
    expect(delivered.attrs.points!.trim().split(/\s+/)).toHaveLength(r.samples.length - 1)
    expect(confirmed.attrs['data-peak']).toBe('100')
    expect(textOf(svg)).toContain('confirmed/s (peak 100)')
    // delivered: 40/s with the first second at 5/s, then 100/s
    expect(delivered.attrs['data-peak']).toBe('100')
    const ticks = all(svg, (e) => e.name === 'text' && e.attrs.class === 'y-tick').map(textOf)
    expect(ticks).toEqual(['0', '50', '100'])
    expect(svg.attrs['data-y-max']).toBe('100')
    expect(svg.attrs['data-x-max']).toBe('60')
  })

  it('draws outbox depth and devices up with one point per sample and their maxima', () => {
    const r = run()
    const doc = parseXml(renderFleetReport(r))
    const outbox = polyline(chart(doc, 'chart-outbox'), 'outbox depth')
    expect(outbox.attrs['data-points']).toBe('61')
    expect(outbox.attrs.points!.trim().split(/\s+/)).toHaveLength(61)
    expect(outbox.attrs['data-peak']).toBe('420')
    expect(chart(doc, 'chart-outbox').attrs['data-y-max']).toBe('600')
    const devices = polyline(chart(doc, 'chart-devices'), 'devices up')
    expect(devices.attrs['data-points']).toBe('61')
    expect(devices.attrs['data-peak']).toBe('50')
    // The point of sample 12 (420 deep) is the highest on the chart: smallest y.
    const ys = outbox.attrs.points!.split(' ').map((p) => Number(p.split(',')[1]))
    expect(ys.indexOf(Math.min(...ys))).toBe(12)
  })

  it('marks every fault on every timeline at its time, numbered as in the fault table', () => {
    const r = run()
    const doc = parseXml(renderFleetReport(r))
    for (const id of ['chart-throughput', 'chart-outbox', 'chart-devices', 'chart-latency']) {
      const marks = all(chart(doc, id), (e) => e.name === 'g' && e.attrs.class === 'fault')
      expect(marks.map((g) => textOf(g.children[0]!))).toEqual([
        '1: blackhole → all links at 12 s (5 s)',
        '2: power-cut → dev-0007 at 20 s',
        '3: entropy-stuck → dev-0012 at 41.5 s (stuck at 0x00)',
      ])
      // x of the markers: 64 + t / 60 × 800
      expect(marks.map((g) => g.children[1]!.attrs.x1)).toEqual(['224', '330.7', '617.3'])
    }
    const [faults] = all(doc, (e) => e.attrs.id === 'faults')
    const rows = all(faults!, (e) => e.name === 'tr').slice(1)
    expect(rows.map((tr) => tr.children.map(textOf))).toEqual([
      ['1', '12', 'blackhole', 'all links', '5 s'],
      ['2', '20', 'power-cut', 'dev-0007', ''],
      ['3', '41.5', 'entropy-stuck', 'dev-0012', 'stuck at 0x00'],
    ])
  })

  it('gives latency percentiles overall and per window', () => {
    const r = run()
    const doc = parseXml(renderFleetReport(r))
    const [latency] = all(doc, (e) => e.attrs.id === 'latency')
    const cells = all(latency!, (e) => e.name === 'td').map(textOf)
    const s = latencyStats(r.latenciesMs)
    expect(s).toEqual({ count: 1000, p50: 500, p90: 900, p99: 990, max: 1000 })
    expect(cells).toEqual(['1000', '500', '900', '990', '1000'])
    const svg = chart(doc, 'chart-latency')
    for (const [name, peak] of [
      ['p50', '15'],
      ['p90', '44'],
      ['p99', '900'],
      ['max', '2500'],
    ]) {
      const p = polyline(svg, name!)
      expect(p.attrs['data-points']).toBe('2')
      expect(p.attrs['data-peak']).toBe(peak)
    }
    // Log scale: decades up to the one above the max.
    const ticks = all(svg, (e) => e.name === 'text' && e.attrs.class === 'y-tick').map(textOf)
    expect(ticks).toEqual(['1', '10', '100', '1000', '10000'])
    expect(
      all(
        parseXml(renderFleetReport(run({ latencySeries: [] }))),
        (e) => e.attrs.id === 'chart-latency',
      ),
    ).toHaveLength(0)
  })

  it('holds the verdict in the summary table, with the lost, duplicated and nonce repeat rows', () => {
    const doc = parseXml(renderFleetReport(run()))
    const [summary] = all(doc, (e) => e.attrs.id === 'summary')
    const rows = Object.fromEntries(
      all(summary!, (e) => e.name === 'tr')
        .slice(1)
        .map((tr) => tr.children.map(textOf) as [string, string]),
    )
    expect(rows).toMatchObject({ verdict: 'ok', lost: '0', duplicated: '0', 'nonce repeats': '0' })
    const [verdict] = all(doc, (e) => e.attrs.id === 'verdict')
    expect(verdict!.attrs.class).toBe('verdict ok')
  })

  it('shows a failed verdict with its failures and examples', () => {
    const failed = verifyFleet({
      confirmed: [{ deviceId: 'dev-1', stream: 's', value: 3, confirmedAt: 0 }],
      delivered: [],
      wire: [],
      kms: { decryptCalls: 0 },
      deadLetters: [],
    })
    const doc = parseXml(renderFleetReport(run({ verdict: failed })))
    const [verdict] = all(doc, (e) => e.attrs.id === 'verdict')
    expect(verdict!.attrs.class).toBe('verdict fail')
    expect(textOf(verdict!)).toBe('verdict: FAILED (lost)')
    const [examples] = all(doc, (e) => e.attrs.id === 'examples')
    expect(all(examples!, (e) => e.name === 'li').map(textOf)).toEqual(['dev-1 value 3 (stream s)'])
  })

  it('escapes every string it is given', () => {
    const evil = `<script>alert("x")</script> & 'q'`
    const html = renderFleetReport(
      run({
        title: evil,
        settings: { [evil]: evil },
        faults: [{ t: 1000, kind: evil, target: evil, detail: evil }],
      }),
    )
    expect(html).not.toContain('<script')
    const doc = parseXml(html)
    const [title] = all(doc, (e) => e.name === 'title' && textOf(e).includes('alert'))
    expect(unescape(textOf(title!))).toBe(evil)
    const [settings] = all(doc, (e) => e.attrs.id === 'settings')
    expect(all(settings!, (e) => e.name === 'td').map((td) => unescape(textOf(td)))).toEqual([
      evil,
      evil,
    ])
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;')
  })

  it('draws a run with no samples, and refuses samples out of time order', () => {
    const doc = parseXml(
      renderFleetReport(run({ samples: [], faults: [], latenciesMs: [], latencySeries: [] })),
    )
    expect(polyline(chart(doc, 'chart-throughput'), 'confirmed/s').attrs['data-points']).toBe('0')
    const [faults] = all(doc, (e) => e.attrs.id === 'faults')
    expect(textOf(faults!)).toBe('none injected')
    const r = run()
    expect(() => renderFleetReport({ ...r, samples: [r.samples[1]!, r.samples[0]!] })).toThrow(
      new RangeError('run.samples must be in time order (samples[1])'),
    )
  })

  it('the checker itself rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow('</a> at 6 closes <b>')
    expect(() => parseXml('<a x=1></a>')).toThrow('malformed tag')
    expect(() => parseXml('<a x="1" x="2"></a>')).toThrow('attribute x twice')
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow('bad entity')
    expect(() => parseXml('<a>')).toThrow('unclosed <a>')
    expect(() => parseXml('<a/><b/>')).toThrow('not exactly one root element')
    expect(parseXml('<a><b c="&amp;"/>x &lt; y</a>').children).toHaveLength(1)
  })
})
