/**
 * The station's one way to KMS: a configured `@aws-sdk/client-kms` client plus retry and error
 * mapping. kms-local and real AWS differ only in `endpoint`.
 *
 * Credentials, in the SDK's own precedence: `--profile`, else `AWS_PROFILE`, else
 * `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) from the environment the
 * CLI was given, else the SDK's default chain (SSO, shared files, container and instance roles).
 * `@aws-sdk/credential-providers` is not installed, so a profile goes to the client's own
 * `profile` setting, which the default chain honours. The SDK's retry is switched off
 * (`maxAttempts: 1`) so that exactly one policy applies: {@link withRetry} with the configured
 * {@link RetryConfig}.
 *
 * @example
 * ```ts
 * const kms = new KmsSession({ region: 'eu-west-1', env: process.env, retry: defaults.retry })
 * const out = await kms.call('GetPublicKey', (c) => c.send(new GetPublicKeyCommand({ KeyId })))
 * kms.close()
 * ```
 */
import { KMSClient } from '@aws-sdk/client-kms'
import type { KMSClientConfig } from '@aws-sdk/client-kms'
import { defaults } from '../defaults.ts'
import { UsageError } from '../errors.ts'
import type { RetryConfig } from './retry.ts'
import { withRetry } from './retry.ts'
import { isRetryableKmsError, isRetryableUnsentError, toProvisioningError } from './kms_errors.ts'
import { shown } from '../_sanitize.ts'

/** Options of {@link KmsSession}. */
export interface KmsSessionOptions {
  readonly region?: string | undefined
  /** A KMS endpoint URL (kms-local); absent for AWS's own endpoint of the region. */
  readonly endpoint?: string | undefined
  readonly profile?: string | undefined
  /** The environment to read `AWS_*` variables from. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly retry?: RetryConfig | undefined
  readonly connectionTimeoutMs?: number | undefined
  readonly requestTimeoutMs?: number | undefined
}

/**
 * Checks an `--endpoint` value: an absolute http or https URL.
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * checkEndpoint('http://127.0.0.1:4599') // ok
 * ```
 */
export function checkEndpoint(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new UsageError(`--endpoint ${shown(endpoint)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--endpoint ${shown(endpoint)} must be an http or https URL`)
  }
  return endpoint
}

/**
 * A KMS client with the station's retry and error mapping.
 *
 * @example
 * ```ts
 * const kms = new KmsSession({ endpoint: 'http://127.0.0.1:4599', region: 'us-east-1', env })
 * ```
 */
export class KmsSession {
  readonly client: KMSClient
  /** The `--endpoint` URL, or `null` for AWS's endpoint of the region. */
  readonly endpoint: string | null
  readonly #retry: RetryConfig

  constructor(options: KmsSessionOptions) {
    const env = options.env
    this.endpoint = options.endpoint === undefined ? null : checkEndpoint(options.endpoint)
    this.#retry = options.retry ?? defaults.retry
    const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION)
    const profile = options.profile ?? nonEmpty(env.AWS_PROFILE)
    const config: KMSClientConfig = {
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? defaults.connectionTimeoutMs,
        requestTimeout: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
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
   * Runs one KMS operation with retry; every failure becomes a `ProvisioningError`. An operation
   * that is not idempotent (`CreateKey`) is retried only when the request provably never ran.
   *
   * @example
   * ```ts
   * await kms.call('DescribeKey', (c) => c.send(new DescribeKeyCommand({ KeyId })))
   * ```
   */
  async call<T>(
    operation: string,
    fn: (client: KMSClient) => Promise<T>,
    options: { readonly idempotent?: boolean } = {},
  ): Promise<T> {
    const retryable = options.idempotent === false ? isRetryableUnsentError : isRetryableKmsError
    try {
      return await withRetry(() => fn(this.client), retryable, this.#retry)
    } catch (err) {
      const where =
        this.endpoint ?? `the AWS KMS endpoint of ${(await this.region()) ?? 'no region'}`
      throw toProvisioningError(err, operation, where)
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
