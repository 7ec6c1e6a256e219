/**
 * Exact binomial upper tails in log space, for the Adaptive Proportion Test cutoff. No normal or
 * Poisson approximation: every term ln C(n,k) + k·ln p + (n−k)·ln(1−p) is summed (log-sum-exp)
 * from the top, so tails far below 2⁻⁵² keep their precision.
 */

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b
  if (b === -Infinity) return a
  const hi = Math.max(a, b)
  return hi + Math.log1p(Math.exp(-Math.abs(a - b)))
}

/**
 * `tails[c]` = ln P[X ≥ c] for X ~ Binomial(n, p), c = 0…n+1 (`tails[n+1]` = −∞).
 *
 * @example
 * ```ts
 * Math.exp(binomialLogUpperTails(2, 0.5)[1]!) // 0.75
 * ```
 */
export function binomialLogUpperTails(n: number, p: number): Float64Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('binomial: n must be an integer ≥ 0')
  if (!(p > 0 && p < 1)) throw new RangeError('binomial: p must be in (0, 1)')
  const logFact = new Float64Array(n + 1)
  for (let i = 1; i <= n; i++) logFact[i] = logFact[i - 1]! + Math.log(i)
  const lnP = Math.log(p)
  const lnQ = Math.log1p(-p)
  const tails = new Float64Array(n + 2)
  tails[n + 1] = -Infinity
  for (let k = n; k >= 0; k--) {
    const lnPmf = logFact[n]! - logFact[k]! - logFact[n - k]! + k * lnP + (n - k) * lnQ
    tails[k] = logAddExp(tails[k + 1]!, lnPmf)
  }
  return tails
}
