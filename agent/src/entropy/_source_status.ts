/**
 * The lifecycle shared by every entropy source: state, the latched failure, failure listeners
 * (each called exactly once), request counters and the refusal errors.
 */
import type {
  EntropyFailure,
  EntropyFailureListener,
  EntropyHealth,
  EntropyPoolStats,
  EntropyState,
} from './entropy_source.ts'
import { EntropyError } from './errors.ts'
import type { HealthTestStats } from './health_tester.ts'

export class SourceStatus {
  readonly #name: string
  readonly #now: () => number
  #state: EntropyState = 'starting'
  #failure: EntropyFailure | null = null
  #listeners = new Set<EntropyFailureListener>()
  #bytesServed = 0
  #requestsServed = 0
  #requestsRefused = 0

  constructor(name: string, now: () => number) {
    this.#name = name
    this.#now = now
  }

  get state(): EntropyState {
    return this.#state
  }

  markOk(): void {
    if (this.#state === 'starting') this.#state = 'ok'
  }

  markStopped(): void {
    if (this.#state !== 'failed') this.#state = 'stopped'
  }

  /** Latches `error` (the first failure wins) and calls each listener once. */
  latch(error: EntropyError): void {
    if (this.#state === 'failed') return
    this.#state = 'failed'
    this.#failure = Object.freeze({ code: error.code, message: error.message, atMs: this.#now() })
    const listeners = [...this.#listeners]
    this.#listeners.clear()
    for (const listener of listeners) callQuietly(listener, error)
  }

  onFailure(listener: EntropyFailureListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener: expected a function')
    if (this.#state === 'failed') {
      callQuietly(listener, this.latchedError())
      return () => undefined
    }
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** A new error repeating the latched failure (each throw gets its own stack). */
  latchedError(): EntropyError {
    const f = this.#failure!
    return new EntropyError(f.code, `entropy source "${this.#name}" has failed: ${f.message}`, {
      latched: true,
    })
  }

  /** The error for a request while not `'ok'`, counted as refused. */
  refusal(): EntropyError {
    this.#requestsRefused++
    return this.stateError()
  }

  /** The error that describes the current state when it is not `'ok'`. */
  stateError(): EntropyError {
    switch (this.#state) {
      case 'failed':
        return this.latchedError()
      case 'stopped':
        return new EntropyError(
          'ERR_ENTROPY_NOT_READY',
          `entropy source "${this.#name}" is stopped`,
        )
      default:
        return new EntropyError(
          'ERR_ENTROPY_NOT_READY',
          `entropy source "${this.#name}" is not started (start() has not resolved)`,
        )
    }
  }

  /** Counts a request refused for another reason (an empty pool). */
  countRefused(): void {
    this.#requestsRefused++
  }

  served(n: number): void {
    this.#bytesServed += n
    this.#requestsServed++
  }

  health(pool: EntropyPoolStats | null, tests: HealthTestStats | null): EntropyHealth {
    return Object.freeze({
      name: this.#name,
      state: this.#state,
      failure: this.#failure,
      bytesServed: this.#bytesServed,
      requestsServed: this.#requestsServed,
      requestsRefused: this.#requestsRefused,
      pool: pool === null ? null : Object.freeze({ ...pool }),
      tests,
    })
  }
}

function callQuietly(listener: EntropyFailureListener, error: EntropyError): void {
  try {
    listener(error)
  } catch {
    // A listener's own bug must not undo or interrupt the latch.
  }
}

/** Checks a request length: an integer in [0, max]. */
export function checkRequestLength(n: number, max: number): void {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new RangeError(`randomBytes: n must be an integer in [0, ${max}], got ${String(n)}`)
  }
}
