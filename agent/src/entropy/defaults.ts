/**
 * Defaults of the entropy feature, in one typed object (STYLE §4.1). The statistical parameters
 * (α, the APT window, the start-up length) are fixed by SP 800-90B; the others are options of
 * {@link HardwareEntropySource}.
 *
 * @example
 * ```ts
 * new HardwareEntropySource({ input, poolBytes: entropyDefaults.poolBytes * 2 })
 * ```
 */

/** The shape of {@link entropyDefaults}. */
export interface EntropyDefaults {
  /**
   * Claimed min-entropy H of one 8-bit hardware sample, in bits (0 < H ≤ 8). Default 1: the
   * conservative claim for a source without its own SP 800-90B assessment (a raw ring-oscillator
   * or diode byte carries well under 8 bits; a whitened `/dev/hwrng` byte claims 8 but is not
   * ours to verify). A lower H loosens the cutoffs and asks for more samples per output block.
   */
  readonly minEntropyPerSample: number
  /** False-positive probability α of each health test per sample or window: 2⁻²⁰ (90B §4.4). */
  readonly alpha: number
  /** Adaptive Proportion Test window W for non-binary samples: 1,024 (SP 800-90B §4.4.2). */
  readonly aptWindow: number
  /** Samples run through both tests, and discarded, before any output (SP 800-90B §4.3 (10)). */
  readonly startupSamples: number
  /**
   * Claimed entropy hashed into each 32-byte conditioned block: 320 bits = 256 + 64, the margin
   * SP 800-90C asks of a vetted conditioning function's input before its n-bit output counts as
   * full entropy (n + 64 bits in); 256 bits in would give slightly less than 256 out.
   */
  readonly conditioningInputBits: number
  /** Bytes of ready output kept for synchronous requests (a multiple of 32): 8 CEKs. */
  readonly poolBytes: number
  /**
   * While the pool wants refilling, the source must deliver one unit (the start-up samples, or
   * one block's samples) within this many milliseconds, or it latches `ERR_ENTROPY_STARVED`.
   */
  readonly starvationTimeoutMs: number
  /** How long to wait before reading again when a device, FIFO or generator has no samples. */
  readonly pollIntervalMs: number
  /** Largest read from the device, FIFO or generator, in samples: the bound on buffering. */
  readonly readChunkSamples: number
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * entropyDefaults.minEntropyPerSample // 1
 * ```
 */
export const entropyDefaults: EntropyDefaults = Object.freeze({
  minEntropyPerSample: 1,
  alpha: 2 ** -20,
  aptWindow: 1024,
  startupSamples: 1024,
  conditioningInputBits: 320,
  poolBytes: 256,
  starvationTimeoutMs: 10_000,
  pollIntervalMs: 25,
  readChunkSamples: 4096,
})
