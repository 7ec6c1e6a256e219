import { describe, expect, it } from 'vitest'
import { HealthTester, aptCutoff, rctCutoff } from '../../../agent/src/entropy/index.ts'
import { binomialLogUpperTails } from '../../../agent/src/entropy/_binomial.ts'
import { fairBytes, mulberry32, SeededNoise } from './_helpers.ts'

/** Feeds `total` samples from `noise` in chunks; returns the first failure or null. */
function feed(tester: HealthTester, noise: SeededNoise, total: number, chunk = 4096) {
  for (let done = 0; done < total; done += chunk) {
    const f = tester.test(noise.generate(Math.min(chunk, total - done)))
    if (f !== null) return f
  }
  return null
}

describe('HealthTester', () => {
  for (const h of [1, 2, 4]) {
    it(`a fair seeded source stays quiet over 10^6 samples (H = ${h})`, () => {
      const tester = new HealthTester({ minEntropyPerSample: h })
      expect(feed(tester, new SeededNoise(100 + h), 1_000_000)).toBeNull()
      const s = tester.stats()
      expect(s.samples).toBe(1_000_000)
      expect(s.aptWindows).toBe(Math.floor(1_000_000 / 1024))
      expect(s.rctMaxRun).toBeLessThan(s.rctCutoff)
      expect(s.aptMaxCount).toBeLessThan(s.aptCutoff)
      expect(s.rctMaxRun).toBeGreaterThanOrEqual(2)
    })
  }

  it('a stuck source fails the RCT within C samples of the fault', () => {
    for (const h of [0.5, 1, 2, 8]) {
      const tester = new HealthTester({ minEntropyPerSample: h })
      const noise = new SeededNoise(110)
      expect(feed(tester, noise, 5000, 1000)).toBeNull()
      noise.mode = { kind: 'stuck', value: 0x42 }
      const f = feed(tester, noise, 10_000, 7)
      expect(f?.test, `H = ${h}`).toBe('rct')
      expect(f!.sampleIndex - 5000).toBeLessThan(rctCutoff(h))
      expect(f!.count).toBe(rctCutoff(h))
    }
  })

  it('RCT boundary: a run of C − 1 passes, a run of C fails at its last sample', () => {
    const tester = new HealthTester({ minEntropyPerSample: 1 })
    const c = tester.rctCutoff
    const run = (v: number, n: number) => new Uint8Array(n).fill(v)
    expect(tester.test(run(7, c - 1))).toBeNull()
    expect(tester.test(run(8, c - 1))).toBeNull()
    expect(tester.stats().rctMaxRun).toBe(c - 1)
    expect(tester.test(run(8, 1))).toEqual({
      test: 'rct',
      sampleIndex: 2 * (c - 1),
      count: c,
      cutoff: c,
    })
  })

  it('APT boundary: C − 1 of the reference value in a window passes, C fails; windows reset', () => {
    const w = 1024
    const c = aptCutoff(1)
    // 0 at two of every three positions (runs of 2, far from the RCT), others all distinct.
    const window = (zeros: number) => {
      const out = new Uint8Array(w)
      let placed = 0
      for (let i = 0; i < w; i++) {
        const zero = i % 3 !== 2 && placed < zeros
        if (zero) placed++
        out[i] = zero ? 0 : 1 + (i % 250)
      }
      return out
    }
    const tester = new HealthTester({ minEntropyPerSample: 1 })
    expect(tester.test(window(c - 1))).toBeNull()
    expect(tester.test(window(c - 1))).toBeNull()
    expect(tester.stats()).toMatchObject({ aptWindows: 2, aptMaxCount: c - 1 })
    const f = tester.test(window(c))
    // The C-th 0 of the third window: 3 positions per 2 zeros.
    const zerothIndex = Math.floor((c - 1) / 2) * 3 + ((c - 1) % 2)
    expect(f).toEqual({ test: 'apt', sampleIndex: 2 * w + zerothIndex, count: c, cutoff: c })
  })

  it('a biased source fails the APT within the windows its bias implies', () => {
    for (const [h, p] of [
      [1, 0.62],
      [2, 0.38],
      [4, 0.15],
    ] as const) {
      const tester = new HealthTester({ minEntropyPerSample: h })
      const noise = new SeededNoise(120 + h)
      noise.mode = { kind: 'biased', value: 0x5a, p }
      const f = feed(tester, noise, 10_000_000)
      expect(f?.test, `H = ${h}`).toBe('apt')
      // A window fails when its first sample is the value and the other W − 1 hold ≥ C − 1.
      const pv = p + (1 - p) / 256
      const perWindow = pv * Math.exp(binomialLogUpperTails(1023, pv)[tester.aptCutoff - 1]!)
      const bound = Math.ceil(Math.log(2 ** -20) / Math.log(1 - perWindow))
      expect(f!.sampleIndex, `H = ${h}`).toBeLessThan(bound * 1024)
    }
  })

  it('latches: later calls return the same failure and test nothing', () => {
    const tester = new HealthTester()
    const f = tester.test(new Uint8Array(100).fill(9))
    expect(f).toMatchObject({ test: 'rct', sampleIndex: 20 })
    const fair = fairBytes(mulberry32(1), 5000)
    expect(tester.test(fair)).toBe(f)
    expect(tester.failure).toBe(f)
    expect(tester.stats().samples).toBe(21)
  })

  it('errorFor: latched EntropyError naming the test, count and cutoff, never the value', () => {
    const tester = new HealthTester({ minEntropyPerSample: 1 })
    const rct = tester.errorFor(tester.test(new Uint8Array(30).fill(0xa7))!)
    expect(rct).toMatchObject({ code: 'ERR_ENTROPY_HEALTH_RCT', latched: true })
    expect(rct.message).toBe(
      'repetition count test failed at sample 20: one value repeated 21 times in a row, ' +
        'reaching the cutoff 21 (H = 1 bits/sample, α = 2^-20)',
    )
    const apt = tester.errorFor({ test: 'apt', sampleIndex: 700, count: 589, cutoff: 589 })
    expect(apt.code).toBe('ERR_ENTROPY_HEALTH_APT')
    expect(apt.message).toBe(
      'adaptive proportion test failed at sample 700: one value occurred 589 times in a window ' +
        'of 1024, reaching the cutoff 589 (H = 1 bits/sample, α = 2^-20)',
    )
  })

  it('refuses a non-Uint8Array', () => {
    expect(() => new HealthTester().test([1, 2] as never)).toThrow(TypeError)
  })
})
