import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { aptCutoff, entropyDefaults, rctCutoff } from '../../../agent/src/entropy/index.ts'
import { binomialLogUpperTails } from '../../../agent/src/entropy/_binomial.ts'

interface CutoffCase {
  readonly h: number
  readonly window: number
  readonly rct: number
  readonly apt: number
}

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, 'vectors', 'cutoffs.json'), 'utf8'),
) as { alphaLog2: number; cases: CutoffCase[] }

describe('health-test cutoffs (SP 800-90B §4.4, α = 2^-20)', () => {
  it('H = 1: RCT 21, APT 589 of 1,024 (90B Table 2)', () => {
    expect(rctCutoff(1)).toBe(21)
    expect(aptCutoff(1)).toBe(589)
    expect(aptCutoff(1, 512)).toBe(311)
  })

  it.each([
    [0.5, 41, 793],
    [2, 11, 325],
    [4, 6, 105],
    [8, 4, 18],
  ])('H = %s: RCT %i, APT %i', (h, rct, apt) => {
    expect(rctCutoff(h)).toBe(rct)
    expect(aptCutoff(h)).toBe(apt)
  })

  it('defaults: α = 2^-20, W = 1,024', () => {
    expect(entropyDefaults.alpha).toBe(2 ** -20)
    expect(entropyDefaults.aptWindow).toBe(1024)
    expect(vectors.alphaLog2).toBe(-20)
  })

  for (const c of vectors.cases) {
    it(`vectors/cutoffs.json: H = ${c.h}, W = ${c.window} → RCT ${c.rct}, APT ${c.apt}`, () => {
      expect(rctCutoff(c.h)).toBe(c.rct)
      expect(aptCutoff(c.h, c.window)).toBe(c.apt)
    })
  }

  it('the APT cutoff is the first c with P[X ≥ c] ≤ α, and c − 1 is not', () => {
    for (const h of [0.3, 1, 2.5, 7.9]) {
      const c = aptCutoff(h)
      const tails = binomialLogUpperTails(1024, 2 ** -h)
      expect(tails[c]!).toBeLessThanOrEqual(Math.log(2 ** -20))
      expect(tails[c - 1]!).toBeGreaterThan(Math.log(2 ** -20))
    }
  })

  it('binomial tails are exact for small cases', () => {
    const t = binomialLogUpperTails(3, 0.5).map(Math.exp)
    expect([...t]).toEqual([1, 7 / 8, 4 / 8, 1 / 8, 0].map((x) => expect.closeTo(x, 15)))
  })

  it('RCT cutoff is exact where −log2(α)/H is an integer', () => {
    expect(rctCutoff(0.1)).toBe(201)
    expect(rctCutoff(0.2)).toBe(101)
    expect(rctCutoff(1, 2 ** -30)).toBe(31)
  })

  it('refuses H outside (0, 8], α outside (0, 1), and an H too low for the window', () => {
    for (const h of [0, -1, 8.01, NaN, Infinity]) {
      expect(() => rctCutoff(h), String(h)).toThrow(RangeError)
      expect(() => aptCutoff(h), String(h)).toThrow(RangeError)
    }
    expect(() => rctCutoff(1, 0)).toThrow(RangeError)
    expect(() => rctCutoff(1, 1)).toThrow(RangeError)
    expect(() => aptCutoff(1, 1)).toThrow(RangeError)
    // 1,024 · H < 20: even a window of one value is not improbable enough to fail.
    expect(() => aptCutoff(0.01)).toThrow(/too low for an APT window of 1024/)
  })
})
