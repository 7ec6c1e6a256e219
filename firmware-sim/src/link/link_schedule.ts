/**
 * A seeded fault schedule for flaky links, and a player that applies it. The run is split into
 * equal slots, one per fault in the order given; each fault starts at a seeded random moment of
 * its slot and, unless it is a one-shot `cut`, is followed by `pass` when its duration is over,
 * still inside the slot. So faults never overlap, the same seed gives the same times, and the run
 * ends on `pass`.
 *
 * @example
 * ```ts
 * const events = linkSchedule({ seed: 7, durationMs: 60_000, faults: [
 *   { kind: 'blackhole', durationMs: 5_000 }, { kind: 'cut' }, { kind: 'delay', ms: 300, durationMs: 4_000 },
 * ] })
 * const play = playLinkSchedule(links, events, { onEvent: (e) => console.log(e.at, e.mode) })
 * await play.done
 * ```
 */
import { seededRandom } from '../seeded_random.ts'
import type { FlakyLink } from './flaky_link.ts'
import { checkLinkMode } from './link_mode.ts'
import type { LinkMode } from './link_mode.ts'

/** One fault to place. */
export interface LinkFault {
  readonly kind: 'delay' | 'blackhole' | 'cut' | 'refuse'
  /** The delay, for `delay`. */
  readonly ms?: number
  /** How long it lasts before `pass`, ms (ignored for `cut`); at most the slot's length. */
  readonly durationMs?: number
}

/** One timed change of mode. */
export interface LinkEvent {
  /** ms after the schedule starts. */
  readonly at: number
  readonly mode: LinkMode
}

/** Defaults of {@link linkSchedule}. */
export const linkScheduleDefaults = Object.freeze({
  /** A fault's duration when not given, ms. */
  durationMs: 3_000,
  /** No fault starts in the first or ends in the last part of the run this long, ms. */
  marginMs: 2_000,
})

/**
 * Places `faults` over `durationMs` (see the module doc).
 *
 * @throws {RangeError} a duration, margin or fault that does not fit its slot.
 * @example
 * ```ts
 * linkSchedule({ seed: 1, durationMs: 10_000, faults: [{ kind: 'cut' }] })
 * // [{ at: 5123, mode: { kind: 'cut' } }]
 * ```
 */
export function linkSchedule(options: {
  readonly seed: number
  readonly durationMs: number
  readonly faults: readonly LinkFault[]
  readonly marginMs?: number
}): LinkEvent[] {
  const { seed, durationMs, faults } = options
  const margin = options.marginMs ?? linkScheduleDefaults.marginMs
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0) {
    throw new RangeError('durationMs must be a positive integer')
  }
  if (!Number.isSafeInteger(margin) || margin < 0 || 2 * margin >= durationMs) {
    throw new RangeError('marginMs must be an integer from 0 to less than half of durationMs')
  }
  if (faults.length === 0) return []
  const random = seededRandom(seed)
  const slot = (durationMs - 2 * margin) / faults.length
  const events: LinkEvent[] = []
  faults.forEach((fault, i) => {
    const mode = checkLinkMode(fault.kind === 'delay' ? { kind: 'delay', ms: fault.ms } : fault)
    const lasts = mode.kind === 'cut' ? 0 : (fault.durationMs ?? linkScheduleDefaults.durationMs)
    if (!Number.isSafeInteger(lasts) || lasts < 0 || lasts > slot) {
      throw new RangeError(
        `faults[${i}].durationMs must be an integer from 0 to the slot length ${Math.floor(slot)} ms`,
      )
    }
    const start = Math.round(margin + i * slot + random() * (slot - lasts))
    events.push({ at: start, mode })
    if (mode.kind !== 'cut') events.push({ at: start + lasts, mode: { kind: 'pass' } })
  })
  return events
}

/** A schedule being played. */
export interface PlayingSchedule {
  /** Resolves after the last event was applied (or at once when cancelled). */
  readonly done: Promise<void>
  /** Stops applying events; the links keep their current mode. */
  cancel(): void
}

/**
 * Applies `events` to every link in `links` at their times, counted from now.
 *
 * @example
 * ```ts
 * const play = playLinkSchedule([link], [{ at: 1000, mode: { kind: 'cut' } }])
 * ```
 */
export function playLinkSchedule(
  links: Iterable<FlakyLink>,
  events: readonly LinkEvent[],
  options: { readonly onEvent?: (event: LinkEvent) => void } = {},
): PlayingSchedule {
  const targets = [...links]
  const start = Date.now()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let finish: () => void = () => {}
  const done = new Promise<void>((resolve) => (finish = resolve))
  let left = events.length
  if (left === 0) finish()
  for (const event of [...events].sort((a, b) => a.at - b.at)) {
    const timer = setTimeout(
      () => {
        timers.delete(timer)
        for (const link of targets) link.set(event.mode)
        options.onEvent?.(event)
        if (--left === 0) finish()
      },
      Math.max(0, start + event.at - Date.now()),
    )
    timers.add(timer)
  }
  return {
    done,
    cancel() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      finish()
    },
  }
}
