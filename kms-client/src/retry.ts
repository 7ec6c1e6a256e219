/**
 * The one retry policy of every KMS call (STYLE §4.4: the policy is one config object): up to
 * `maxRetries` retries after the first attempt, each after a full-jitter backoff (platform's
 * `fullJitterDelay`: uniform in `[0, min(maxMs, initialMs · 2^retry))`), so a fleet of consumers
 * throttled together does not retry in lock-step. Which errors are worth a retry is the caller's
 * predicate (see `isRetryableKmsError`). Time and randomness are injected: tests pass a clock whose
 * `sleep` returns at once and never wait on real time.
 *
 * @example
 * ```ts
 * const out = await withRetry(() => send(), isRetryableKmsError, { maxRetries: 4, initialMs: 200, maxMs: 5_000 })
 * ```
 */
import { fullJitterDelay, systemClock } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'

/** The retry policy. */
export interface RetryConfig {
  /** Retries after the first attempt; 0 disables retrying. */
  readonly maxRetries: number
  /** Cap of the first backoff, in milliseconds. */
  readonly initialMs: number
  /** No backoff is longer than this, in milliseconds. */
  readonly maxMs: number
}

/** What {@link withRetry} reads the time and randomness from, and how it can be stopped. */
export interface RetryRuntime {
  /** Sleeps between attempts (default: the system clock). */
  readonly clock?: Clock | undefined
  /** Uniform in [0, 1) (default: `Math.random`; jitter needs no cryptographic randomness). */
  readonly random?: (() => number) | undefined
  /** Aborts the wait between attempts. */
  readonly signal?: AbortSignal | undefined
  /** Called before each backoff: for logs and metrics. */
  readonly onRetry?: ((retry: RetryEvent) => void) | undefined
}

/** One retry about to happen. */
export interface RetryEvent {
  /** The 0-based attempt that failed. */
  readonly attempt: number
  /** The backoff before the next attempt, in milliseconds. */
  readonly delayMs: number
  /** The retryable error of the failed attempt. */
  readonly error: unknown
}

/**
 * Thrown by {@link withRetry} when every attempt failed with a retryable error; `cause` is the last
 * error. (A non-retryable error is rethrown unwrapped.) A caller bug-free code path never lets it
 * escape: `KmsSession` turns it into `KmsError` `ERR_KMS_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * if (err instanceof RetryExhausted) console.error(`gave up after ${err.attempts} attempts`)
 * ```
 */
export class RetryExhausted extends Error {
  /** How many attempts were made (`maxRetries + 1`). */
  readonly attempts: number
  constructor(attempts: number, cause: unknown) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`, { cause })
    this.name = new.target.name
    this.attempts = attempts
  }
}

/**
 * Checks a {@link RetryConfig}: three integers ≥ 0.
 *
 * @throws {TypeError} naming the first bad field.
 * @example
 * ```ts
 * checkRetryConfig({ maxRetries: 2, initialMs: 100, maxMs: 1_000 })
 * ```
 */
export function checkRetryConfig(config: RetryConfig): RetryConfig {
  for (const field of ['maxRetries', 'initialMs', 'maxMs'] as const) {
    const value: unknown = config[field]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`retry config: ${field} must be an integer ≥ 0`)
    }
  }
  return config
}

/**
 * Runs `fn` until it succeeds, fails with an error `isRetryable` rejects, or the retries run out.
 *
 * @throws {RetryExhausted} when the last of `maxRetries + 1` attempts failed retryably.
 * @throws the first non-retryable error as is, or the signal's reason when it aborts a backoff.
 * @throws {TypeError} on an invalid config.
 * @example
 * ```ts
 * const clock = { ...systemClock, sleep: async () => {} } // no real waiting, in a test
 * await withRetry(call, (e) => (e as Error).name === 'ThrottlingException', config, { clock })
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  isRetryable: (err: unknown) => boolean,
  config: RetryConfig,
  runtime: RetryRuntime = {},
): Promise<T> {
  const { maxRetries, initialMs, maxMs } = checkRetryConfig(config)
  const clock = runtime.clock ?? systemClock
  const random = runtime.random ?? Math.random
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      if (!isRetryable(err)) throw err
      if (attempt >= maxRetries) throw new RetryExhausted(attempt + 1, err)
      const delayMs = fullJitterDelay(attempt, { initialMs, maxMs }, random)
      runtime.onRetry?.({ attempt, delayMs, error: err })
      await clock.sleep(delayMs, runtime.signal)
    }
  }
}
