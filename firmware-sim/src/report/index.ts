/**
 * `firmware-sim/src/report/`: what a person reads after a fleet run: the terminal summary and
 * the self-contained HTML report. `firmware-sim/VERIFY.md` is normative.
 *
 * @example
 * ```ts
 * import { formatSummary, renderFleetReport } from './report/index.ts'
 * process.stdout.write(formatSummary(verdict))
 * await writeFileAtomic('fleet-report.html', renderFleetReport(run))
 * ```
 */
export { renderFleetReport } from './render_report.ts'
export { formatSummary } from './format_summary.ts'
export { latencyFromDelivered, latencyStats, percentile } from './latency.ts'
export type { LatencyStats } from './latency.ts'
export type { FleetFault, FleetRun, FleetSample, LatencyWindow } from './fleet_run.ts'
