/**
 * The one way to KMS: a configured `@aws-sdk/client-kms` client plus the retry policy, a hard
 * deadline per attempt and the error classification. kms-local and real AWS differ only in
 * `endpoint`.
 *
 * Region: `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION` (of the `env` given). Credentials,
 * in the SDK's own precedence: `profile`, else `AWS_PROFILE`, else `AWS_ACCESS_KEY_ID` /
 * `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) from `env`, else the SDK's default chain (SSO,
 * shared files, container and instance roles). The SDK's own retry is off (`maxAttempts: 1`) so
 * that exactly one policy applies: {@link withRetry} with the session's {@link RetryConfig}.
 *
 * Time: every attempt ends within `connectionTimeoutMs + requestTimeoutMs`. The SDK's
 * `requestTimeout` alone only logs a warning (`@smithy/node-http-handler` 4 throws only with
 * `throwOnRequestTimeout`), so the session sets that flag and also races each attempt against its
 * own deadline on the injected {@link Clock}, which aborts the request: the bound holds whatever
 * the transport or the credential provider does.
 *
 * @example
 * ```ts
 * const kms = new KmsSession({ region: 'eu-west-1', env: process.env })
 * const out = await kms.call('GetPublicKey', (c, signal) =>
 *   c.send(new GetPublicKeyCommand({ KeyId: 'alias/fleet' }), { abortSignal: signal }),
 * )
 * kms.close()
 * ```
 */
import { KMSClient } from '@aws-sdk/client-kms'
import type { KMSClientConfig } from '@aws-sdk/client-kms'
import { systemClock } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import { isRetryableKmsError, isRetryableUnsentError, toKmsError } from './classify.ts'
import { kmsClientDefaults } from './defaults.ts'
import { checkEndpoint } from './endpoint.ts'
import { addKmsAnswerCheck } from './kms_answer_check.ts'
import { checkRetryConfig, withRetry } from './retry.ts'
import type { RetryConfig, RetryEvent } from './retry.ts'

/** Options of {@link KmsSession}. */
export interface KmsSessionOptions {
  /** The AWS region; default `AWS_REGION`, then `AWS_DEFAULT_REGION` from `env`. */
  readonly region?: string | undefined
  /**
   * A KMS endpoint URL (kms-local, a VPC endpoint); absent for AWS's endpoint of the region.
   * Userinfo (`user:password@`) is dropped: KMS never uses it.
   */
  readonly endpoint?: string | undefined
  /** A shared-config profile; default `AWS_PROFILE` from `env`. */
  readonly profile?: string | undefined
  /** The environment to read `AWS_*` variables from. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The retry policy; default {@link kmsClientDefaults}`.retry`. */
  readonly retry?: RetryConfig | undefined
  /** Time to connect, per attempt, in milliseconds; default 5 000. */
  readonly connectionTimeoutMs?: number | undefined
  /** Time for the answer once connected, per attempt, in milliseconds; default 15 000. */
  readonly requestTimeoutMs?: number | undefined
  /** Backoff sleeps and attempt deadlines; default the system clock. */
  readonly clock?: Clock | undefined
  /** Jitter; default `Math.random`. */
  readonly random?: (() => number) | undefined
  /** Called before each retry (logs, metrics). */
  readonly onRetry?: ((operation: string, retry: RetryEvent) => void) | undefined
}

/** Where a session's calls go, as stored in a manifest or printed: never with userinfo. */
export interface KmsSource {
  /** The endpoint URL without userinfo, or `null` for AWS's KMS endpoint of the region. */
  readonly endpoint: string | null
  /** The region the client resolved, or `'unknown'` when there is none. */
  readonly region: string
}

/** Options of one {@link KmsSession.call}. */
export interface KmsCallOptions {
  /**
   * `false` for an operation that must not run twice (`CreateKey`): it is retried only when the
   * failure proves the request never reached KMS (throttled, connection refused). Default `true`.
   */
  readonly idempotent?: boolean | undefined
  /** Aborts the call (the attempt in flight and any backoff); it rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined
}

/** Our attempt deadline fired: retryable, and worded for people. */
class AttemptTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

function checkTimeout(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name}: expected an integer number of milliseconds > 0`)
  }
  return value
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

/**
 * A KMS client with the one retry policy, bounded attempts and error classification.
 *
 * @example
 * ```ts
 * const kms = new KmsSession({ endpoint: 'http://127.0.0.1:4599', region: 'us-east-1', env })
 * ```
 */
export class KmsSession {
  /** The SDK client, for commands the session has no helper for (send them through `call`). */
  readonly client: KMSClient
  /** The endpoint URL without userinfo, or `null` for AWS's KMS endpoint of the region. */
  readonly endpoint: string | null
  /** The retry policy of every call. */
  readonly retry: RetryConfig
  /** Time to connect, per attempt. */
  readonly connectionTimeoutMs: number
  /** Time for the answer once connected, per attempt. */
  readonly requestTimeoutMs: number
  readonly #clock: Clock
  readonly #random: () => number
  readonly #onRetry: KmsSessionOptions['onRetry']

  /**
   * @throws {UsageError} `ERR_USAGE` for an endpoint that is not an http(s) URL.
   * @throws {TypeError | RangeError} for a bad retry config or timeout.
   */
  constructor(options: KmsSessionOptions) {
    const env = options.env
    this.endpoint = options.endpoint === undefined ? null : checkEndpoint(options.endpoint)
    this.retry = Object.freeze({ ...checkRetryConfig(options.retry ?? kmsClientDefaults.retry) })
    this.connectionTimeoutMs = checkTimeout(
      'connectionTimeoutMs',
      options.connectionTimeoutMs ?? kmsClientDefaults.connectionTimeoutMs,
    )
    this.requestTimeoutMs = checkTimeout(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? kmsClientDefaults.requestTimeoutMs,
    )
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#onRetry = options.onRetry
    const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION)
    const profile = options.profile ?? nonEmpty(env.AWS_PROFILE)
    const config: KMSClientConfig = {
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: this.connectionTimeoutMs,
        requestTimeout: this.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
    }
    if (region !== undefined) config.region = region
    if (this.endpoint !== null) config.endpoint = this.endpoint
    if (profile !== undefined) {
      config.profile = profile
    } else {
      const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID)
      const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY)
      if (accessKeyId !== undefined && secretAccessKey !== undefined) {
        const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN)
        config.credentials =
          sessionToken === undefined
            ? { accessKeyId, secretAccessKey }
            : { accessKeyId, secretAccessKey, sessionToken }
      }
    }
    this.client = new KMSClient(config)
    addKmsAnswerCheck(this.client)
  }

  /**
   * The longest one attempt may take: `connectionTimeoutMs + requestTimeoutMs`.
   *
   * @example
   * ```ts
   * new KmsSession({ env, connectionTimeoutMs: 100, requestTimeoutMs: 200 }).attemptTimeoutMs // 300
   * ```
   */
  get attemptTimeoutMs(): number {
    return this.connectionTimeoutMs + this.requestTimeoutMs
  }

  /**
   * The region the client resolved, or `undefined` when there is none.
   *
   * @example
   * ```ts
   * const region = await kms.region()
   * ```
   */
  async region(): Promise<string | undefined> {
    try {
      return await this.client.config.region()
    } catch {
      return undefined
    }
  }

  /**
   * Where the calls go, safe to store (a manifest's `source`) and print.
   *
   * @example
   * ```ts
   * await kms.describe() // { endpoint: 'http://127.0.0.1:4599', region: 'us-east-1' }
   * ```
   */
  async describe(): Promise<KmsSource> {
    return Object.freeze({ endpoint: this.endpoint, region: (await this.region()) ?? 'unknown' })
  }

  /**
   * Runs one KMS operation: each attempt bounded by {@link attemptTimeoutMs}, retried per the
   * policy; every failure becomes a `KmsError` (or `KeyRejectedError` `ERR_KEY_STATE`, or
   * `UsageError` when there is no region). `fn` gets the client and the attempt's abort signal;
   * pass it to `send` so a timed-out request is torn down.
   *
   * @throws {KmsError} `ERR_KMS_UNAVAILABLE`, `ERR_KMS_DENIED` or `ERR_KMS_REQUEST`.
   * @throws {KeyRejectedError} `ERR_KEY_STATE` for a disabled key or one pending deletion.
   * @throws {UsageError} `ERR_USAGE` when no region is configured.
   * @example
   * ```ts
   * await kms.call('DescribeKey', (c, signal) =>
   *   c.send(new DescribeKeyCommand({ KeyId }), { abortSignal: signal }),
   * )
   * ```
   */
  async call<T>(
    operation: string,
    fn: (client: KMSClient, signal: AbortSignal) => Promise<T>,
    options: KmsCallOptions = {},
  ): Promise<T> {
    const retryable = options.idempotent === false ? isRetryableUnsentError : isRetryableKmsError
    const signal = options.signal
    try {
      return await withRetry(() => this.#attempt(fn, signal), retryable, this.retry, {
        clock: this.#clock,
        random: this.#random,
        signal,
        onRetry: this.#onRetry && ((event) => this.#onRetry?.(operation, event)),
      })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      const where =
        this.endpoint ?? `the AWS KMS endpoint of ${(await this.region()) ?? 'no region'}`
      throw toKmsError(err, operation, {
        where,
        connectionTimeoutMs: this.connectionTimeoutMs,
        requestTimeoutMs: this.requestTimeoutMs,
      })
    }
  }

  async #attempt<T>(
    fn: (client: KMSClient, signal: AbortSignal) => Promise<T>,
    outer: AbortSignal | undefined,
  ): Promise<T> {
    outer?.throwIfAborted()
    const request = new AbortController()
    const timer = new AbortController()
    let onOuterAbort = (): void => {}
    const stopped = new Promise<never>((_resolve, reject) => {
      onOuterAbort = () => {
        request.abort(outer?.reason)
        reject(outer?.reason)
      }
    })
    outer?.addEventListener('abort', onOuterAbort, { once: true })
    const ms = this.attemptTimeoutMs
    const deadline = this.#clock.sleep(ms, timer.signal).then(
      () => {
        const timeout = new AttemptTimeoutError(ms)
        request.abort(timeout)
        throw timeout
      },
      () => new Promise<never>(() => {}),
    )
    try {
      return await Promise.race([fn(this.client, request.signal), deadline, stopped])
    } finally {
      timer.abort()
      outer?.removeEventListener('abort', onOuterAbort)
    }
  }

  /**
   * Releases the client's sockets.
   *
   * @example
   * ```ts
   * kms.close()
   * ```
   */
  close(): void {
    this.client.destroy()
  }
}
