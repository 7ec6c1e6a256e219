/**
 * Defaults of `kms-client/`, in one typed object (STYLE §4.1). With them, one attempt of a KMS
 * call ends within `connectionTimeoutMs + requestTimeoutMs` (20 s), and a whole call within
 * `(maxRetries + 1) × 20 s` plus at most `maxRetries × maxMs` of backoff (103 s at most).
 *
 * @example
 * ```ts
 * new KmsSession({ env, retry: { ...kmsClientDefaults.retry, maxRetries: 0 } })
 * ```
 */
import type { RetryConfig } from './retry.ts'

/** The shape of {@link kmsClientDefaults}. */
export interface KmsClientDefaults {
  /** Retry of KMS calls on throttling, network errors and timeouts. */
  readonly retry: RetryConfig
  /** Time allowed to open the TCP (and TLS) connection of one attempt, in milliseconds. */
  readonly connectionTimeoutMs: number
  /** Time allowed for the answer of one attempt once the request is sent, in milliseconds. */
  readonly requestTimeoutMs: number
}

/** The defaults. */
export const kmsClientDefaults: KmsClientDefaults = Object.freeze({
  retry: Object.freeze({ maxRetries: 4, initialMs: 200, maxMs: 5_000 }),
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
})
