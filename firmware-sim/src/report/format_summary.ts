/**
 * The verdict as the terminal summary: one `label: value` line per row of {@link summaryRows}
 * (so the lines `lost: N`, `duplicated: N` and `nonce repeats: N` are always there, exactly),
 * then up to the verdict's examples of each finding, indented.
 *
 * @example
 * ```ts
 * process.stdout.write(formatSummary(verdict))
 * // verdict: ok
 * // devices: 50
 * // …
 * // lost: 0
 * ```
 */
import type { FleetVerdict } from '../verify/index.ts'
import { summaryRows } from './summary_rows.ts'

const EXAMPLE_LABELS = Object.freeze({
  lost: 'lost',
  duplicated: 'duplicated',
  nonceRepeats: 'nonce repeat',
  sequenceReuses: 'sequence reuse',
  unexplainedGaps: 'unexplained gap',
  clockBackwards: 'time backwards',
} as const)

/** Control characters out of a string shown on a terminal. */
function plainLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}

/**
 * The summary text, `\n`-terminated lines.
 *
 * @example
 * ```ts
 * formatSummary(verdict).split('\n').includes('lost: 0') // true for a clean run
 * ```
 */
export function formatSummary(verdict: FleetVerdict): string {
  const lines = summaryRows(verdict).map(([label, value]) => `${label}: ${value}`)
  for (const [key, label] of Object.entries(EXAMPLE_LABELS)) {
    for (const example of verdict.examples[key as keyof typeof EXAMPLE_LABELS]) {
      lines.push(`  e.g. ${label}: ${plainLine(example)}`)
    }
  }
  return `${lines.join('\n')}\n`
}
