/**
 * Retry with capped exponential backoff and jitter (STYLE §4.4: the policy is one config object).
 *
 * Attempt n (0-based) that fails with a retryable error waits between half and all of
 * `min(maxMs, initialMs · 2^n)` (equal jitter: never zero, and spread so that a station's workers
 * do not retry in lock-step), up to `maxRetries` retries. The last error is rethrown as is;
 * {@link RetryExhausted} tells the caller how many attempts there were.
 *
 * @example
 * ```ts
 * const out = await withRetry(() => kms.send(cmd), isRetryableKmsError, { initialMs: 200, maxMs: 5_000, maxRetries: 4 })
 * ```
 */

/** The retry policy. */
export interface RetryConfig {
  /** Backoff before the first retry, in milliseconds (the upper end of its jitter range). */
  readonly initialMs: number
  /** Backoff ceiling in milliseconds. */
  readonly maxMs: number
  /** Retries after the first attempt; 0 disables retrying. */
  readonly maxRetries: number
  /** Aborts the wait between attempts. */
  readonly signal?: AbortSignal | undefined
}

/**
 * Thrown by {@link withRetry} when every attempt failed with a retryable error; `cause` is the last
 * error. (A non-retryable error is rethrown unwrapped.)
 *
 * @example
 * ```ts
 * if (err instanceof RetryExhausted) console.error(`gave up after ${err.attempts} attempts`)
 * ```
 */
export class RetryExhausted extends Error {
  readonly attempts: number
  constructor(attempts: number, cause: unknown) {
    super(`gave up after ${attempts} attempts`, { cause })
    this.name = this.constructor.name
    this.attempts = attempts
  }
}

/**
 * The wait before retry number `retry` (0-based), in milliseconds.
 *
 * @example
 * ```ts
 * backoffMs(2, { initialMs: 100, maxMs: 5_000, maxRetries: 4 }, () => 1) // 400
 * ```
 */
export function backoffMs(
  retry: number,
  config: RetryConfig,
  random: () => number = Math.random,
): number {
  const cap = Math.min(config.maxMs, config.initialMs * 2 ** retry)
  return Math.round(cap / 2 + (random() * cap) / 2)
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(done, ms)
    function done(): void {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort(): void {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Runs `fn` until it succeeds, fails with an error `isRetryable` rejects, or the retries run out.
 *
 * @throws {RetryExhausted} when the last of `maxRetries + 1` attempts failed retryably.
 * @throws the first non-retryable error as is.
 * @throws {TypeError} on an invalid config.
 * @example
 * ```ts
 * await withRetry(fetchKey, (e) => e.name === 'ThrottlingException', defaults.retry)
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  isRetryable: (err: unknown) => boolean,
  config: RetryConfig,
): Promise<T> {
  const { initialMs, maxMs, maxRetries } = config
  if (![initialMs, maxMs, maxRetries].every((n) => Number.isInteger(n) && n >= 0)) {
    throw new TypeError('retry config: initialMs, maxMs and maxRetries must be integers ≥ 0')
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      if (!isRetryable(err)) throw err
      if (attempt >= maxRetries) throw new RetryExhausted(attempt + 1, err)
      await sleep(backoffMs(attempt, config), config.signal)
    }
  }
}
