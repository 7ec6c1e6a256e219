/**
 * Sorts the errors of `@aws-sdk/client-kms` into retryable or not, and turns the final one into a
 * provisioning error with one clear message.
 *
 * Retryable: throttling, KMS internal errors, HTTP 5xx and 429, request timeouts, and network
 * errors (connection refused or reset, DNS failure, unreachable host). Not retryable: everything
 * KMS answered deliberately (unknown key, access denied, key disabled…).
 *
 * @example
 * ```ts
 * try {
 *   await withRetry(() => client.send(cmd), isRetryableKmsError, retry)
 * } catch (err) {
 *   throw toProvisioningError(err, 'GetPublicKey', 'https://kms.eu-west-1.amazonaws.com')
 * }
 * ```
 */
import { KeyRefusedError, KmsError, ProvisioningError, UsageError } from '../errors.ts'
import { RetryExhausted } from './retry.ts'
import { plain } from '../_sanitize.ts'

const RETRYABLE_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSInternalException',
  'DependencyTimeoutException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
])

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ConnectionRefused',
  'ConnectionClosed',
])

const DENIED_NAMES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'NotAuthorized',
  'CredentialsProviderError',
])

const KEY_STATE_NAMES: ReadonlySet<string> = new Set([
  'DisabledException',
  'KMSInvalidStateException',
])

interface SdkErrorShape {
  name?: unknown
  code?: unknown
  message?: unknown
  $retryable?: unknown
  $fault?: unknown
  $metadata?: { httpStatusCode?: unknown }
  cause?: unknown
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {}
}

function networkCode(err: unknown, depth = 0): string | undefined {
  const e = shape(err)
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code
  if (depth < 3 && e.cause !== undefined) return networkCode(e.cause, depth + 1)
  return undefined
}

/**
 * True when a KMS call that failed with `err` may succeed if tried again.
 *
 * @example
 * ```ts
 * isRetryableKmsError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })) // true
 * ```
 */
export function isRetryableKmsError(err: unknown): boolean {
  const e = shape(err)
  if (e.$retryable) return true
  if (typeof e.name === 'string' && RETRYABLE_NAMES.has(e.name)) return true
  const status = e.$metadata?.httpStatusCode
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true
  return networkCode(err) !== undefined
}

const UNSENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ConnectionRefused',
])

/**
 * True when `err` proves the request was never processed (throttled, or no connection made), so
 * that even a call that is not idempotent, such as `CreateKey`, may be sent again without risking
 * a second key.
 *
 * @example
 * ```ts
 * isRetryableUnsentError(Object.assign(new Error(), { code: 'ECONNREFUSED' })) // true
 * ```
 */
export function isRetryableUnsentError(err: unknown): boolean {
  const e = shape(err)
  if (e.name === 'ThrottlingException' || e.name === 'TooManyRequestsException') return true
  const code = networkCode(err)
  return code !== undefined && UNSENT_CODES.has(code)
}

function describe(err: unknown): string {
  const e = shape(err)
  const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined
  const code = networkCode(err)
  const message = typeof e.message === 'string' && e.message !== '' ? plain(e.message) : undefined
  return (
    [name, code && !message?.includes(code) ? code : undefined, message]
      .filter(Boolean)
      .join(': ') || plain(String(err))
  )
}

/**
 * Turns the error of a KMS call into a {@link ProvisioningError} (provisioning errors pass
 * through unchanged).
 *
 * @example
 * ```ts
 * toProvisioningError(err, 'DescribeKey', endpoint) // KmsError ERR_KMS_UNAVAILABLE, ERR_KMS_DENIED…
 * ```
 */
export function toProvisioningError(
  err: unknown,
  operation: string,
  endpoint: string,
): ProvisioningError {
  if (err instanceof ProvisioningError) return err
  if (err instanceof RetryExhausted) {
    return new KmsError(
      'ERR_KMS_UNAVAILABLE',
      operation,
      `KMS ${operation} at ${endpoint} failed after ${err.attempts} attempts: ${describe(err.cause)}`,
      { cause: err.cause, awsCode: awsName(err.cause) },
    )
  }
  const e = shape(err)
  const name = typeof e.name === 'string' ? e.name : ''
  const message = typeof e.message === 'string' ? e.message : ''
  if (/region is missing/i.test(message)) {
    return new UsageError('no AWS region: pass --region or set AWS_REGION')
  }
  if (DENIED_NAMES.has(name)) {
    const hint =
      name === 'CredentialsProviderError'
        ? ' (no AWS credentials found: use --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)'
        : ''
    return new KmsError(
      'ERR_KMS_DENIED',
      operation,
      `KMS ${operation} denied: ${describe(err)}${hint}`,
      {
        cause: err,
        awsCode: name,
      },
    )
  }
  if (KEY_STATE_NAMES.has(name)) {
    return new KeyRefusedError(
      'ERR_KEY_STATE',
      `KMS ${operation}: the key is not usable: ${describe(err)}`,
      {
        cause: err,
      },
    )
  }
  if (e.$fault !== undefined || e.$metadata?.httpStatusCode !== undefined) {
    return new KmsError(
      'ERR_KMS_REQUEST',
      operation,
      `KMS ${operation} refused: ${describe(err)}`,
      {
        cause: err,
        awsCode: name || undefined,
      },
    )
  }
  // Not an answer from KMS (a network error that was not retried, a reply that does not parse):
  // the service is not usable from here.
  return new KmsError(
    'ERR_KMS_UNAVAILABLE',
    operation,
    `KMS ${operation} at ${endpoint} failed: ${describe(err)}`,
    { cause: err },
  )
}

function awsName(err: unknown): string | undefined {
  const name = shape(err).name
  return typeof name === 'string' && name !== 'Error' ? name : undefined
}
