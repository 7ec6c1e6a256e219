/**
 * The default entropy source: the operating system's CSPRNG through WebCrypto
 * `crypto.getRandomValues` (the same call on Node and Bun; on Linux it reads `getrandom(2)`).
 * It runs no health tests of its own (the kernel seeds and reseeds it) and is always healthy
 * once started; it fails only if the runtime has no `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * const entropy = new OsEntropySource()
 * await entropy.start()
 * entropy.randomBytes(32)
 * ```
 */
import type { Clock } from '../../../platform/src/index.ts'
import { systemClock } from '../../../platform/src/index.ts'
import { checkRequestLength, SourceStatus } from './_source_status.ts'
import type { EntropyFailureListener, EntropyHealth, EntropySource } from './entropy_source.ts'
import { EntropyError } from './errors.ts'

/** `getRandomValues` fills at most this many bytes per call (WebCrypto's quota). */
const GET_RANDOM_VALUES_MAX = 65_536

/** Largest single request of the OS source. */
const OS_MAX_REQUEST = 1 << 20

/** Options of {@link OsEntropySource}. */
export interface OsEntropyOptions {
  /** Name in metrics and logs; default `os`. */
  readonly name?: string
  /** Clock for the failure timestamp; default the system clock. */
  readonly clock?: Clock
}

/**
 * The OS CSPRNG as an {@link EntropySource}.
 *
 * @example
 * ```ts
 * const os = new OsEntropySource()
 * await os.start()
 * os.health().state // 'ok'
 * ```
 */
export class OsEntropySource implements EntropySource {
  readonly name: string
  readonly maxRequestBytes: number = OS_MAX_REQUEST
  readonly #status: SourceStatus
  #started: Promise<void> | undefined

  constructor(options: OsEntropyOptions = {}) {
    this.name = options.name ?? 'os'
    const clock = options.clock ?? systemClock
    this.#status = new SourceStatus(this.name, () => clock.now())
  }

  start(): Promise<void> {
    const state = this.#status.state
    if (state === 'stopped' || state === 'failed') return Promise.reject(this.#status.stateError())
    this.#started ??= this.#start()
    return this.#started
  }

  async #start(): Promise<void> {
    if (typeof globalThis.crypto?.getRandomValues !== 'function') {
      this.#status.latch(
        new EntropyError('ERR_ENTROPY_SOURCE', 'this runtime has no crypto.getRandomValues', {
          latched: true,
        }),
      )
      throw this.#status.latchedError()
    }
    this.#status.markOk()
  }

  randomBytes(n: number): Uint8Array {
    checkRequestLength(n, this.maxRequestBytes)
    if (this.#status.state !== 'ok') throw this.#status.refusal()
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += GET_RANDOM_VALUES_MAX) {
      globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + GET_RANDOM_VALUES_MAX)))
    }
    this.#status.served(n)
    return out
  }

  health(): EntropyHealth {
    return this.#status.health(null, null)
  }

  onFailure(listener: EntropyFailureListener): () => void {
    return this.#status.onFailure(listener)
  }

  async stop(): Promise<void> {
    this.#status.markStopped()
  }
}
