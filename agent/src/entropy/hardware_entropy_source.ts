/**
 * A hardware entropy source with SP 800-90B health tests, conditioning and OS mixing.
 *
 * Pipeline, run in the background while the ready-output pool has room:
 *
 * 1. Read raw 8-bit samples from the {@link SampleInput} (device, FIFO, generator, stream).
 * 2. Run every sample through the Repetition Count and Adaptive Proportion tests
 *    ({@link HealthTester}). The first 1,024 samples are the start-up test (SP 800-90B §4.3 (10))
 *    and are discarded; `start()` resolves only after they pass and the first block is ready.
 * 3. Condition B = ⌈320 / H⌉ tested samples into 32 bytes with SHA-256 ({@link conditionSamples}).
 * 4. Mix the block with 32 bytes of the OS CSPRNG through HKDF-SHA-256 ({@link mixWithOs}) and
 *    add the result to the pool (default 256 bytes).
 *
 * `randomBytes(n)` takes bytes from the pool synchronously and wakes the reader. An empty pool
 * throws `ERR_ENTROPY_STARVED` (not latched) instead of blocking: the agent then refuses to start
 * an epoch and tries again later.
 *
 * A failure latches: a health-test failure (`ERR_ENTROPY_HEALTH_RCT`/`_APT`), a source that
 * cannot be read (`ERR_ENTROPY_SOURCE`), or one that delivers too slowly: while the pool wants
 * refilling, each unit (the 1,024 start-up samples, or one block's B samples) must arrive within
 * `starvationTimeoutMs` on the injected clock (`ERR_ENTROPY_STARVED`, latched). Then the pool and
 * partial block are zeroed, reading stops, listeners are called once, and every later request
 * throws. There is no fallback to the OS source.
 *
 * Reading pauses while the pool is full, so the tests run on every sample read, not on samples
 * the device produces meanwhile.
 *
 * @example
 * ```ts
 * const hw = new HardwareEntropySource({ input: { path: '/dev/hwrng' }, minEntropyPerSample: 1 })
 * hw.onFailure((err) => alarm(err.code))
 * await hw.start()
 * const cek = hw.randomBytes(32)
 * ```
 */
import type { Clock } from '../../../platform/src/index.ts'
import { systemClock } from '../../../platform/src/index.ts'
import type { RandomSource } from '../../../envelope/src/index.ts'
import { checkRequestLength, SourceStatus } from './_source_status.ts'
import { BLOCK_BYTES, conditionSamples, samplesPerBlock } from './conditioning.ts'
import { entropyDefaults } from './defaults.ts'
import type { EntropyFailureListener, EntropyHealth, EntropySource } from './entropy_source.ts'
import { EntropyError } from './errors.ts'
import { HealthTester } from './health_tester.ts'
import { mixWithOs } from './mixing.ts'
import type { SampleFeed } from './_feed.ts'
import type { SampleInput } from './sample_feed.ts'
import { checkSampleInput, openSampleFeed } from './sample_feed.ts'

/** Options of {@link HardwareEntropySource}. */
export interface HardwareEntropyOptions {
  /** Where the raw 8-bit samples come from. */
  readonly input: SampleInput
  /** Name in metrics and logs; default `hwrng`. */
  readonly name?: string
  /** Claimed min-entropy H per sample in bits, in (0, 8]; default 1. Sets the cutoffs and B. */
  readonly minEntropyPerSample?: number
  /** Ready-output pool in bytes, a multiple of 32 (≥ 32); default 256. The largest request. */
  readonly poolBytes?: number
  /** Time allowed for each unit of samples while output is wanted; default 10,000 ms. */
  readonly starvationTimeoutMs?: number
  /** Wait before reading again when the input has no samples; default 25 ms. */
  readonly pollIntervalMs?: number
  /** Largest single read from the input, in samples; default 4,096. */
  readonly readChunkSamples?: number
  /** Clock for the starvation timeout, polling and failure times; default the system clock. */
  readonly clock?: Clock
  /**
   * Replaces the OS CSPRNG in the mixing step. **For tests and vectors only**: a device never
   * sets it.
   */
  readonly osRandom?: RandomSource
}

function checkPositiveInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`${name}: expected an integer ≥ ${min}, got ${String(v)}`)
  }
}

const defaultOsRandom: RandomSource = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n))

/**
 * Raw hardware samples, health-tested, conditioned and mixed with the OS CSPRNG.
 *
 * @example
 * ```ts
 * const hw = new HardwareEntropySource({ input: { generate: (n) => noise(n) }, clock })
 * await hw.start()
 * hw.health().tests?.rctCutoff // 21
 * ```
 */
export class HardwareEntropySource implements EntropySource {
  readonly name: string
  readonly maxRequestBytes: number
  /** Samples per conditioned block: ⌈320 / H⌉. */
  readonly samplesPerBlock: number

  readonly #input: SampleInput
  readonly #clock: Clock
  readonly #osRandom: RandomSource
  readonly #starvationTimeoutMs: number
  readonly #pollIntervalMs: number
  readonly #readChunkSamples: number
  readonly #status: SourceStatus
  readonly #tester: HealthTester
  readonly #pool: Uint8Array
  #poolLen = 0
  readonly #block: Uint8Array
  #blockLen = 0
  #blocks = 0
  #startupLeft: number = entropyDefaults.startupSamples
  #feed: SampleFeed | undefined
  #started: Promise<void> | undefined
  readonly #halt = new AbortController()
  #wakePump: (() => void) | undefined
  #watchdog: AbortController | undefined
  #ready: { resolve: () => void; reject: (err: EntropyError) => void } | undefined

  constructor(options: HardwareEntropyOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('options: expected an object')
    }
    checkSampleInput(options.input)
    this.#input = options.input
    this.name = options.name ?? 'hwrng'
    this.#clock = options.clock ?? systemClock
    this.#osRandom = options.osRandom ?? defaultOsRandom
    const h = options.minEntropyPerSample ?? entropyDefaults.minEntropyPerSample
    this.#tester = new HealthTester({ minEntropyPerSample: h })
    this.samplesPerBlock = samplesPerBlock(h)
    const poolBytes = options.poolBytes ?? entropyDefaults.poolBytes
    checkPositiveInt('poolBytes', poolBytes, BLOCK_BYTES)
    if (poolBytes % BLOCK_BYTES !== 0) {
      throw new RangeError(`poolBytes: expected a multiple of ${BLOCK_BYTES}, got ${poolBytes}`)
    }
    this.#starvationTimeoutMs = options.starvationTimeoutMs ?? entropyDefaults.starvationTimeoutMs
    checkPositiveInt('starvationTimeoutMs', this.#starvationTimeoutMs, 1)
    this.#pollIntervalMs = options.pollIntervalMs ?? entropyDefaults.pollIntervalMs
    checkPositiveInt('pollIntervalMs', this.#pollIntervalMs, 1)
    this.#readChunkSamples = options.readChunkSamples ?? entropyDefaults.readChunkSamples
    checkPositiveInt('readChunkSamples', this.#readChunkSamples, 1)
    this.maxRequestBytes = poolBytes
    this.#pool = new Uint8Array(poolBytes)
    this.#block = new Uint8Array(this.samplesPerBlock)
    this.#status = new SourceStatus(this.name, () => this.#clock.now())
  }

  start(): Promise<void> {
    const state = this.#status.state
    if (state === 'stopped' || state === 'failed') return Promise.reject(this.#status.stateError())
    this.#started ??= this.#start()
    return this.#started
  }

  async #start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => (this.#ready = { resolve, reject }))
    // The caller handles the rejection through start(); this only keeps a failure that lands
    // while the open below is still pending from being reported as unhandled.
    ready.catch(() => undefined)
    // Starvation covers the open too: a path that hangs is as useless as one that is silent.
    this.#armWatchdog('the start-up test', () => 0, entropyDefaults.startupSamples)
    try {
      const feed = await openSampleFeed(this.#input, {
        clock: this.#clock,
        pollIntervalMs: this.#pollIntervalMs,
        readChunkSamples: this.#readChunkSamples,
      })
      if (this.#halt.signal.aborted) {
        await feed.close()
      } else {
        this.#feed = feed
        void this.#pump(feed)
      }
    } catch (err) {
      this.#fail(err)
    }
    return ready
  }

  randomBytes(n: number): Uint8Array {
    checkRequestLength(n, this.maxRequestBytes)
    if (this.#status.state !== 'ok') throw this.#status.refusal()
    if (n > this.#poolLen) {
      this.#status.countRefused()
      throw new EntropyError(
        'ERR_ENTROPY_STARVED',
        `entropy source "${this.name}" has ${this.#poolLen} of the ${n} bytes asked ready; ` +
          'it refills in the background',
      )
    }
    const from = this.#poolLen - n
    const out = this.#pool.slice(from, this.#poolLen)
    this.#pool.fill(0, from, this.#poolLen)
    this.#poolLen = from
    this.#status.served(n)
    this.#wakePump?.()
    return out
  }

  health(): EntropyHealth {
    return this.#status.health(
      { bytes: this.#poolLen, capacity: this.#pool.length, blocks: this.#blocks },
      this.#tester.stats(),
    )
  }

  onFailure(listener: EntropyFailureListener): () => void {
    return this.#status.onFailure(listener)
  }

  async stop(): Promise<void> {
    this.#status.markStopped()
    this.#settleReady(this.#status.stateError())
    await this.#haltAll()
  }

  /** Reads, tests, conditions and mixes until halted; any error latches. */
  async #pump(feed: SampleFeed): Promise<void> {
    try {
      while (!this.#halt.signal.aborted) {
        if (this.#blockLen === 0 && this.#startupLeft === 0) {
          if (this.#poolLen + BLOCK_BYTES > this.#pool.length) {
            await this.#poolHasRoom()
            continue
          }
          this.#armWatchdog('an output block', () => this.#blockLen, this.samplesPerBlock)
        }
        const need =
          this.#startupLeft > 0 ? this.#startupLeft : this.samplesPerBlock - this.#blockLen
        const chunk = await this.#readUnlessHalted(feed, need)
        if (chunk === undefined) return
        this.#absorb(chunk)
      }
    } catch (err) {
      this.#fail(err)
    }
  }

  #absorb(chunk: Uint8Array): void {
    try {
      const failure = this.#tester.test(chunk)
      if (failure !== null) {
        this.#fail(this.#tester.errorFor(failure))
        return
      }
      if (this.#startupLeft > 0) {
        // Start-up samples are tested and discarded.
        this.#startupLeft -= chunk.length
        if (this.#startupLeft === 0) this.#disarmWatchdog()
        return
      }
      this.#block.set(chunk, this.#blockLen)
      this.#blockLen += chunk.length
      if (this.#blockLen === this.samplesPerBlock) this.#emitBlock()
    } finally {
      chunk.fill(0)
    }
  }

  #emitBlock(): void {
    this.#disarmWatchdog()
    const conditioned = conditionSamples(this.#block)
    this.#block.fill(0)
    this.#blockLen = 0
    const os = this.#osRandom(BLOCK_BYTES)
    if (!(os instanceof Uint8Array) || os.length !== BLOCK_BYTES) {
      conditioned.fill(0)
      throw new EntropyError('ERR_ENTROPY_SOURCE', 'the OS random source did not give 32 bytes', {
        latched: true,
      })
    }
    const mixed = mixWithOs(conditioned, os)
    conditioned.fill(0)
    os.fill(0)
    this.#pool.set(mixed, this.#poolLen)
    mixed.fill(0)
    this.#poolLen += BLOCK_BYTES
    this.#blocks++
    if (this.#status.state === 'starting') {
      this.#status.markOk()
      this.#settleReady()
    }
  }

  #readUnlessHalted(feed: SampleFeed, max: number): Promise<Uint8Array | undefined> {
    const signal = this.#halt.signal
    return new Promise((resolve, reject) => {
      if (signal.aborted) return resolve(undefined)
      const onHalt = (): void => resolve(undefined)
      signal.addEventListener('abort', onHalt, { once: true })
      feed.read(max).then(
        (chunk) => {
          signal.removeEventListener('abort', onHalt)
          if (signal.aborted || chunk.length === 0) {
            chunk.fill(0)
            resolve(undefined)
          } else {
            resolve(chunk)
          }
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onHalt)
          reject(err)
        },
      )
    })
  }

  #poolHasRoom(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakePump = () => {
        this.#wakePump = undefined
        resolve()
      }
      if (this.#halt.signal.aborted) this.#wakePump()
    })
  }

  #armWatchdog(unit: string, got: () => number, need: number): void {
    this.#disarmWatchdog()
    const watchdog = new AbortController()
    this.#watchdog = watchdog
    this.#clock.sleep(this.#starvationTimeoutMs, watchdog.signal).then(
      () => {
        if (this.#watchdog !== watchdog) return
        const have = this.#startupLeft > 0 ? need - this.#startupLeft : got()
        this.#fail(
          new EntropyError(
            'ERR_ENTROPY_STARVED',
            `the source gave ${have} of the ${need} samples needed for ${unit} within ` +
              `${this.#starvationTimeoutMs} ms`,
            { latched: true },
          ),
        )
      },
      () => undefined,
    )
  }

  #disarmWatchdog(): void {
    this.#watchdog?.abort()
    this.#watchdog = undefined
  }

  /** Latches `err` (wrapped as `ERR_ENTROPY_SOURCE` unless it is ours) and stops everything. */
  #fail(err: unknown): void {
    const error =
      err instanceof EntropyError && err.latched
        ? err
        : new EntropyError('ERR_ENTROPY_SOURCE', 'the entropy source failed unexpectedly', {
            cause: err,
            latched: true,
          })
    if (this.#status.state === 'stopped') return
    this.#status.latch(error)
    this.#settleReady(this.#status.latchedError())
    void this.#haltAll()
  }

  #settleReady(error?: EntropyError): void {
    const ready = this.#ready
    if (ready === undefined) return
    this.#ready = undefined
    if (error === undefined) ready.resolve()
    else ready.reject(error)
  }

  async #haltAll(): Promise<void> {
    this.#halt.abort()
    this.#disarmWatchdog()
    this.#wakePump?.()
    this.#pool.fill(0)
    this.#poolLen = 0
    this.#block.fill(0)
    this.#blockLen = 0
    await this.#feed?.close().catch(() => undefined)
  }
}
