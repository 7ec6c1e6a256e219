/** The terminal summary and the latency arithmetic behind the report. */
import { describe, expect, it } from 'vitest'
import {
  formatSummary,
  latencyFromDelivered,
  latencyStats,
  percentile,
} from '../../firmware-sim/src/report/index.ts'
import { verifyFleet } from '../../firmware-sim/src/verify/index.ts'
import type { DeliveredRecord } from '../../firmware-sim/src/verify/index.ts'

const T0 = 1_800_000_000_000

function rec(over: Partial<DeliveredRecord>): DeliveredRecord {
  return {
    deviceId: 'dev-1',
    seq: 2,
    index: 0,
    stream: 's',
    time: T0,
    clock: 0,
    value: 0,
    epochId: '0011223344556677',
    receivedAt: T0 + 10,
    ...over,
  }
}

describe('formatSummary', () => {
  it('prints the exact lines lost: N, duplicated: N and nonce repeats: N for a clean run', () => {
    const v = verifyFleet({
      confirmed: [{ deviceId: 'dev-1', stream: 's', value: 0, confirmedAt: T0 }],
      delivered: [rec({})],
      wire: [],
      kms: { decryptCalls: 1 },
      deadLetters: [],
    })
    expect(formatSummary(v)).toBe(
      [
        'verdict: ok',
        'devices: 1',
        'confirmed: 1',
        'delivered: 1',
        'lost: 0',
        'duplicated: 0',
        'nonce repeats: 0',
        'sequence reuses: 0',
        'unexplained gaps: 0',
        'sequence numbers missing: 0 (0 announcements, 0 never published, 0 dead-lettered, 0 unexplained)',
        "clock: 0 records stamped before their device's clock synced, time went backwards 0 times",
        'delivered, never confirmed: 0',
        'redeliveries on the wire: 0',
        'epochs: 1',
        'KMS Decrypt calls: 1 (1 per epoch, budget 1)',
        'dead letters: 0 expected, 0 unexpected',
        'wire tap: 0 messages, 0 malformed, 1 delivered messages not seen',
        '',
      ].join('\n'),
    )
  })

  it('prints the counts and a few examples of a failed run, one line each', () => {
    const wire = (sha: string) => ({
      deviceId: 'dev-1',
      topic: 'p/dev-1/data',
      kind: 'data' as const,
      form: 'compact' as const,
      epochId: '0011223344556677',
      seq: 2,
      payloadSha256: sha,
      size: 50,
      retain: false,
      at: T0,
    })
    const v = verifyFleet({
      confirmed: [
        { deviceId: 'dev-1', stream: 's', value: 0, confirmedAt: T0 },
        { deviceId: 'dev-1', stream: 's', value: 1, confirmedAt: T0 },
      ],
      delivered: [rec({}), rec({})],
      wire: [wire('a'.repeat(64)), wire('b'.repeat(64))],
      kms: { decryptCalls: 1 },
      deadLetters: [{ reason: 'decryption-failed', topic: 'p/dev-1/data' }],
    })
    const lines = formatSummary(v).split('\n')
    expect(lines[0]).toBe('verdict: FAILED (lost, duplicated, nonce-repeats, dead-letters)')
    expect(lines).toContain('lost: 1')
    expect(lines).toContain('duplicated: 1')
    expect(lines).toContain('nonce repeats: 1')
    expect(lines).toContain('dead letters: 0 expected, 1 unexpected (decryption-failed 1)')
    expect(lines.slice(17)).toEqual([
      '  e.g. lost: dev-1 value 1 (stream s)',
      '  e.g. duplicated: dev-1 value 0 delivered 2 times',
      '  e.g. nonce repeat: dev-1 epoch 0011223344556677 seq 2: 2 different payloads',
      '',
    ])
  })

  it('keeps control characters of a device id off the terminal', () => {
    const v = verifyFleet({
      confirmed: [{ deviceId: 'dev\u001b[2J', stream: 's', value: 0, confirmedAt: T0 }],
      delivered: [],
      wire: [],
      kms: { decryptCalls: 0 },
      deadLetters: [],
    })
    expect(formatSummary(v)).toContain('  e.g. lost: dev?[2J value 0 (stream s)\n')
  })
})

describe('latency', () => {
  it('uses nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2)
    expect(percentile([1, 2, 3, 4], 75)).toBe(3)
    expect(percentile([1, 2, 3, 4], 76)).toBe(4)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([], 50)).toBe(0)
    expect(() => percentile([1], 0)).toThrow(new RangeError('p must be in (0, 100]'))
    expect(latencyStats([5, 1, 9])).toEqual({ count: 3, p50: 5, p90: 9, p99: 9, max: 9 })
    expect(latencyStats([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 })
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(latencyStats(hundred)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 })
  })

  it('takes receivedAt − time per delivered reading, per window of receipt, leaving out unsynced clocks', () => {
    const start = T0
    const out = latencyFromDelivered(
      [
        rec({ time: T0 + 100, receivedAt: T0 + 120 }), // 20 ms, window 0
        rec({ time: T0 + 200, receivedAt: T0 + 250 }), // 50 ms, window 0
        rec({ time: T0 + 4_000, receivedAt: T0 + 5_500 }), // 1,500 ms, window 1
        rec({ time: 1_000, clock: 1, receivedAt: T0 + 6_000 }), // unsynced: out
      ],
      start,
      5_000,
    )
    expect(out.latenciesMs).toEqual([20, 50, 1500])
    expect(out.unsynced).toBe(1)
    expect(out.latencySeries).toEqual([
      { t: 0, count: 2, p50: 20, p90: 50, p99: 50, max: 50 },
      { t: 5_000, count: 1, p50: 1500, p90: 1500, p99: 1500, max: 1500 },
    ])
    expect(() => latencyFromDelivered([], start, 0)).toThrow(RangeError)
  })
})
