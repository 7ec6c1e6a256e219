/**
 * `ScheduleKeyDeletion`: the key goes to `PendingDeletion` for `PendingWindowInDays` (7 to 30,
 * default 30) and is then deleted with its aliases (lazily, at the first request after that time).
 * While pending, every cryptographic operation answers `KMSInvalidStateException`.
 *
 * @example
 * ```ts
 * const { DeletionDate } = await kms.send(
 *   new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }),
 * )
 * ```
 */
import { PENDING_WINDOW_DAYS } from '../defaults.ts'
import { KmsApiError } from '../errors.ts'
import { checkNotPending } from '../key_checks.ts'
import { KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/** The `ScheduleKeyDeletion` handler. */
export const scheduleKeyDeletion = defineOperation({
  name: 'ScheduleKeyDeletion',
  family: 'management',
  mutating: true,
  input: {
    KeyId: KEY_ID_REQUIRED,
    PendingWindowInDays: { type: 'integer', min: 1, max: 365 },
  },
  output: ['KeyId', 'DeletionDate', 'KeyState', 'PendingWindowInDays'],
  handle(input, ctx) {
    const days = input.PendingWindowInDays ?? PENDING_WINDOW_DAYS.default
    // The model allows 1–365 (for multi-Region replicas); a single-Region key takes 7–30.
    const bound =
      days < PENDING_WINDOW_DAYS.min
        ? `greater than or equal to ${PENDING_WINDOW_DAYS.min}`
        : days > PENDING_WINDOW_DAYS.max
          ? `less than or equal to ${PENDING_WINDOW_DAYS.max}`
          : undefined
    if (bound) {
      throw new KmsApiError(
        'ValidationException',
        `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${bound}`,
      )
    }
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    checkNotPending(ctx.store, key, { allowPendingImport: true })
    key.state = 'PendingDeletion'
    key.deletionDate = ctx.now + days * DAY_MS
    return {
      KeyId: ctx.store.arnOf(key),
      DeletionDate: new Date(key.deletionDate),
      KeyState: key.state,
      PendingWindowInDays: days,
    }
  },
})
