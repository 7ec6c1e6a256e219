/**
 * Cutoffs of the SP 800-90B §4.4 continuous health tests, computed from the claimed min-entropy
 * H per sample and the false-positive probability α:
 *
 * - Repetition Count Test (§4.4.1): C = 1 + ⌈−log₂(α) / H⌉.
 * - Adaptive Proportion Test (§4.4.2): C = 1 + CRITBINOM(W, 2^−H, 1 − α), i.e. the smallest c with
 *   P[X ≤ c − 1] ≥ 1 − α for X ~ Binomial(W, 2^−H); equivalently the smallest c with P[X ≥ c] ≤ α.
 *   Computed exactly (log-space sum of every binomial term, no approximation).
 *
 * With α = 2⁻²⁰ and W = 1,024: H = 1 gives RCT 21 and APT 589, as in 90B Table 2.
 *
 * @example
 * ```ts
 * rctCutoff(1) // 21
 * aptCutoff(1) // 589
 * ```
 */
import { binomialLogUpperTails } from './_binomial.ts'
import { entropyDefaults } from './defaults.ts'

/** Largest claimed min-entropy of an 8-bit sample. */
const MAX_H = 8

/**
 * Checks that `h` is a claimed min-entropy per 8-bit sample: a number in (0, 8].
 *
 * @throws {RangeError} otherwise.
 * @example
 * ```ts
 * checkMinEntropy(0.5) // ok
 * ```
 */
export function checkMinEntropy(h: number): void {
  if (typeof h !== 'number' || !(h > 0 && h <= MAX_H)) {
    throw new RangeError(`minEntropyPerSample: expected a number in (0, ${MAX_H}], got ${h}`)
  }
}

function checkAlpha(alpha: number): void {
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) {
    throw new RangeError(`alpha: expected a number in (0, 1), got ${alpha}`)
  }
}

/**
 * ⌈x⌉, except that an x within floating-point noise of an integer is that integer (20 / 0.1 must
 * give 200, not 201).
 */
function ceilExact(x: number): number {
  const r = Math.round(x)
  return Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : Math.ceil(x)
}

/**
 * The Repetition Count Test cutoff: C = 1 + ⌈−log₂(α) / H⌉ (SP 800-90B §4.4.1). A run of C
 * identical consecutive samples is a failure.
 *
 * @throws {RangeError} for H outside (0, 8] or α outside (0, 1).
 * @example
 * ```ts
 * rctCutoff(1) // 21
 * rctCutoff(8) // 4
 * ```
 */
export function rctCutoff(minEntropyPerSample: number, alpha = entropyDefaults.alpha): number {
  checkMinEntropy(minEntropyPerSample)
  checkAlpha(alpha)
  return 1 + ceilExact(-Math.log2(alpha) / minEntropyPerSample)
}

/**
 * The Adaptive Proportion Test cutoff: C = 1 + CRITBINOM(W, 2^−H, 1 − α) (SP 800-90B §4.4.2),
 * the smallest c with P[Binomial(W, 2^−H) ≥ c] ≤ α. A window of W samples in which the first
 * sample's value occurs C times is a failure.
 *
 * @throws {RangeError} for H outside (0, 8], α outside (0, 1), a window under 2, or an H so low
 *   that no count within the window could ever fail (the test would be a no-op).
 * @example
 * ```ts
 * aptCutoff(1) // 589 (W = 1,024, α = 2⁻²⁰)
 * aptCutoff(1, 512) // 311
 * ```
 */
export function aptCutoff(
  minEntropyPerSample: number,
  window = entropyDefaults.aptWindow,
  alpha = entropyDefaults.alpha,
): number {
  checkMinEntropy(minEntropyPerSample)
  checkAlpha(alpha)
  if (!Number.isSafeInteger(window) || window < 2 || window > 1 << 20) {
    throw new RangeError(`aptWindow: expected an integer in [2, 2^20], got ${window}`)
  }
  const tails = binomialLogUpperTails(window, 2 ** -minEntropyPerSample)
  const lnAlpha = Math.log(alpha)
  let c = 0
  while (c <= window && tails[c]! > lnAlpha) c++
  if (c > window) {
    throw new RangeError(
      `minEntropyPerSample ${minEntropyPerSample} is too low for an APT window of ${window}: ` +
        'no count could reach a cutoff',
    )
  }
  return c
}
