import { createHash, hkdfSync } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../platform/src/index.ts'
import type { EntropyError, HardwareEntropyOptions } from '../../../agent/src/entropy/index.ts'
import { HardwareEntropySource, rctCutoff } from '../../../agent/src/entropy/index.ts'
import { binomialLogUpperTails } from '../../../agent/src/entropy/_binomial.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { describeEntropySourceContract } from './entropy_source_contract.ts'
import { fairBytes, mulberry32, SeededNoise, toHex, turns, turnsUntil } from './_helpers.ts'

const T0 = 1_700_000_000_000

afterAll(cleanupTempDirs)

/** A hardware source over a seeded generator, with a ManualClock. */
function hwOver(noise: SeededNoise, options: Partial<HardwareEntropyOptions> = {}) {
  const clock = new ManualClock(T0)
  const source = new HardwareEntropySource({
    input: { generate: noise.generate },
    clock,
    ...options,
  })
  return { source, clock }
}

/** Empties the pool; returns the bytes taken. */
function drain(source: HardwareEntropySource): Uint8Array[] {
  const got: Uint8Array[] = []
  while ((source.health().pool?.bytes ?? 0) >= 32 && source.health().state === 'ok') {
    got.push(source.randomBytes(32))
  }
  return got
}

/** Keeps draining until the source fails (the pump reads only while the pool has room). */
async function drainUntilFailed(source: HardwareEntropySource, clock?: ManualClock) {
  await turnsUntil(
    () => {
      drain(source)
      return source.health().state === 'failed'
    },
    { clock, stepMs: clock === undefined ? 0 : 25 },
  )
}

async function startFailure(source: HardwareEntropySource): Promise<EntropyError> {
  return (await source.start().then(
    () => {
      throw new Error('start() resolved')
    },
    (err: unknown) => err,
  )) as EntropyError
}

describeEntropySourceContract('hardware, in-process generator', async () => {
  const noise = new SeededNoise(1)
  const { source } = hwOver(noise)
  return {
    source,
    failureCode: 'ERR_ENTROPY_HEALTH_RCT',
    fail: async () => {
      noise.mode = { kind: 'stuck', value: 0xa7 }
      await drainUntilFailed(source)
    },
  }
})

describeEntropySourceContract('hardware, async iterable', async () => {
  const noise = new SeededNoise(2)
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) yield noise.generate(1000)
  }
  const source = new HardwareEntropySource({
    input: { stream: chunks() },
    clock: new ManualClock(T0),
    name: 'sim-stream',
  })
  return {
    source,
    failureCode: 'ERR_ENTROPY_HEALTH_APT',
    fail: async () => {
      // Value 0 twice in three, never three in a row: the APT fires, the RCT cannot.
      noise.mode = { kind: 'pattern', samples: new Uint8Array([0, 0, 1, 0, 0, 2, 0, 0, 3]) }
      await drainUntilFailed(source)
    },
  }
})

describeEntropySourceContract('hardware, file of recorded samples', async () => {
  const dir = await tempDir('sealwire-entropy-')
  const path = join(dir, 'samples.bin')
  const fair = fairBytes(mulberry32(3), 40_000)
  await writeFile(path, Buffer.concat([fair, new Uint8Array(64).fill(0xa7)]))
  const clock = new ManualClock(T0)
  // Clock steps per turn outrun a loaded thread pool's reads: no starvation by jitter here.
  const source = new HardwareEntropySource({
    input: { path },
    clock,
    name: 'recorded',
    starvationTimeoutMs: 24 * 3600 * 1000,
  })
  return {
    source,
    failureCode: 'ERR_ENTROPY_HEALTH_RCT',
    settle: async (done) => void (await turnsUntil(done, { clock, stepMs: 5, maxTurns: 100_000 })),
    fail: async () => {
      await turnsUntil(
        () => {
          drain(source)
          return source.health().state === 'failed'
        },
        { clock, stepMs: 5, maxTurns: 200_000 },
      )
    },
  }
})

describe('HardwareEntropySource: start-up test', () => {
  it('refuses a stuck source before any output (RCT within C samples)', async () => {
    const noise = new SeededNoise(10)
    noise.mode = { kind: 'stuck', value: 0xa7 }
    const { source } = hwOver(noise)
    const err = await startFailure(source)
    expect(err).toMatchObject({ code: 'ERR_ENTROPY_HEALTH_RCT', latched: true })
    expect(err.message).toContain('cutoff 21')
    const h = source.health()
    expect(h).toMatchObject({ state: 'failed', bytesServed: 0, requestsServed: 0 })
    expect(h.pool).toEqual({ bytes: 0, capacity: 256, blocks: 0 })
    expect(h.tests?.samples).toBe(21)
    expect(() => source.randomBytes(32)).toThrow(expect.objectContaining({ latched: true }))
    expect(noise.produced).toBeLessThanOrEqual(1024)
  })

  it('refuses a biased source in its start-up window (APT), runs of 20 never tripping the RCT', async () => {
    const pattern = new Uint8Array(21)
    pattern[20] = 1 // twenty 0s then a 1: 0 fills 20/21 of the window
    const noise = new SeededNoise(11)
    noise.mode = { kind: 'pattern', samples: pattern }
    const { source } = hwOver(noise)
    const err = await startFailure(source)
    expect(err.code).toBe('ERR_ENTROPY_HEALTH_APT')
    // The 589th 0 of the window: 29 full cycles of 21 (580 zeros), then 9 more.
    expect(err.message).toContain('at sample 617')
    expect(err.message).toContain('589 times in a window of 1024')
    expect(source.health().tests).toMatchObject({ samples: 618, rctMaxRun: 20 })
    expect(source.health().bytesServed).toBe(0)
  })

  it('resolves start() only after 1,024 tested samples and one conditioned block', async () => {
    const noise = new SeededNoise(12)
    const { source } = hwOver(noise, { minEntropyPerSample: 2 })
    await source.start()
    const h = source.health()
    expect(source.samplesPerBlock).toBe(160)
    expect(h.tests!.samples).toBeGreaterThanOrEqual(1024 + 160)
    expect(h.pool!.blocks).toBeGreaterThanOrEqual(1)
    await turnsUntil(() => source.health().pool!.bytes === 256)
    // The reader stops when the pool is full: no samples read ahead.
    expect(source.health().tests!.samples).toBe(1024 + 8 * 160)
    expect(noise.produced).toBe(1024 + 8 * 160)
    await source.stop()
  })
})

describe('HardwareEntropySource: continuous tests and the latch', () => {
  for (const h of [1, 4]) {
    it(`a source stuck after start fails the RCT within C samples (H = ${h})`, async () => {
      const noise = new SeededNoise(20 + h)
      const { source } = hwOver(noise, { minEntropyPerSample: h })
      const failures: EntropyError[] = []
      source.onFailure((err) => failures.push(err))
      await source.start()
      await turnsUntil(() => source.health().pool!.bytes === 256)
      const onset = noise.produced
      const blocksBefore = source.health().pool!.blocks
      noise.mode = { kind: 'stuck', value: 0xa7 }
      await drainUntilFailed(source)
      const health = source.health()
      expect(health.failure?.code).toBe('ERR_ENTROPY_HEALTH_RCT')
      const c = rctCutoff(h)
      expect(health.tests!.samples - onset).toBeLessThanOrEqual(c)
      // No block with a faulty sample reached the pool, and the pool was zeroed.
      expect(health.pool).toMatchObject({ bytes: 0, blocks: blocksBefore })
      expect(failures).toHaveLength(1)
    })
  }

  it('a biased source fails the APT within the windows its bias implies', async () => {
    const p = 0.62
    const noise = new SeededNoise(30)
    const { source } = hwOver(noise)
    await source.start()
    await turnsUntil(() => source.health().pool!.bytes === 256)
    const onset = noise.produced
    noise.mode = { kind: 'biased', value: 0x5a, p }
    await drainUntilFailed(source)
    const health = source.health()
    expect(health.failure?.code).toBe('ERR_ENTROPY_HEALTH_APT')
    const windows = aptWindowsBound(p, 589)
    // +1: the fault may begin in the middle of a window.
    expect(health.tests!.samples - onset).toBeLessThanOrEqual((windows + 1) * 1024)
  })

  it('after the latch: randomBytes throws forever, the listener fired once, starvation adds nothing', async () => {
    const noise = new SeededNoise(31)
    const { source, clock } = hwOver(noise)
    let calls = 0
    source.onFailure(() => calls++)
    await source.start()
    noise.mode = { kind: 'stuck', value: 3 }
    await drainUntilFailed(source)
    noise.mode = { kind: 'silent' }
    clock.advance(60_000)
    await turnsUntil(() => true)
    const codes = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      try {
        source.randomBytes(32)
        codes.add('returned bytes')
      } catch (err) {
        codes.add(`${(err as EntropyError).code} latched=${(err as EntropyError).latched}`)
      }
    }
    expect([...codes]).toEqual(['ERR_ENTROPY_HEALTH_RCT latched=true'])
    expect(calls).toBe(1)
    expect(source.health().failure?.code).toBe('ERR_ENTROPY_HEALTH_RCT')
    expect(source.health().failure?.atMs).toBe(T0)
  })
})

/**
 * Windows within which a source emitting `value` with probability p (else uniform) fails the APT
 * with probability ≥ 1 − 2⁻²⁰: a window fails when its first sample is `value` and the other
 * 1,023 hold at least cutoff − 1 more.
 */
function aptWindowsBound(p: number, cutoff: number): number {
  const pv = p + (1 - p) / 256
  const perWindow = pv * Math.exp(binomialLogUpperTails(1023, pv)[cutoff - 1]!)
  return Math.ceil(Math.log(2 ** -20) / Math.log(1 - perWindow))
}

describe('HardwareEntropySource: starvation (ManualClock)', () => {
  it('latches ERR_ENTROPY_STARVED when the start-up samples do not arrive in time', async () => {
    const noise = new SeededNoise(40)
    noise.mode = { kind: 'silent' }
    const { source, clock } = hwOver(noise, { starvationTimeoutMs: 5_000 })
    let settled = false
    const started = source.start().then(
      () => (settled = true),
      (err: unknown) => {
        settled = true
        throw err
      },
    )
    await turnsUntil(() => clock.pending > 0)
    clock.advance(4_999)
    await turns(10)
    expect(settled).toBe(false)
    expect(source.health().state).toBe('starting')
    clock.advance(1)
    await expect(started).rejects.toMatchObject({ code: 'ERR_ENTROPY_STARVED', latched: true })
    expect(source.health().failure?.message).toBe(
      'the source gave 0 of the 1024 samples needed for the start-up test within 5000 ms',
    )
  })

  it('latches ERR_ENTROPY_STARVED when a block does not arrive in time after start', async () => {
    const noise = new SeededNoise(41)
    const { source, clock } = hwOver(noise)
    const failures: EntropyError[] = []
    source.onFailure((e) => failures.push(e))
    await source.start()
    await turnsUntil(() => source.health().pool!.bytes === 256)
    const onset = noise.produced
    noise.budget = 200 // 200 of the next block's 320 samples, then silence
    drain(source)
    await turnsUntil(() => noise.produced === onset + 200 && clock.pending >= 2)
    clock.advance(9_999)
    await turns(10)
    expect(source.health().state).toBe('ok')
    clock.advance(1)
    await turnsUntil(() => source.health().state === 'failed')
    expect(source.health().failure).toMatchObject({
      code: 'ERR_ENTROPY_STARVED',
      message: 'the source gave 200 of the 320 samples needed for an output block within 10000 ms',
    })
    expect(failures).toHaveLength(1)
    expect(() => source.randomBytes(32)).toThrow(
      expect.objectContaining({ code: 'ERR_ENTROPY_STARVED', latched: true }),
    )
  })

  it('a slow but steady source never starves: the timeout is per unit, not per total', async () => {
    const noise = new SeededNoise(42)
    const clock = new ManualClock(T0)
    let lastAt = -1
    const source = new HardwareEntropySource({
      clock,
      // 32 samples per poll of 25 ms: 1,280 samples/s, a block in about 250 ms.
      input: {
        generate: (n) => {
          if (clock.monotonic() === lastAt) return new Uint8Array(0)
          lastAt = clock.monotonic()
          return noise.generate(Math.min(n, 32))
        },
      },
    })
    await Promise.all([
      source.start(),
      turnsUntil(() => source.health().state !== 'starting', { clock, stepMs: 25 }),
    ])
    // Keep drawing for 60 s of clock time; refills take far less than the 10 s per block.
    while (clock.monotonic() < 60_000) {
      await turnsUntil(() => source.health().pool!.bytes >= 32, { clock, stepMs: 25 })
      source.randomBytes(32)
    }
    expect(source.health().state).toBe('ok')
    await source.stop()
  })

  it('an empty pool refuses with ERR_ENTROPY_STARVED (not latched) and refills', async () => {
    const noise = new SeededNoise(43)
    const { source } = hwOver(noise, { poolBytes: 64 })
    await source.start()
    await turnsUntil(() => source.health().pool!.bytes === 64)
    source.randomBytes(64)
    let err: unknown
    try {
      source.randomBytes(32)
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'ERR_ENTROPY_STARVED', latched: false })
    expect((err as Error).message).toBe(
      'entropy source "hwrng" has 0 of the 32 bytes asked ready; it refills in the background',
    )
    expect(source.health()).toMatchObject({ state: 'ok', requestsRefused: 1 })
    await turnsUntil(() => source.health().pool!.bytes === 64)
    expect(source.randomBytes(32).length).toBe(32)
    expect(() => source.randomBytes(65)).toThrow(RangeError)
    await source.stop()
  })
})

describe('HardwareEntropySource: output is conditioned and mixed', () => {
  const PREFIX = 'sealwire/1 entropy conditioning'
  const INFO = 'sealwire/1 entropy mix'

  function expected(block: Uint8Array, os: Uint8Array): Uint8Array {
    const conditioned = createHash('sha256').update(PREFIX).update(block).digest()
    const ikm = Buffer.concat([conditioned, os])
    return new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), INFO, 32))
  }

  it('equals HKDF-SHA-256(SHA-256(prefix ‖ B samples) ‖ 32 OS bytes), checked with node:crypto', async () => {
    const raw = fairBytes(mulberry32(50), 1024 + 3 * 320)
    let at = 0
    const osBlocks = [0x11, 0x22, 0x33].map((b) => new Uint8Array(32).fill(b))
    let osAt = 0
    const clock = new ManualClock(T0)
    const source = new HardwareEntropySource({
      clock,
      poolBytes: 32,
      input: {
        generate: (n) => {
          const out = raw.slice(at, at + n)
          at += out.length
          return out
        },
      },
      osRandom: (n) => {
        expect(n).toBe(32)
        return osBlocks[osAt++]!.slice()
      },
    })
    await source.start()
    const outs: Uint8Array[] = []
    for (let i = 0; i < 3; i++) {
      await turnsUntil(() => source.health().pool!.bytes === 32, { clock, stepMs: 25 })
      outs.push(source.randomBytes(32))
    }
    for (let i = 0; i < 3; i++) {
      const block = raw.subarray(1024 + i * 320, 1024 + (i + 1) * 320)
      expect(toHex(outs[i]!), `block ${i}`).toBe(toHex(expected(block, osBlocks[i]!)))
      // The output is not a copy of any raw window.
      expect(toHex(raw)).not.toContain(toHex(outs[i]!))
    }
    await source.stop()
  })

  it('the same samples with other OS bytes give other output', async () => {
    const outputs = []
    for (const fill of [1, 2]) {
      const noise = new SeededNoise(51)
      const { source } = hwOver(noise, {
        poolBytes: 32,
        osRandom: (n) => new Uint8Array(n).fill(fill),
      })
      await source.start()
      outputs.push(toHex(source.randomBytes(32)))
      await source.stop()
    }
    expect(outputs[0]).not.toBe(outputs[1])
  })
})

describe('HardwareEntropySource: sources that cannot be used', () => {
  it('a missing path latches ERR_ENTROPY_SOURCE at start', async () => {
    const dir = await tempDir('sealwire-entropy-')
    const source = new HardwareEntropySource({
      input: { path: join(dir, 'no-such-rng') },
      clock: new ManualClock(T0),
    })
    const err = await startFailure(source)
    expect(err).toMatchObject({ code: 'ERR_ENTROPY_SOURCE', latched: true })
    expect(err.message).toMatch(/cannot open the sample device ".*no-such-rng": ENOENT/)
  })

  it('a directory is refused', async () => {
    const dir = await tempDir('sealwire-entropy-')
    await mkdir(join(dir, 'd'))
    const source = new HardwareEntropySource({
      input: { path: join(dir, 'd') },
      clock: new ManualClock(T0),
    })
    const err = await startFailure(source)
    expect(err.code).toBe('ERR_ENTROPY_SOURCE')
    expect(err.message).toMatch(/is not a character device, FIFO or file/)
  })

  it('a generator that throws, or gives more than asked, latches ERR_ENTROPY_SOURCE', async () => {
    const boom = new Error('simulated fault')
    const a = new HardwareEntropySource({
      input: {
        generate: () => {
          throw boom
        },
      },
      clock: new ManualClock(T0),
    })
    const errA = await startFailure(a)
    expect(errA).toMatchObject({ code: 'ERR_ENTROPY_SOURCE' })
    expect(errA.message).toContain('the sample generator threw')
    const b = new HardwareEntropySource({
      input: { generate: (n) => new Uint8Array(n + 1) },
      clock: new ManualClock(T0),
    })
    expect((await startFailure(b)).message).toContain('more than the 1024 asked')
  })

  it('the end of a sample stream latches ERR_ENTROPY_SOURCE', async () => {
    async function* short(): AsyncGenerator<Uint8Array> {
      yield fairBytes(mulberry32(60), 500)
    }
    const source = new HardwareEntropySource({
      input: { stream: short() },
      clock: new ManualClock(T0),
    })
    expect((await startFailure(source)).message).toContain('the sample stream ended')
  })

  it('stop() during start rejects start() with ERR_ENTROPY_NOT_READY and latches nothing', async () => {
    const noise = new SeededNoise(61)
    noise.mode = { kind: 'silent' }
    const { source, clock } = hwOver(noise)
    let calls = 0
    source.onFailure(() => calls++)
    const started = source.start()
    await turnsUntil(() => clock.pending > 0)
    await source.stop()
    await expect(started).rejects.toMatchObject({ code: 'ERR_ENTROPY_NOT_READY' })
    clock.advance(60_000)
    await turnsUntil(() => true)
    expect(source.health().state).toBe('stopped')
    expect(calls).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('rejects bad options with RangeError or TypeError', () => {
    const input = { generate: (n: number) => new Uint8Array(n) }
    for (const h of [0, -1, 8.5, NaN]) {
      expect(() => new HardwareEntropySource({ input, minEntropyPerSample: h })).toThrow(RangeError)
    }
    for (const poolBytes of [0, 16, 33, 1.5]) {
      expect(() => new HardwareEntropySource({ input, poolBytes })).toThrow(RangeError)
    }
    expect(() => new HardwareEntropySource({ input, starvationTimeoutMs: 0 })).toThrow(RangeError)
    expect(() => new HardwareEntropySource({ input: {} as never })).toThrow(TypeError)
    expect(() => new HardwareEntropySource({ input: { path: '' } })).toThrow(TypeError)
  })
})

describe('HardwareEntropySource: no sample or output bytes in messages', () => {
  it('no error or health text carries a sample value or output bytes', async () => {
    const texts: string[] = []
    const outputs: string[] = []
    const stuck = 0xa7
    // A latched RCT failure after some output.
    const noise = new SeededNoise(70)
    const { source } = hwOver(noise)
    source.onFailure((err) => texts.push(err.message))
    await source.start()
    for (const b of drain(source)) outputs.push(toHex(b))
    noise.mode = { kind: 'stuck', value: stuck }
    await drainUntilFailed(source)
    for (const fn of [() => source.randomBytes(32)]) {
      try {
        fn()
      } catch (err) {
        texts.push((err as Error).message, String(err), (err as Error).stack ?? '')
      }
    }
    texts.push(JSON.stringify(source.health()))
    // An APT failure on a biased pattern, and a pool-empty refusal.
    const apt = new SeededNoise(71)
    apt.mode = { kind: 'pattern', samples: new Uint8Array([stuck, stuck, 1, stuck, stuck, 2]) }
    const b = hwOver(apt).source
    texts.push((await startFailure(b)).message, JSON.stringify(b.health()))
    const c = hwOver(new SeededNoise(72), { poolBytes: 32 }).source
    await c.start()
    outputs.push(toHex(c.randomBytes(32)))
    try {
      c.randomBytes(32)
    } catch (err) {
      texts.push((err as Error).message)
    }
    await c.stop()
    expect(texts.length).toBeGreaterThanOrEqual(6)
    for (const text of texts) {
      expect(text).not.toMatch(/\b(167|0xa7|a7)\b/i)
      expect(text).not.toMatch(/[0-9a-f]{16,}/i)
      for (const out of outputs) expect(text).not.toContain(out.slice(0, 8))
    }
  })
})
