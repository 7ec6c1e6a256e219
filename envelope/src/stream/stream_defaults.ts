/**
 * Defaults of the `sealwire/1` stream (`envelope/STREAM.md`), in one typed object.
 *
 * @example
 * ```ts
 * const segmentBytes = options.segmentBytes ?? defaultStreamOptions.segmentBytes
 * ```
 */

/** Every default of the stream format. */
export interface StreamDefaults {
  /** Plaintext bytes per segment when the sealer is not told: 256 KiB. */
  readonly segmentBytes: number
  /** Largest segment size an opener accepts from a header by default: 1 MiB (memory bound). */
  readonly maxSegmentBytes: number
}

/** The defaults. */
export const defaultStreamOptions: StreamDefaults = Object.freeze({
  segmentBytes: 256 * 1024,
  maxSegmentBytes: 1024 * 1024,
})
