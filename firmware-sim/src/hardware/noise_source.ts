/**
 * The emulated hardware RNG: a seeded noise model with injectable faults, read in process
 * (`read`, `paced`, `sampleInput`) or through a FIFO (`serveNoiseFifo`). The agent's
 * `HardwareEntropySource` reads it through its real code path and runs its SP 800-90B health
 * tests on it. HARDWARE.md is normative.
 *
 * The model, per sample (sample i of the source's life, i = 0, 1, …; j = i − `faultSince`):
 *
 * - `none`: one byte of the generator's stream (xoshiro128** words split into 4 bytes, least
 *   significant first).
 * - `stuck`: `value`.
 * - `bias`: 8 words w₀…w₇; bit k (k = 0 least significant) is 1 when w_k < ⌊p·2³²⌋.
 * - `burst`: `value` when j mod E ≥ E − L, else as `none`, with E = round(everyMs · rate /
 *   1000) and L = round(lengthMs · rate / 1000) samples at the nominal rate (at least 1 each).
 * - `starve`: as `none`, but `paced` (and so the stream and the FIFO) deliver only
 *   ⌊bytesPerSecond · t / 1000⌋ samples in the t ms of the source's monotonic clock since the
 *   fault was set; `read` ignores it.
 *
 * The same seed, the same sequence of faults set at the same sample positions, give the same
 * samples, however the reads are cut into chunks.
 *
 * @example
 * ```ts
 * const noise = new NoiseSource({ seed: 7 })
 * const hw = new HardwareEntropySource({ input: noise.sampleInput() })
 * await hw.start()
 * noise.setFault({ kind: 'stuck', value: 0x42 }) // the next block drawn fails the RCT
 * ```
 */
import type { SampleInput } from '../../../agent/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'
import { systemClock } from '../../../platform/src/index.ts'
import { hardwareDefaults } from './defaults.ts'
import type { NoiseFault } from './noise_fault.ts'
import { checkNoiseFault } from './noise_fault.ts'
import { Xoshiro128 } from '../seeded_random.ts'

/** Options of {@link NoiseSource}. */
export interface NoiseSourceOptions {
  /** The seed: any integer (taken modulo 2³²). */
  readonly seed: number
  /** The fault from the start; default `{ kind: 'none' }`. */
  readonly fault?: NoiseFault
  /** Clock for starvation pacing and the stream's waits; default the system clock. */
  readonly clock?: Clock
  /** Nominal rate that maps burst times to sample positions; default 100,000 samples/s. */
  readonly samplesPerSecond?: number
  /** Largest chunk the stream hands out at once; default 4,096. */
  readonly chunkSamples?: number
  /** How long the stream waits before looking again when starved; default 10 ms. */
  readonly tickMs?: number
}

/** Called after every {@link NoiseSource.setFault}. */
export type FaultListener = (fault: NoiseFault) => void

function checkPositive(name: string, v: number, integer: boolean): void {
  if (
    typeof v !== 'number' ||
    !(v > 0) ||
    !Number.isFinite(v) ||
    (integer && !Number.isSafeInteger(v))
  ) {
    throw new RangeError(
      `${name}: expected a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`,
    )
  }
}

/**
 * A seeded 8-bit noise source with switchable faults.
 *
 * @example
 * ```ts
 * const noise = new NoiseSource({ seed: 1, fault: { kind: 'bias', p: 0.94 } })
 * noise.read(4) // Uint8Array(4), mostly 0xff
 * ```
 */
export class NoiseSource {
  readonly seed: number
  readonly samplesPerSecond: number
  readonly chunkSamples: number
  readonly tickMs: number
  /** The clock of starvation pacing and of every wait (the FIFO writer's too). */
  readonly clock: Clock
  readonly #rng: Xoshiro128
  #word = 0
  #wordBytes = 0
  #fault: NoiseFault = Object.freeze({ kind: 'none' })
  #produced = 0
  #faultSince = 0
  #burstEvery = 1
  #burstLength = 0
  #biasThreshold = 0
  #starveSinceMs = 0
  #starveDelivered = 0
  readonly #listeners = new Set<FaultListener>()

  constructor(options: NoiseSourceOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('options: expected an object')
    }
    if (!Number.isSafeInteger(options.seed)) {
      throw new TypeError(`seed: expected an integer, got ${String(options.seed)}`)
    }
    this.seed = options.seed
    this.samplesPerSecond = options.samplesPerSecond ?? hardwareDefaults.samplesPerSecond
    checkPositive('samplesPerSecond', this.samplesPerSecond, false)
    this.chunkSamples = options.chunkSamples ?? hardwareDefaults.chunkSamples
    checkPositive('chunkSamples', this.chunkSamples, true)
    this.tickMs = options.tickMs ?? hardwareDefaults.tickMs
    checkPositive('tickMs', this.tickMs, false)
    this.clock = options.clock ?? systemClock
    this.#rng = new Xoshiro128(options.seed)
    if (options.fault !== undefined) this.setFault(options.fault)
  }

  /** The fault in force. */
  get fault(): NoiseFault {
    return this.#fault
  }

  /** Samples made so far (by `read`, `paced`, the stream and the FIFO alike). */
  get produced(): number {
    return this.#produced
  }

  /** Position of the first sample made under the current fault. */
  get faultSince(): number {
    return this.#faultSince
  }

  /**
   * Switches the fault at once: the next sample made follows it. A burst's period and a
   * starvation allowance start counting here.
   *
   * @throws {HardwareSimError} `ERR_SIM_FAULT_INVALID` for a fault that does not check.
   */
  setFault(fault: NoiseFault): void {
    const f = checkNoiseFault(fault)
    this.#fault = f
    this.#faultSince = this.#produced
    if (f.kind === 'burst') {
      const perMs = this.samplesPerSecond / 1000
      this.#burstEvery = Math.max(1, Math.round(f.everyMs * perMs))
      this.#burstLength = Math.min(this.#burstEvery, Math.max(1, Math.round(f.lengthMs * perMs)))
    } else if (f.kind === 'bias') {
      this.#biasThreshold = Math.floor(f.p * 2 ** 32)
    } else if (f.kind === 'starve') {
      this.#starveSinceMs = this.clock.monotonic()
      this.#starveDelivered = 0
    }
    for (const listener of this.#listeners) listener(f)
  }

  /** Calls `listener` after every fault change; returns an unsubscribe. */
  onFaultChange(listener: FaultListener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /**
   * A burst's length and period in samples (L, E), or undefined when the fault is no burst.
   *
   * @example
   * ```ts
   * new NoiseSource({ seed: 1, samplesPerSecond: 1000, fault: { kind: 'burst', everyMs: 500, lengthMs: 21, value: 7 } }).burstSamples // { length: 21, every: 500 }
   * ```
   */
  get burstSamples(): { readonly length: number; readonly every: number } | undefined {
    if (this.#fault.kind !== 'burst') return undefined
    return { length: this.#burstLength, every: this.#burstEvery }
  }

  /**
   * The next `n` samples, at once (a starvation fault is ignored).
   *
   * @throws {RangeError} unless `n` is an integer ≥ 0.
   */
  read(n: number): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`read: expected an integer ≥ 0, got ${String(n)}`)
    }
    const out = new Uint8Array(n)
    const f = this.#fault
    switch (f.kind) {
      case 'stuck':
        out.fill(f.value)
        break
      case 'bias':
        for (let i = 0; i < n; i++) out[i] = this.#biasedSample()
        break
      case 'burst': {
        const every = this.#burstEvery
        const quietUntil = every - this.#burstLength
        let j = (this.#produced - this.#faultSince) % every
        for (let i = 0; i < n; i++) {
          out[i] = j >= quietUntil ? f.value : this.#fairByte()
          if (++j === every) j = 0
        }
        break
      }
      default:
        for (let i = 0; i < n; i++) out[i] = this.#fairByte()
    }
    this.#produced += n
    return out
  }

  /**
   * The samples a real-time device would have ready now, at most `max`: all `max` unless the
   * source is starved, then what its allowance since the fault was set leaves (maybe none).
   *
   * @throws {RangeError} unless `max` is an integer ≥ 0.
   */
  paced(max: number): Uint8Array {
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(`paced: expected an integer ≥ 0, got ${String(max)}`)
    }
    const f = this.#fault
    if (f.kind !== 'starve') return this.read(max)
    const elapsed = Math.max(0, this.clock.monotonic() - this.#starveSinceMs)
    const allowance = Math.floor((f.bytesPerSecond * elapsed) / 1000) - this.#starveDelivered
    const n = Math.max(0, Math.min(max, allowance))
    this.#starveDelivered += n
    return this.read(n)
  }

  /**
   * The in-process input of the agent's `HardwareEntropySource` (`{ stream }`): each step gives
   * a fresh chunk of at most `chunkSamples` samples as soon as {@link paced} has some, waiting
   * `tickMs` on the clock between looks while starved. It never ends by itself; the reader's
   * `return()` stops it. One reader at a time: readers share the source's sample stream.
   */
  sampleInput(): SampleInput {
    const stream: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => this.#iterator(),
    }
    return { stream }
  }

  #iterator(): AsyncIterator<Uint8Array> {
    let closed = false
    // One controller per wait, so no listener piles up on a long-lived signal.
    let waiting: AbortController | undefined
    const done = (): IteratorResult<Uint8Array> => ({ done: true, value: undefined })
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        for (;;) {
          if (closed) return done()
          const chunk = this.paced(this.chunkSamples)
          if (chunk.length > 0) return { done: false, value: chunk }
          waiting = new AbortController()
          try {
            await this.clock.sleep(this.tickMs, waiting.signal)
          } catch {
            return done()
          } finally {
            waiting = undefined
          }
        }
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        closed = true
        waiting?.abort()
        return done()
      },
    }
  }

  #fairByte(): number {
    if (this.#wordBytes === 0) {
      this.#word = this.#rng.next()
      this.#wordBytes = 4
    }
    const b = this.#word & 0xff
    this.#word >>>= 8
    this.#wordBytes--
    return b
  }

  #biasedSample(): number {
    const t = this.#biasThreshold
    let x = 0
    for (let k = 0; k < 8; k++) if (this.#rng.next() < t) x |= 1 << k
    return x
  }
}
