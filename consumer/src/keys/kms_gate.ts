/**
 * The consumer's way to KMS `Decrypt`: kms-client's `kmsUnwrap` behind four guards, so a burst of
 * new epochs stays inside the account's quota and a burst of one epoch's messages costs one call.
 *
 * 1. **Single flight per wrapped key**: concurrent unwraps of the same (kid, wrapped CEK) share
 *    one call. Each caller gets its own copy of the CEK (the envelope's `Opener` zeroes the one it
 *    is given); the shared one is zeroed once the last caller has copied it.
 * 2. **Client-side rate limit**: an {@link AdaptiveRateLimiter} below the quota (default 400/s of
 *    the 500/s RSA `Decrypt` quota), halved on throttling answers.
 * 3. **Bounded concurrency**: at most `maxConcurrent` calls in flight, and no more than the
 *    current rate allows while throttled (kms-client's own retries do not pass the limiter).
 * 4. **Throttling is not an outage**: kms-client retries throttling, network errors and timeouts
 *    with full-jitter backoff (its one policy); when it gives up on *throttling* (KMS answered:
 *    it is there, only busy), the gate waits for the limiter and tries again, for up to
 *    `throttleRetryMs`. Anything else passes through: the opaque `DecryptionFailedError`, and
 *    `KmsError` (the `Opener` reports it as `ERR_UNWRAP_UNAVAILABLE`; the consumer dead-letters
 *    the message as `kms-unavailable`, replayable).
 *
 * @example
 * ```ts
 * const unwrap = gatedUnwrap({ unwrap: kmsUnwrap({ session, keys }), limiter, maxConcurrent: 32, throttleRetryMs: 60_000 })
 * const opener = new Opener({ unwrap, pinIds })
 * ```
 */
import { toHex } from '../../../envelope/src/index.ts'
import type { Unwrap } from '../../../envelope/src/index.ts'
import { KmsError } from '../../../kms-client/src/index.ts'
import { fullJitterDelay, systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'
import type { AdaptiveRateLimiter } from './rate_limiter.ts'

/** The names KMS (and the SDK) use for "too many requests". */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
])

/**
 * True for a throttling answer: an SDK error (as kms-client's retry events carry it) or a
 * `KmsError` whose retries were spent on one.
 *
 * @example
 * ```ts
 * isThrottling(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })) // true
 * ```
 */
export function isThrottling(err: unknown): boolean {
  if (err instanceof KmsError) return err.awsCode !== undefined && THROTTLING_NAMES.has(err.awsCode)
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } }
  return (
    (typeof e.name === 'string' && THROTTLING_NAMES.has(e.name)) ||
    e.$metadata?.httpStatusCode === 429
  )
}

/** Options of {@link gatedUnwrap}. */
export interface KmsGateOptions {
  /** The unwrap to guard: kms-client's `kmsUnwrap`. */
  readonly unwrap: Unwrap
  readonly limiter: AdaptiveRateLimiter
  /** Most unwraps in flight at once. */
  readonly maxConcurrent: number
  /** How long the gate keeps retrying an unwrap that KMS keeps throttling, in ms. */
  readonly throttleRetryMs: number
  /** Called for every throttling answer that reaches the gate (kms-client's retries spent). */
  readonly onThrottled?: (() => void) | undefined
  /** Aborts waits for the limiter and between retries (the consumer is stopping). */
  readonly signal?: AbortSignal | undefined
  readonly clock?: Clock | undefined
  readonly random?: (() => number) | undefined
}

/** Counters of a gate. */
export interface KmsGateStats {
  /** Unwraps that went to KMS (after coalescing). */
  readonly calls: number
  /** Unwraps that joined one already in flight. */
  readonly coalesced: number
  /** Times the gate tried again after kms-client gave up on throttling. */
  readonly throttleRetries: number
}

/** The envelope's `Unwrap`, with counters. */
export type GatedUnwrap = Unwrap & { stats(): KmsGateStats }

interface Flight {
  readonly promise: Promise<Uint8Array>
  /** Callers that still have to copy the CEK. */
  waiters: number
}

/**
 * Guards `options.unwrap` (see the module doc).
 *
 * @example
 * ```ts
 * const unwrap = gatedUnwrap({ unwrap: inner, limiter: new AdaptiveRateLimiter({ perSecond: 400 }), maxConcurrent: 32, throttleRetryMs: 60_000 })
 * ```
 */
export function gatedUnwrap(options: KmsGateOptions): GatedUnwrap {
  const { limiter, throttleRetryMs, signal } = options
  if (!Number.isSafeInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
    throw new RangeError('maxConcurrent: expected a positive integer')
  }
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const flights = new Map<string, Flight>()
  const counts = { calls: 0, coalesced: 0, throttleRetries: 0 }
  let running = 0
  const queue: (() => void)[] = []

  // While throttled, fewer calls at once too: kms-client's own retries do not pass the limiter.
  const limit = (): number => Math.max(1, Math.min(options.maxConcurrent, Math.ceil(limiter.rate)))

  async function slot(): Promise<void> {
    while (running >= limit()) await new Promise<void>((resolve) => queue.push(resolve))
    running++
  }

  function release(): void {
    running--
    queue.shift()?.()
  }

  async function call(wrapped: Uint8Array, kid: Uint8Array): Promise<Uint8Array> {
    counts.calls++
    const started = clock.monotonic()
    for (let attempt = 0; ; attempt++) {
      await limiter.take(signal)
      await slot()
      try {
        const cek = await options.unwrap(wrapped, kid)
        limiter.succeeded()
        return cek
      } catch (err) {
        if (!isThrottling(err)) throw err
        limiter.throttled()
        options.onThrottled?.()
        if (clock.monotonic() - started >= throttleRetryMs) throw err
      } finally {
        release()
      }
      counts.throttleRetries++
      await clock.sleep(
        fullJitterDelay(Math.min(attempt, 10), { initialMs: 100, maxMs: 2_000 }, random),
        signal,
      )
    }
  }

  async function unwrap(wrapped: Uint8Array, kid: Uint8Array): Promise<Uint8Array> {
    if (!(wrapped instanceof Uint8Array) || !(kid instanceof Uint8Array)) {
      throw new TypeError('unwrap: wrapped and kid must be Uint8Array')
    }
    // The whole wrapped key, not a hash prefix: a caller must never join another key's flight.
    const key = `${toHex(kid)}:${toHex(wrapped)}`
    let flight = flights.get(key)
    if (flight) {
      counts.coalesced++
    } else {
      const settled = (): void => {
        flights.delete(key)
      }
      // The map entry goes first thing on settling, before any caller's continuation runs, so
      // no caller can join after the last copy has been taken and the CEK zeroed.
      const promise = call(wrapped, kid).then(
        (cek) => (settled(), cek),
        (err: unknown) => {
          settled()
          throw err
        },
      )
      flight = { promise, waiters: 0 }
      flights.set(key, flight)
    }
    const mine = flight
    mine.waiters++
    let cek: Uint8Array
    try {
      cek = await mine.promise
    } finally {
      mine.waiters--
    }
    // A copy of its own: `Buffer.prototype.slice` is a view, so zeroing the shared CEK below
    // would zero a Buffer caller's "copy" too (an unwrap may return a Buffer).
    const copy = new Uint8Array(cek)
    if (mine.waiters === 0) cek.fill(0)
    return copy
  }

  return Object.assign(unwrap, { stats: (): KmsGateStats => Object.freeze({ ...counts }) })
}
