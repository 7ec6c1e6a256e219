/**
 * The verdict as labelled rows, in one order, shared by the terminal summary and the report's
 * summary table so both say the same thing.
 *
 * @example
 * ```ts
 * summaryRows(verdict) // [['verdict', 'ok'], ['devices', '50'], …, ['lost', '0'], …]
 * ```
 */
import type { FleetVerdict } from '../verify/index.ts'
import { num } from './_html.ts'

/**
 * `[label, value]` pairs of the verdict (VERIFY.md, "The terminal summary").
 *
 * @example
 * ```ts
 * for (const [label, value] of summaryRows(v)) console.log(`${label}: ${value}`)
 * ```
 */
export function summaryRows(v: FleetVerdict): [string, string][] {
  const g = v.gaps
  const reasons = Object.entries(v.deadLettered.byReason)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([r, n]) => `${r} ${n}`)
  return [
    ['verdict', v.ok ? 'ok' : `FAILED (${v.failures.join(', ')})`],
    ['devices', String(v.devices)],
    ['confirmed', String(v.confirmed)],
    ['delivered', String(v.delivered)],
    ['lost', String(v.lost)],
    ['duplicated', String(v.duplicated)],
    ['nonce repeats', String(v.nonceRepeats)],
    ['sequence reuses', String(v.sequenceReuses)],
    ['unexplained gaps', String(v.unexplainedGaps)],
    [
      'sequence numbers missing',
      `${g.missing} (${g.announcements} announcements, ${g.neverPublished} never published, ` +
        `${g.deadLettered} dead-lettered, ${g.unexplained} unexplained)`,
    ],
    [
      'clock',
      `${v.clock.unsynced} records stamped before their device's clock synced, time went backwards ${v.clock.backwards} times`,
    ],
    ['delivered, never confirmed', String(v.unconfirmedDelivered)],
    ['redeliveries on the wire', String(v.redeliveries)],
    ['epochs', String(v.epochs)],
    [
      'KMS Decrypt calls',
      `${v.decryptCalls} (${num(v.decryptPerEpoch)} per epoch, budget ${num(v.decryptBudget)})`,
    ],
    [
      'dead letters',
      `${v.deadLettered.expected} expected, ${v.deadLettered.unexpected} unexpected` +
        (reasons.length > 0 ? ` (${reasons.join(', ')})` : ''),
    ],
    [
      'wire tap',
      `${v.wire.messages} messages, ${v.wire.malformed} malformed, ${v.wire.notSeen} delivered messages not seen`,
    ],
  ]
}
