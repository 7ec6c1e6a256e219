import { describe, expect, it } from 'vitest'
import type { Rates } from '../../bench/src/measure.ts'
import type { ConsumerRows, PairRow, Report, Row, RuntimeRun } from '../../bench/src/report.ts'
import {
  agentHeadlineLines,
  BATCH_READINGS,
  comparisons,
  consumerHeadlineLines,
  consumerRatio,
  fastestBaseline,
  floorRow,
  headlineLines,
  pairRatio,
  ratio,
  renderReport,
} from '../../bench/src/report.ts'

function rates(perRound: number[]): Rates {
  const sorted = [...perRound].sort((a, b) => a - b)
  return {
    perRound,
    median: sorted[sorted.length >> 1]!,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  }
}

function row(id: string, op: Row['op'], perRound: number[], extra: Partial<Row> = {}): Row {
  return {
    id,
    label: `${id} (detail)`,
    op,
    baseline: false,
    size: 256,
    overheadBytes: 40,
    rates: rates(perRound),
    ...extra,
  }
}

const run: RuntimeRun = {
  ok: true,
  runtime: 'Node',
  version: 'v20',
  elapsedMs: 1000,
  rows: [
    row('baseline-seal-random', 'seal', [50, 60, 55], { baseline: true }),
    row('baseline-seal-counter', 'seal', [100, 90, 80], { baseline: true }),
    row('raw-gcm-seal', 'seal', [200, 200, 200], { floor: true }),
    row('sealwire-compact', 'seal', [120, 180, 120]),
    row('baseline-open', 'open', [100, 100, 100], { baseline: true }),
    row('raw-gcm-open', 'open', [250, 250, 250], { floor: true }),
    row('sealwire-open', 'open', [80, 90, 100]),
  ],
}

describe('bench report', () => {
  it('picks the baseline with the higher median msg/s as the fastest', () => {
    expect(fastestBaseline(run, 'seal', 256)?.id).toBe('baseline-seal-counter')
    expect(fastestBaseline(run, 'open', 256)?.id).toBe('baseline-open')
    expect(fastestBaseline(run, 'seal', 1024)).toBeUndefined()
  })

  it('ignores a baseline without a number when picking the fastest', () => {
    const failed: RuntimeRun = {
      ...run,
      rows: run.rows.map((r) =>
        r.id === 'baseline-seal-counter' ? { ...r, rates: undefined, error: 'boom' } : r,
      ),
    }
    expect(fastestBaseline(failed, 'seal', 256)?.id).toBe('baseline-seal-random')
  })

  it('takes the median of per-round ratios, and falls back to the ratio of medians', () => {
    const [, counter, , compact] = run.rows
    // per round: 1.2, 2.0, 1.5 -> median 1.5 (the ratio of medians would be 120/90)
    expect(ratio(compact!, counter)).toBeCloseTo(1.5)
    const short = { ...counter!, rates: rates([90, 90]) }
    expect(ratio(compact!, short)).toBeCloseTo(120 / 90)
    expect(ratio(compact!, undefined)).toBeUndefined()
  })

  it('compares sealwire with the fastest baseline and the floor, per op', () => {
    expect(floorRow(run, 'open', 256)?.id).toBe('raw-gcm-open')
    const [seal, open] = comparisons(run)
    expect(seal).toMatchObject({ op: 'seal', size: 256 })
    expect(seal!.baseline?.id).toBe('baseline-seal-counter')
    expect(seal!.vsBaseline).toBeCloseTo(1.5)
    expect(seal!.vsFloor).toBeCloseTo(0.6)
    expect(open!.vsBaseline).toBeCloseTo(0.9)
    expect(open!.vsFloor).toBeCloseTo(0.36)
  })

  it('puts the summary first, names the fastest baseline, and marks a quick run', () => {
    const report: Report = {
      date: '2026-01-01T00:00:00.000Z',
      cpu: 'test',
      plan: { rounds: 3, roundMs: 50, warmupMs: 50 },
      quick: true,
      totalMs: 1000,
      runs: [run, { ok: false, runtime: 'Bun', error: 'no Bun binary' }],
    }
    const markdown = renderReport(report)
    const summary = markdown.indexOf('## Summary')
    expect(summary).toBeGreaterThan(0)
    expect(summary).toBeLessThan(markdown.indexOf('## Node'))
    expect(summary).toBeLessThan(markdown.indexOf('## Method'))
    expect(markdown).toContain('**Quick run**')
    expect(markdown).toContain(
      '| 256 B | seal, compact | Node | 120 | baseline-seal-counter (90) |',
    )
    expect(headlineLines(report)).toEqual([
      'compact seal / fastest baseline seal at 256 B: Node 1.50× (baseline-seal-counter), Bun n/a',
      'compact seal / raw AES-GCM encrypt at 256 B: Node 0.60×, Bun n/a',
      'compact open / fastest baseline open at 256 B: Node 0.90× (baseline-open), Bun n/a',
      'compact open / raw AES-GCM decrypt at 256 B: Node 0.36×, Bun n/a',
      'overhead at 256 B: compact 40 B, full n/a',
    ])
  })

  it('reports the agent pairs with same-round ratios, goals, and the peak RSS', () => {
    const pairs: PairRow[] = [
      {
        id: 'outbox-full',
        label: 'outbox enqueue, group commit, durability full',
        peerLabel: 'bare SQLite INSERT',
        unit: 'rows/s',
        goal: 0.5,
        // per round: 0.8, 0.5, 0.6 -> median 0.6
        rates: rates([80, 50, 60]),
        peerRates: rates([100, 100, 100]),
        cpuUs: 12.34,
        peerCpuUs: 150,
      },
      {
        id: 'mqtt',
        label: 'agent → broker',
        peerLabel: 'bare mqtt.js',
        unit: 'msg/s',
        goal: 0.5,
        rates: rates([10, 20, 30]),
        peerRates: rates([100, 100, 100]),
        broker: 'Mosquitto at 127.0.0.1:1883 (MQTT 5)',
      },
      {
        id: 'outbox-normal',
        label: 'outbox normal',
        peerLabel: 'bare',
        unit: 'rows/s',
        goal: 0.5,
        peerRates: rates([100, 100, 100]),
        error: 'StoreError: boom',
      },
    ]
    expect(pairRatio(pairs[0]!)).toBeCloseTo(0.6)
    expect(pairRatio(pairs[2]!)).toBeUndefined()
    const report: Report = {
      date: '2026-01-01T00:00:00.000Z',
      cpu: 'test',
      plan: { rounds: 3, roundMs: 50, warmupMs: 50 },
      totalMs: 1000,
      runs: [
        { ...run, pairs },
        { ok: false, runtime: 'Bun', error: 'no Bun binary' },
      ],
      memory: [
        {
          runtime: 'Node',
          readings: 100_000,
          peakRssBytes: 60 * 2 ** 20,
          sampledPeakBytes: 59 * 2 ** 20,
          readingsPerSecond: 2000,
          goalBytes: 64 * 2 ** 20,
        },
        { runtime: 'Bun', readings: 100_000, error: 'the agent exited (code 1)' },
      ],
      memoryBroker: 'in-process aedes at 127.0.0.1:1234 (MQTT 3.1.1)',
    }
    expect(agentHeadlineLines(report)).toEqual([
      'outbox enqueue / bare SQLite insert, durability full (rows/s): Node 0.60×, Bun n/a (goal ≥ 0.50×)',
      'agent → broker / bare mqtt.js publisher (acknowledged msg/s): Node 0.20×, Bun n/a (goal ≥ 0.50×)',
      'outbox enqueue / bare SQLite insert, durability normal (rows/s): Node n/a, Bun n/a (goal ≥ 0.50×)',
      'agent peak RSS (VmHWM), 100,000 readings sealed and published: Node 60.0 MiB (goal ≤ 64.0 MiB), Bun n/a',
    ])
    expect(headlineLines(report).slice(-4)).toEqual(agentHeadlineLines(report))
    const markdown = renderReport(report)
    expect(markdown).toContain(
      '| outbox enqueue / bare SQLite insert, durability full (rows/s) | Node | 60 rows/s | 100 rows/s | **0.60×** | ≥ 0.50×: met | 12.3 / 150 |',
    )
    expect(markdown).toContain('| Node | 20 msg/s | 100 msg/s | **0.20×** |')
    expect(markdown).toContain('≥ 0.50×: missed')
    expect(markdown).toContain('n/a (StoreError: boom)')
    expect(markdown).toContain(
      '| Node | 100,000 | **60.0 MiB** | 59.0 MiB | 2,000 | ≤ 64.0 MiB: met |',
    )
    expect(markdown).toContain('| Bun | 100,000 | n/a (the agent exited (code 1)) |')
    expect(markdown).toContain(
      '- broker: Node half: Mosquitto at 127.0.0.1:1883 (MQTT 5); memory row: in-process aedes',
    )
    // The agent's summary comes after the crypto summary and before the method.
    const agent = markdown.indexOf('## Summary: the agent')
    expect(agent).toBeGreaterThan(markdown.indexOf('## Summary: sealwire'))
    expect(agent).toBeLessThan(markdown.indexOf('## Method'))
  })

  it('leaves the agent sections out of a report without agent rows', () => {
    const report: Report = {
      date: '2026-01-01T00:00:00.000Z',
      cpu: 'test',
      plan: { rounds: 3, roundMs: 50, warmupMs: 50 },
      totalMs: 1000,
      runs: [run],
    }
    expect(renderReport(report)).not.toContain('the agent')
    expect(agentHeadlineLines(report)).toEqual([])
  })

  it('reports the consumer rows against raw decrypt of the same plaintext size, the goal on the open stage, and the KMS count', () => {
    const consumer: ConsumerRows = {
      size: 260,
      messageBytes: 300,
      rows: [
        row('raw-gcm-open', 'open', [100, 100, 100], { floor: true, size: 260 }),
        row('consumer-open', 'open', [90, 95, 80], { size: 260, label: 'consumer open stage (x)' }),
        row('consumer-open-1', 'open', [70, 90, 85], {
          size: 260,
          label: 'consumer pipeline.handle, 1 in flight (x)',
        }),
        row('consumer-open-500', 'open', [60, 60, 60], { size: 260 }),
        row('raw-gcm-open-batch', 'open', [40, 50, 40], { floor: true, size: 4145 }),
        row('consumer-open-batch', 'open', [36, 40, 38], { size: 4145 }),
      ],
      kms: {
        devices: 20,
        messages: 10_000,
        epochs: 40,
        decrypts: 40,
        perTenThousand: 40,
        elapsedMs: 1500,
      },
    }
    const bun: RuntimeRun = { ...run, runtime: 'Bun', consumer: { error: 'kms-local: boom' } }
    const report: Report = {
      date: '2026-01-01T00:00:00.000Z',
      cpu: 'test CPU',
      plan: { rounds: 3, roundMs: 10, warmupMs: 5 },
      totalMs: 1000,
      runs: [{ ...run, consumer }, bun],
    }
    expect(consumerRatio(consumer, 'consumer-open')).toBeCloseTo(0.9)
    expect(consumerRatio(consumer, 'consumer-open-1')).toBeCloseTo(0.85)
    // Against the raw row of its own size: rounds 36/40, 40/50, 38/40 → median 0.9.
    expect(consumerRatio(consumer, 'consumer-open-batch')).toBeCloseTo(0.9)
    const lines = consumerHeadlineLines(report)
    expect(lines[0]).toBe(
      'consumer open stage, warm epoch cache / raw AES-GCM decrypt: Node 0.90×, Bun n/a (goal ≥ 0.80×)',
    )
    expect(lines[1]).toBe(
      `consumer open stage, ${BATCH_READINGS} readings per message / raw AES-GCM decrypt: Node 0.90×, Bun n/a`,
    )
    expect(lines[2]).toBe(
      'consumer pipeline.handle, 1 in flight / raw AES-GCM decrypt: Node 0.85×, Bun n/a',
    )
    expect(lines[3]).toBe(
      'consumer KMS Decrypt per 10,000 messages: Node 40 (40 calls, 40 epochs), Bun n/a',
    )
    const md = renderReport(report)
    expect(md).toContain('## Summary: the consumer, warm epoch cache')
    expect(md).toContain(
      '| consumer open stage | Node | 260 | 90 | 100 | **0.90×** | ≥ 0.80×: met |',
    )
    expect(md).toContain(
      '| consumer pipeline.handle, 1 in flight | Node | 260 | 85 | 100 | 0.85× | — |',
    )
    expect(md).toContain('| Node | 4,145 | 38 | 40 | 0.90× | — |')
    expect(md).not.toContain('| raw-gcm-open | Node') // floors are not rows of the summary
    expect(md).not.toContain('| raw-gcm-open-batch | Node')
    expect(md).toContain('| consumer through kms-local | Node | 20 | 10,000 | 40 | **40** | 40 |')
    expect(md).toContain('Bun consumer open rows: n/a (kms-local: boom)')
    expect(md).toContain('| consumer row (one reading: 260 B plaintext, 300 B message) |')
    expect(consumerHeadlineLines({ ...report, runs: [run] })).toEqual([])
  })
})
