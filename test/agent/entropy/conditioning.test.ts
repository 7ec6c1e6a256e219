import { createHash, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { samplesPerBlock } from '../../../agent/src/entropy/index.ts'
import { conditionSamples } from '../../../agent/src/entropy/conditioning.ts'
import { mixWithOs } from '../../../agent/src/entropy/mixing.ts'
import { fairBytes, mulberry32, toHex } from './_helpers.ts'

describe('conditioning: SHA-256 over ⌈320 / H⌉ samples', () => {
  it.each([
    [1, 320],
    [0.5, 640],
    [2, 160],
    [3, 107],
    [8, 40],
    [0.1, 3200],
  ])('H = %s → %i samples per block', (h, b) => {
    expect(samplesPerBlock(h)).toBe(b)
    expect(samplesPerBlock(h) * h).toBeGreaterThanOrEqual(320 - 1e-9)
  })

  it('equals node:crypto SHA-256(prefix ‖ samples) and is 32 bytes', () => {
    const next = mulberry32(200)
    for (let i = 0; i < 20; i++) {
      const samples = fairBytes(next, 40 + i * 31)
      const want = createHash('sha256')
        .update('sealwire/1 entropy conditioning')
        .update(samples)
        .digest('hex')
      const got = conditionSamples(samples)
      expect(got.length).toBe(32)
      expect(toHex(got)).toBe(want)
    }
  })

  it('differs from the raw samples, and one flipped sample changes it', () => {
    const samples = new Uint8Array(320).map((_, i) => i & 0xff)
    const out = conditionSamples(samples)
    expect(toHex(samples)).not.toContain(toHex(out))
    const flipped = samples.slice()
    flipped[200]! ^= 1
    expect(toHex(conditionSamples(flipped))).not.toBe(toHex(out))
  })
})

describe('mixing: HKDF-SHA-256(hw ‖ os)', () => {
  it('equals node:crypto hkdfSync with an empty salt and the mix label', () => {
    const next = mulberry32(201)
    for (let i = 0; i < 20; i++) {
      const hw = fairBytes(next, 32)
      const os = fairBytes(next, 32)
      const want = Buffer.from(
        hkdfSync(
          'sha256',
          Buffer.concat([hw, os]),
          new Uint8Array(0),
          'sealwire/1 entropy mix',
          32,
        ),
      ).toString('hex')
      const got = mixWithOs(hw, os)
      expect(toHex(got)).toBe(want)
      expect(got.length).toBe(32)
    }
  })

  it('depends on both inputs, and leaves them unchanged', () => {
    const hw = new Uint8Array(32).fill(1)
    const os = new Uint8Array(32).fill(2)
    const base = toHex(mixWithOs(hw, os))
    expect(toHex(mixWithOs(new Uint8Array(32).fill(3), os))).not.toBe(base)
    expect(toHex(mixWithOs(hw, new Uint8Array(32).fill(3)))).not.toBe(base)
    expect(hw.every((b) => b === 1) && os.every((b) => b === 2)).toBe(true)
  })

  it('refuses inputs that are not 32 bytes', () => {
    expect(() => mixWithOs(new Uint8Array(31), new Uint8Array(32))).toThrow(RangeError)
    expect(() => mixWithOs(new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError)
    expect(() => conditionSamples('x' as never)).toThrow(TypeError)
  })
})
