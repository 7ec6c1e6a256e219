/**
 * The one internal reader interface over every {@link SampleInput} kind, and what a reader needs
 * from its owner.
 */
import type { Clock } from '../../../platform/src/index.ts'

/** What a feed needs from its owner. */
export interface FeedContext {
  readonly clock: Clock
  readonly pollIntervalMs: number
  readonly readChunkSamples: number
}

/**
 * An open reader of samples (internal).
 *
 * @example
 * ```ts
 * const chunk = await feed.read(320) // 1…320 samples, or none once closed
 * ```
 */
export interface SampleFeed {
  /**
   * Resolves with 1…`max` samples as soon as there are some, waiting (on the clock) while there
   * are none; with an empty array once closed. Rejects with an `ERR_ENTROPY_SOURCE` error when
   * the input cannot be read. One read at a time.
   */
  read(max: number): Promise<Uint8Array>
  /** Stops reading; a pending `read` resolves empty. */
  close(): Promise<void>
}
