/**
 * `--valid-to DATE`: when imported key material expires (`ImportKeyMaterial`'s `ValidTo`). KMS
 * wants it in the future and at most 365 days ahead; the station checks that itself, so the
 * refusal comes before anything is generated in the HSM.
 *
 * DATE is `YYYY-MM-DD` (midnight UTC that day) or an RFC 3339 date-time with `Z` or an offset
 * (`2027-03-01T12:00:00Z`, `2027-03-01T12:00:00+01:00`).
 *
 * @example
 * ```ts
 * parseValidTo('2027-03-01', Date.now()) // Date 2027-03-01T00:00:00.000Z
 * ```
 */
import { shown, UsageError } from '../../../platform/src/index.ts'
import { defaults } from '../defaults.ts'
import { ByokError } from '../errors.ts'

const DAY_MS = 86_400_000
const DATE = /^\d{4}-\d{2}-\d{2}$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})$/

/**
 * Parses and checks `--valid-to` against `nowMs`.
 *
 * @throws {UsageError} `ERR_USAGE` when it is no date of the forms above.
 * @throws {ByokError} `ERR_BYOK_VALID_TO` when it is not in the future or more than 365 days ahead.
 * @example
 * ```ts
 * parseValidTo('2020-01-01', Date.now()) // throws ERR_BYOK_VALID_TO
 * ```
 */
export function parseValidTo(value: string, nowMs: number): Date {
  const text = DATE.test(value) ? `${value}T00:00:00Z` : value
  const ms = DATE_TIME.test(text) ? Date.parse(text) : Number.NaN
  // Date.parse rolls 2027-02-30 over to March: refuse a date that does not round-trip.
  if (
    !Number.isFinite(ms) ||
    (DATE.test(value) && new Date(ms).toISOString().slice(0, 10) !== value)
  ) {
    throw new UsageError(
      `--valid-to ${shown(value)}: use YYYY-MM-DD or an RFC 3339 date-time (2027-03-01T12:00:00Z)`,
    )
  }
  const max = defaults.byok.maxValidToDays
  if (ms <= nowMs) {
    throw new ByokError('ERR_BYOK_VALID_TO', `--valid-to ${value}: not in the future`)
  }
  if (ms > nowMs + max * DAY_MS) {
    throw new ByokError(
      'ERR_BYOK_VALID_TO',
      `--valid-to ${value}: more than ${max} days ahead (KMS refuses a ValidTo past ${new Date(nowMs + max * DAY_MS).toISOString()})`,
    )
  }
  return new Date(ms)
}
