/**
 * What the report is drawn from: one fleet run's time series, faults, latencies and verdict.
 * `firmware-sim/VERIFY.md` ("The report") is normative for every field.
 *
 * @example
 * ```ts
 * const run: FleetRun = { title: 'npm start', startedAt, durationMs, settings: { devices: 50 },
 *   samples, faults, latenciesMs, latencySeries, verdict }
 * ```
 */
import type { FleetVerdict } from '../verify/index.ts'

/** The fleet at one moment. `confirmed` and `delivered` are running totals since the start. */
export interface FleetSample {
  /** ms since the run started. */
  readonly t: number
  readonly devicesUp: number
  /** Readings confirmed so far (cumulative). */
  readonly confirmed: number
  /** Readings delivered to the sink so far (cumulative). */
  readonly delivered: number
  /** Messages queued in all outboxes now. */
  readonly outboxDepth: number
}

/** One fault injected. */
export interface FleetFault {
  /** ms since the run started. */
  readonly t: number
  /** e.g. `blackhole`, `cut`, `power-cut`, `entropy-stuck`. */
  readonly kind: string
  /** What it hit: a device id, `all links`, `broker`. */
  readonly target: string
  readonly detail?: string
}

/** Latency percentiles of the readings delivered in one time window. */
export interface LatencyWindow {
  /** Start of the window, ms since the run started. */
  readonly t: number
  readonly count: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** One run, as the report draws it. */
export interface FleetRun {
  readonly title: string
  /** ms since 1970. */
  readonly startedAt: number
  readonly durationMs: number
  /** The run's flags and settings, shown as given. */
  readonly settings: Readonly<Record<string, string | number>>
  /** In time order. */
  readonly samples: readonly FleetSample[]
  readonly faults: readonly FleetFault[]
  /** Every delivered reading's latency, ms (sink `receivedAt` − reading `time`). */
  readonly latenciesMs: readonly number[]
  /** Percentiles per time window (see `latencyFromDelivered`); empty or absent: no chart. */
  readonly latencySeries?: readonly LatencyWindow[]
  readonly verdict: FleetVerdict
}
