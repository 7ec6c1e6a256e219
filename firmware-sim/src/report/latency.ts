/**
 * Latency of delivered readings: `receivedAt − time` of each sink record (when the consumer got
 * the message minus the reading's own time stamp), its nearest-rank percentiles overall and per
 * time window. Readings stamped by an unsynced clock (`clock: 1`) are left out: their time is not
 * comparable with the consumer's clock.
 *
 * @example
 * ```ts
 * const { latenciesMs, latencySeries } = latencyFromDelivered(records, startedAt, 5_000)
 * latencyStats(latenciesMs) // { count, p50, p90, p99, max }
 * ```
 */
import type { DeliveredRecord } from '../verify/index.ts'
import type { LatencyWindow } from './fleet_run.ts'

/** Percentiles of a set of latencies. */
export interface LatencyStats {
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/**
 * The nearest-rank percentile `p` (0 < p ≤ 100) of ascending `sorted`: the value at rank
 * ⌈p/100 × n⌉ (1-based); 0 for an empty list.
 *
 * @example
 * ```ts
 * percentile([1, 2, 3, 4], 50) // 2
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError('p must be in (0, 100]')
  if (sorted.length === 0) return 0
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/**
 * p50, p90, p99 and max of `values` (any order); zeros for none.
 *
 * @example
 * ```ts
 * latencyStats([5, 1, 9]) // { count: 3, p50: 5, p90: 9, p99: 9, max: 9 }
 * ```
 */
export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = Float64Array.from(values).sort()
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
  }
}

/**
 * Latencies of `delivered` (synced clock only), overall and per window of `windowMs` by
 * `receivedAt − startedAt`; windows without readings are left out.
 *
 * @example
 * ```ts
 * latencyFromDelivered(await collectJsonlSink(path), run.startedAt, 5_000)
 * ```
 */
export function latencyFromDelivered(
  delivered: Iterable<DeliveredRecord>,
  startedAt: number,
  windowMs: number,
): { latenciesMs: number[]; latencySeries: LatencyWindow[]; unsynced: number } {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new RangeError('windowMs must be a positive integer')
  }
  const latenciesMs: number[] = []
  const windows = new Map<number, number[]>()
  let unsynced = 0
  for (const r of delivered) {
    if (r.clock !== 0) {
      unsynced++
      continue
    }
    const ms = r.receivedAt - r.time
    latenciesMs.push(ms)
    const w = Math.floor(Math.max(0, r.receivedAt - startedAt) / windowMs)
    let list = windows.get(w)
    if (list === undefined) windows.set(w, (list = []))
    list.push(ms)
  }
  const latencySeries = [...windows.keys()]
    .sort((a, b) => a - b)
    .map((w) => ({ t: w * windowMs, ...latencyStats(windows.get(w)!) }))
  return { latenciesMs, latencySeries, unsynced }
}
