/**
 * Defaults of the emulated hardware, in one typed object (STYLE §4.1), merged once with each
 * constructor's options.
 *
 * @example
 * ```ts
 * new NoiseSource({ seed: 1, samplesPerSecond: hardwareDefaults.samplesPerSecond * 10 })
 * ```
 */

/** The shape of {@link hardwareDefaults}. */
export interface HardwareDefaults {
  /**
   * Nominal sample rate of the noise source, samples per second: it only maps the times in a
   * `burst` fault onto sample positions (1 ms = 100 samples at the default 100,000/s).
   */
  readonly samplesPerSecond: number
  /**
   * Largest chunk of samples handed to a reader at once (the `{ stream }` input, the FIFO
   * writer). 4,096 = `PIPE_BUF` on Linux, so every FIFO write is all or nothing.
   */
  readonly chunkSamples: number
  /**
   * Pacing step, ms: how often a starved source's allowance is looked at again, and how long
   * the FIFO writer waits when the pipe is full.
   */
  readonly tickMs: number
  /** Wall-clock time an RTC-less board boots at: 0 = 1970-01-01T00:00:00Z. */
  readonly bootAt: number
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * hardwareDefaults.tickMs // 10
 * ```
 */
export const hardwareDefaults: HardwareDefaults = Object.freeze({
  samplesPerSecond: 100_000,
  chunkSamples: 4096,
  tickMs: 10,
  bootAt: 0,
})
