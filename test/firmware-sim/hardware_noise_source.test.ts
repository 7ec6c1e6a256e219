/**
 * The noise model of the emulated hardware RNG on its own: reproducible for a seed whatever the
 * read sizes, each fault producing exactly the samples HARDWARE.md specifies, starvation paced
 * on the clock, and fault specifications checked with one coded error.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../platform/src/index.ts'
import { Xoshiro128 } from '../../firmware-sim/src/seeded_random.ts'
import {
  checkNoiseFault,
  HardwareSimError,
  NoiseSource,
  parseNoiseFault,
} from '../../firmware-sim/src/hardware/index.ts'
import { caught } from '../helpers/index.ts'

/** Lets pending promise chains run (no real time passes). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('the seeded generator', () => {
  it('is xoshiro128** 1.1: the reference C code from state {1, 2, 3, 4} gives these words', () => {
    // Printed by https://prng.di.unimi.it/xoshiro128starstar.c compiled here with gcc.
    const g = Xoshiro128.fromState([1, 2, 3, 4])
    expect(Array.from({ length: 6 }, () => g.next())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ])
  })
})

describe('NoiseSource', () => {
  it('gives the same samples for the same seed, however the reads are cut', () => {
    const whole = new NoiseSource({ seed: 7 }).read(1000)
    const cut = new NoiseSource({ seed: 7 })
    const parts = [cut.read(1), cut.read(333), cut.read(0), cut.read(666)]
    expect(Buffer.concat(parts)).toEqual(Buffer.from(whole))
    expect(cut.produced).toBe(1000)
    expect(Buffer.from(new NoiseSource({ seed: 8 }).read(1000))).not.toEqual(Buffer.from(whole))
  })

  it('fair samples are uniform: every value 256 000 / 256 ± 5 sd times', () => {
    const counts = new Array<number>(256).fill(0)
    for (const x of new NoiseSource({ seed: 1 }).read(256_000)) counts[x]!++
    // Binomial(256000, 1/256): mean 1000, sd ≈ 31.6.
    expect(Math.min(...counts)).toBeGreaterThan(1000 - 5 * 31.6)
    expect(Math.max(...counts)).toBeLessThan(1000 + 5 * 31.6)
  })

  it('stuck: every sample is the value from the moment the fault is set', () => {
    const noise = new NoiseSource({ seed: 3 })
    noise.read(10)
    noise.setFault({ kind: 'stuck', value: 0x42 })
    expect(noise.faultSince).toBe(10)
    expect(noise.fault).toEqual({ kind: 'stuck', value: 0x42 })
    expect(noise.read(50)).toEqual(new Uint8Array(50).fill(0x42))
  })

  it('bias: each bit is 1 with probability p (p = 0.94, 100 000 samples: 0.94 ± 5 sd per bit)', () => {
    const samples = new NoiseSource({ seed: 4, fault: { kind: 'bias', p: 0.94 } }).read(100_000)
    const sd = Math.sqrt((0.94 * 0.06) / 100_000)
    for (let bit = 0; bit < 8; bit++) {
      let ones = 0
      for (const x of samples) ones += (x >> bit) & 1
      expect(Math.abs(ones / 100_000 - 0.94), `bit ${bit}`).toBeLessThan(5 * sd)
    }
  })

  it('burst: the last L of every E samples are the value (E = everyMs, L = lengthMs at 1 sample/ms)', () => {
    const noise = new NoiseSource({
      seed: 5,
      samplesPerSecond: 1000,
      fault: { kind: 'burst', everyMs: 100, lengthMs: 21, value: 0x42 },
    })
    expect(noise.burstSamples).toEqual({ length: 21, every: 100 })
    const s = noise.read(1000)
    for (let period = 0; period < 10; period++) {
      const burst = s.subarray(period * 100 + 79, period * 100 + 100)
      expect(burst, `period ${period}`).toEqual(new Uint8Array(21).fill(0x42))
      // The quiet part is fair: not one long run of the value.
      const quiet = s.subarray(period * 100, period * 100 + 79)
      expect(quiet.filter((x) => x === 0x42).length).toBeLessThan(10)
    }
  })

  it('burst times map to samples at the nominal rate, rounded, at least one sample', () => {
    const noise = new NoiseSource({
      seed: 5,
      fault: { kind: 'burst', everyMs: 10, lengthMs: 0.21, value: 1 },
    })
    expect(noise.burstSamples).toEqual({ length: 21, every: 1000 })
    noise.setFault({ kind: 'burst', everyMs: 10, lengthMs: 0.0001, value: 1 })
    expect(noise.burstSamples).toEqual({ length: 1, every: 1000 })
    noise.setFault({ kind: 'none' })
    expect(noise.burstSamples).toBeUndefined()
  })

  it('starve: paced() gives ⌊bytesPerSecond · t / 1000⌋ samples in t ms; read() ignores it', () => {
    const clock = new ManualClock(0)
    const noise = new NoiseSource({
      seed: 6,
      clock,
      fault: { kind: 'starve', bytesPerSecond: 500 },
    })
    expect(noise.paced(4096).length).toBe(0)
    clock.advance(99)
    expect(noise.paced(4096).length).toBe(49)
    clock.advance(1)
    expect(noise.paced(4096).length).toBe(1)
    expect(noise.paced(4096).length).toBe(0)
    clock.advance(1000)
    expect(noise.paced(100).length).toBe(100)
    expect(noise.paced(4096).length).toBe(400)
    expect(noise.read(64).length).toBe(64)
    noise.setFault({ kind: 'starve', bytesPerSecond: 0 })
    clock.advance(3_600_000)
    expect(noise.paced(4096).length).toBe(0)
    noise.setFault({ kind: 'none' })
    expect(noise.paced(4096).length).toBe(4096)
  })

  it('sampleInput(): a stream of fresh chunks that waits on the clock while starved and ends on return()', async () => {
    const clock = new ManualClock(0)
    const noise = new NoiseSource({ seed: 9, clock, chunkSamples: 256 })
    const input = noise.sampleInput()
    if (!('stream' in input)) throw new Error('expected the { stream } form')
    const it = input.stream[Symbol.asyncIterator]()
    const a = await it.next()
    const b = await it.next()
    expect(a.value).toHaveLength(256)
    expect(a.value).not.toBe(b.value)
    expect(Buffer.from(a.value as Uint8Array)).toEqual(
      Buffer.from(new NoiseSource({ seed: 9 }).read(256)),
    )
    noise.setFault({ kind: 'starve', bytesPerSecond: 0 })
    let settled = false
    const pending = it.next().then((r) => ((settled = true), r))
    for (let i = 0; i < 10; i++) {
      clock.advance(noise.tickMs)
      await turn()
    }
    expect(settled).toBe(false)
    noise.setFault({ kind: 'starve', bytesPerSecond: 1000 })
    clock.advance(noise.tickMs)
    await turn()
    expect((await pending).value).toHaveLength(10)
    const last = it.next()
    await it.return!()
    expect(await last).toEqual({ done: true, value: undefined })
    expect(await it.next()).toEqual({ done: true, value: undefined })
  })

  it('refuses a bad seed or read length as caller bugs', async () => {
    expect((await caught(() => new NoiseSource({ seed: 1.5 }))).message).toBe(
      'seed: expected an integer, got 1.5',
    )
    expect(await caught(() => new NoiseSource({ seed: 1 }).read(-1))).toBeInstanceOf(RangeError)
  })
})

describe('fault specifications', () => {
  const bad: [unknown, string][] = [
    [{ kind: 'melt' }, 'noise fault /kind: expected one of none, stuck, bias, starve, burst'],
    [null, 'noise fault /kind: expected one of none, stuck, bias, starve, burst'],
    [
      { kind: 'stuck', value: 256 },
      'noise fault /value: Expected integer to be less or equal to 255',
    ],
    [{ kind: 'stuck', value: 1, extra: 1 }, 'noise fault /extra: Unexpected property'],
    [{ kind: 'bias', p: 1 }, 'noise fault /p: Expected number to be less than 1'],
    [
      { kind: 'bias', p: 0.5 },
      'noise fault /p: 0.5 is a fair source, not a bias (use kind "none")',
    ],
    [
      { kind: 'starve', bytesPerSecond: -1 },
      'noise fault /bytesPerSecond: Expected number to be greater or equal to 0',
    ],
    [
      { kind: 'burst', everyMs: 10, lengthMs: 11, value: 0 },
      'noise fault /lengthMs: 11 is longer than the period everyMs 10',
    ],
  ]
  it.each(bad)('%j is refused with ERR_SIM_FAULT_INVALID', async (fault, message) => {
    const err = await caught(() => checkNoiseFault(fault))
    expect(err).toBeInstanceOf(HardwareSimError)
    expect(err.code).toBe('ERR_SIM_FAULT_INVALID')
    expect(err.message).toBe(message)
    const noise = new NoiseSource({ seed: 1 })
    expect((await caught(() => noise.setFault(fault as never))).code).toBe('ERR_SIM_FAULT_INVALID')
    expect(noise.fault).toEqual({ kind: 'none' })
  })

  it('the text form parses every kind', () => {
    expect(parseNoiseFault('none')).toEqual({ kind: 'none' })
    expect(parseNoiseFault('stuck:0x42')).toEqual({ kind: 'stuck', value: 0x42 })
    expect(parseNoiseFault('bias:0.94')).toEqual({ kind: 'bias', p: 0.94 })
    expect(parseNoiseFault('starve:0')).toEqual({ kind: 'starve', bytesPerSecond: 0 })
    expect(parseNoiseFault('burst:1000/0.21/66')).toEqual({
      kind: 'burst',
      everyMs: 1000,
      lengthMs: 0.21,
      value: 66,
    })
  })

  it.each([
    ['stuck', 'noise fault "stuck": stuck takes 1 argument(s)'],
    ['stuck:x', 'noise fault value: "x" is not a number'],
    ['bias:0.5', 'noise fault /p: 0.5 is a fair source, not a bias (use kind "none")'],
    ['hot:1', 'noise fault "hot:1": unknown kind (none, stuck, bias, starve, burst)'],
    ['burst:1:2', 'noise fault "burst:1:2": expected KIND or KIND:ARGS'],
  ])('the text %j is refused: %s', async (text, message) => {
    const err = await caught(() => parseNoiseFault(text))
    expect(err.code).toBe('ERR_SIM_FAULT_INVALID')
    expect(err.message).toBe(message)
  })
})
