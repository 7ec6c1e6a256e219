/**
 * `sealwire-consumer replay`: runs every dead letter through the pipeline again, after what kept
 * it from being delivered is fixed (an announcement arrived late, a sink or KMS came back, the
 * new-epoch budget refilled). Announcements (key-topic letters) go first, so the data they open
 * follows in the same run; then the rest, oldest first. What opens is delivered once (the replay
 * window and the sink's idempotent insert hold across live traffic and replays) and its letter
 * removed; a letter of an already-delivered message is removed as a duplicate; the rest stays,
 * with its reason and detail brought up to date.
 *
 * @example
 * ```ts
 * const summary = await replayDeadLetters(core.pipeline, letters, { isAnnouncement: (t) => t.endsWith('/key') })
 * summary.delivered // letters whose readings reached the sink
 * ```
 */
import type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
} from './dead_letters/dead_letter_store.ts'
import type { LetterOutcome, Pipeline } from './pipeline/pipeline.ts'

/** What one replay run did. */
export interface ReplaySummary {
  /** Letters read. */
  readonly letters: number
  /** Data letters delivered (readings committed), removed. */
  readonly delivered: number
  /** Announcement letters opened and stored, removed. */
  readonly announcements: number
  /** Letters of messages already delivered, removed. */
  readonly duplicates: number
  /** Letters kept, by their reason now. */
  readonly kept: Readonly<Partial<Record<DeadLetterReason, number>>>
  /** True when the run was stopped before the end. */
  readonly stopped: boolean
}

/** Options of {@link replayDeadLetters}. */
export interface ReplayOptions {
  /** True for a key-announcement topic (handled in the first pass). */
  readonly isAnnouncement: (topic: string) => boolean
  /** Letters handled at once in the second pass; default 64. */
  readonly concurrency?: number
}

/**
 * Replays every letter of `letters` through `pipeline` (see the module doc).
 *
 * @example
 * ```ts
 * const { delivered, kept } = await replayDeadLetters(pipeline, store, { isAnnouncement })
 * ```
 */
export async function replayDeadLetters(
  pipeline: Pipeline,
  letters: DeadLetterStore,
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const counts = { letters: 0, delivered: 0, announcements: 0, duplicates: 0 }
  const kept: Partial<Record<DeadLetterReason, number>> = {}
  let stopped = false
  const count = (outcome: LetterOutcome): void => {
    switch (outcome.kind) {
      case 'delivered':
        counts.delivered++
        break
      case 'announcement':
        counts.announcements++
        break
      case 'duplicate':
        counts.duplicates++
        break
      case 'kept':
        kept[outcome.reason] = (kept[outcome.reason] ?? 0) + 1
        break
      case 'stopped':
        stopped = true
        break
    }
  }
  const concurrency = options.concurrency ?? 64
  for (const pass of ['announcements', 'data'] as const) {
    const running = new Set<Promise<void>>()
    for await (const letter of letters.list()) {
      if (stopped) break
      if (options.isAnnouncement(letter.topic) !== (pass === 'announcements')) continue
      counts.letters++
      const job = pipeline.retryLetter(letter satisfies DeadLetter).then(count)
      running.add(job)
      void job.finally(() => running.delete(job))
      // Announcements one at a time: each may open an epoch the next needs.
      if (pass === 'announcements' || running.size >= concurrency) await Promise.race(running)
    }
    await Promise.all(running)
  }
  return Object.freeze({ ...counts, kept: Object.freeze(kept), stopped })
}
