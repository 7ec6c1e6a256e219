/**
 * The SP 800-90B §4.4 continuous health tests over a stream of 8-bit samples: the Repetition
 * Count Test (§4.4.1) and the Adaptive Proportion Test (§4.4.2, non-binary, W = 1,024), with
 * cutoffs from {@link rctCutoff} and {@link aptCutoff}. Every sample goes through both tests, in
 * order; the first failure latches and is returned again by every later call.
 *
 * The tester holds no sample after it returns (only the current run value and window reference,
 * which it needs). It is exported so the firmware simulator and tests can feed samples directly.
 *
 * @example
 * ```ts
 * const tester = new HealthTester({ minEntropyPerSample: 1 })
 * const failure = tester.test(samples)
 * if (failure) throw tester.errorFor(failure) // ERR_ENTROPY_HEALTH_RCT or _APT
 * ```
 */
import { aptCutoff, checkMinEntropy, rctCutoff } from './cutoffs.ts'
import { entropyDefaults } from './defaults.ts'
import { EntropyError } from './errors.ts'

/** Options of {@link HealthTester}. */
export interface HealthTesterOptions {
  /** Claimed min-entropy H per 8-bit sample, in bits; default {@link entropyDefaults}. */
  readonly minEntropyPerSample?: number
  /** False-positive probability α per test; default 2⁻²⁰. */
  readonly alpha?: number
  /** APT window W; default 1,024. */
  readonly aptWindow?: number
}

/** Which test failed: the Repetition Count Test or the Adaptive Proportion Test. */
export type HealthTestName = 'rct' | 'apt'

/**
 * A health-test failure. It says where and by how much, never which value.
 *
 * @example
 * ```ts
 * // { test: 'rct', sampleIndex: 1044, count: 21, cutoff: 21 }
 * ```
 */
export interface HealthTestFailure {
  readonly test: HealthTestName
  /** 0-based position in the tested stream of the sample that reached the cutoff. */
  readonly sampleIndex: number
  /** The run length (RCT) or the count in the window (APT) reached: equal to `cutoff`. */
  readonly count: number
  readonly cutoff: number
}

/**
 * Counters and parameters of a {@link HealthTester}, for metrics: how close the source has come
 * to each cutoff (`rctMaxRun`, `aptMaxCount`) is the early warning.
 *
 * @example
 * ```ts
 * const { samples, rctMaxRun, rctCutoff } = tester.stats()
 * ```
 */
export interface HealthTestStats {
  readonly minEntropyPerSample: number
  readonly alpha: number
  readonly rctCutoff: number
  readonly aptCutoff: number
  readonly aptWindow: number
  /** Samples tested so far. */
  readonly samples: number
  /** Complete APT windows so far. */
  readonly aptWindows: number
  /** Longest run of identical samples seen. */
  readonly rctMaxRun: number
  /** Highest count of a window's reference value seen in any window. */
  readonly aptMaxCount: number
}

function alphaText(alpha: number): string {
  const e = Math.log2(alpha)
  return Number.isInteger(e) ? `2^${e}` : String(alpha)
}

/**
 * Runs the RCT and the APT on every sample given to {@link HealthTester.test}.
 *
 * @example
 * ```ts
 * const tester = new HealthTester()
 * tester.rctCutoff // 21
 * tester.test(new Uint8Array(21)) // { test: 'rct', sampleIndex: 20, count: 21, cutoff: 21 }
 * ```
 */
export class HealthTester {
  readonly minEntropyPerSample: number
  readonly alpha: number
  readonly rctCutoff: number
  readonly aptCutoff: number
  readonly aptWindow: number

  #samples = 0
  #rctValue = -1
  #rctRun = 0
  #rctMaxRun = 0
  #aptValue = -1
  #aptCount = 0
  #aptSeen = 0
  #aptWindows = 0
  #aptMaxCount = 0
  #failure: HealthTestFailure | null = null

  constructor(options: HealthTesterOptions = {}) {
    this.minEntropyPerSample = options.minEntropyPerSample ?? entropyDefaults.minEntropyPerSample
    checkMinEntropy(this.minEntropyPerSample)
    this.alpha = options.alpha ?? entropyDefaults.alpha
    this.aptWindow = options.aptWindow ?? entropyDefaults.aptWindow
    this.rctCutoff = rctCutoff(this.minEntropyPerSample, this.alpha)
    this.aptCutoff = aptCutoff(this.minEntropyPerSample, this.aptWindow, this.alpha)
  }

  /** The latched failure, or null while every sample has passed. */
  get failure(): HealthTestFailure | null {
    return this.#failure
  }

  /**
   * Tests each sample in order. Returns null when all pass; otherwise the first failure, after
   * which the remaining samples are not tested and every later call returns the same failure.
   */
  test(samples: Uint8Array): HealthTestFailure | null {
    if (!(samples instanceof Uint8Array)) throw new TypeError('samples: expected a Uint8Array')
    if (this.#failure !== null) return this.#failure
    const rctC = this.rctCutoff
    const aptC = this.aptCutoff
    const w = this.aptWindow
    let rctValue = this.#rctValue
    let rctRun = this.#rctRun
    let rctMax = this.#rctMaxRun
    let aptValue = this.#aptValue
    let aptCount = this.#aptCount
    let aptSeen = this.#aptSeen
    let aptWindows = this.#aptWindows
    let aptMax = this.#aptMaxCount
    let failure: HealthTestFailure | null = null
    let i = 0
    for (; i < samples.length; i++) {
      const x = samples[i]!
      // §4.4.1: B counts the run of the current value; B ≥ C fails.
      if (x === rctValue) {
        rctRun++
        if (rctRun > rctMax) rctMax = rctRun
        if (rctRun >= rctC) {
          failure = { test: 'rct', sampleIndex: this.#samples + i, count: rctRun, cutoff: rctC }
          break
        }
      } else {
        rctValue = x
        rctRun = 1
        if (rctMax === 0) rctMax = 1
      }
      // §4.4.2: the first sample of each window of W is the reference A; B counts A in the
      // window, itself included; B ≥ C fails.
      if (aptSeen === 0) {
        aptValue = x
        aptCount = 1
        if (aptMax === 0) aptMax = 1
      } else if (x === aptValue) {
        aptCount++
        if (aptCount > aptMax) aptMax = aptCount
        if (aptCount >= aptC) {
          failure = { test: 'apt', sampleIndex: this.#samples + i, count: aptCount, cutoff: aptC }
          break
        }
      }
      if (++aptSeen === w) {
        aptSeen = 0
        aptWindows++
      }
    }
    this.#samples += failure === null ? samples.length : i + 1
    this.#rctValue = rctValue
    this.#rctRun = rctRun
    this.#rctMaxRun = rctMax
    this.#aptValue = aptValue
    this.#aptCount = aptCount
    this.#aptSeen = aptSeen
    this.#aptWindows = aptWindows
    this.#aptMaxCount = aptMax
    this.#failure = failure
    return failure
  }

  /** A snapshot of the counters and parameters. */
  stats(): HealthTestStats {
    return Object.freeze({
      minEntropyPerSample: this.minEntropyPerSample,
      alpha: this.alpha,
      rctCutoff: this.rctCutoff,
      aptCutoff: this.aptCutoff,
      aptWindow: this.aptWindow,
      samples: this.#samples,
      aptWindows: this.#aptWindows,
      rctMaxRun: this.#rctMaxRun,
      aptMaxCount: this.#aptMaxCount,
    })
  }

  /**
   * The latched {@link EntropyError} for `failure`: `ERR_ENTROPY_HEALTH_RCT` or `_APT`, with the
   * count, the cutoff and the parameters in the message, and no sample value.
   */
  errorFor(failure: HealthTestFailure): EntropyError {
    const params = `H = ${this.minEntropyPerSample} bits/sample, α = ${alphaText(this.alpha)}`
    if (failure.test === 'rct') {
      return new EntropyError(
        'ERR_ENTROPY_HEALTH_RCT',
        `repetition count test failed at sample ${failure.sampleIndex}: one value repeated ` +
          `${failure.count} times in a row, reaching the cutoff ${failure.cutoff} (${params})`,
        { latched: true },
      )
    }
    return new EntropyError(
      'ERR_ENTROPY_HEALTH_APT',
      `adaptive proportion test failed at sample ${failure.sampleIndex}: one value occurred ` +
        `${failure.count} times in a window of ${this.aptWindow}, reaching the cutoff ` +
        `${failure.cutoff} (${params})`,
      { latched: true },
    )
  }
}
