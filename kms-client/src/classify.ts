/**
 * Sorts the failures of `@aws-sdk/client-kms` calls: which are worth a retry, and which
 * {@link KmsError} code (or key refusal) the last one becomes.
 *
 * Retryable (the transient ones): throttling (`ThrottlingException`, HTTP 429); network errors
 * (connection refused or reset, DNS failure, unreachable host); timeouts (connection, request, or
 * the attempt's deadline); and KMS's own transient faults (`KMSInternalException`,
 * `DependencyTimeoutException`, HTTP 5xx). Everything KMS answered deliberately (unknown key,
 * access denied, key disabled, bad ciphertext) is final.
 *
 * @example
 * ```ts
 * try {
 *   await withRetry(() => client.send(cmd), isRetryableKmsError, retry)
 * } catch (err) {
 *   throw toKmsError(err, 'GetPublicKey', { where: 'http://127.0.0.1:4599' })
 * }
 * ```
 */
import { KeyRejectedError } from '../../envelope/src/index.ts'
import { UsageError, plain } from '../../platform/src/index.ts'
import { redactUserinfo } from './endpoint.ts'
import { KmsError } from './errors.ts'
import { NotKmsAnswerError } from './kms_answer_check.ts'
import { RetryExhausted } from './retry.ts'

const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
])

const TRANSIENT_FAULT_NAMES: ReadonlySet<string> = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
])

const TIMEOUT_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
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

// Codes that prove the request never reached a server.
const UNSENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ConnectionRefused',
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
  readonly name?: unknown
  readonly code?: unknown
  readonly message?: unknown
  readonly $fault?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown }
  readonly cause?: unknown
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {}
}

function nameOf(err: unknown): string {
  const name = shape(err).name
  return typeof name === 'string' ? name : ''
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof NotKmsAnswerError) return err.status
  const status = shape(err).$metadata?.httpStatusCode
  return typeof status === 'number' ? status : undefined
}

function networkCode(err: unknown, depth = 0): string | undefined {
  const e = shape(err)
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code
  if (depth < 3 && e.cause !== undefined) return networkCode(e.cause, depth + 1)
  return undefined
}

function isTimeout(err: unknown): boolean {
  return TIMEOUT_NAMES.has(nameOf(err)) || networkCode(err) === 'ETIMEDOUT'
}

/**
 * The SDK could not parse what came back: an answer, but not one from KMS (it has an HTTP status
 * and no `$fault`, which every modelled or unmodelled KMS error has).
 */
function isUnreadableAnswer(err: unknown): boolean {
  const e = shape(err)
  return e.$fault === undefined && statusOf(err) !== undefined && nameOf(err) === 'SyntaxError'
}

/**
 * True when a KMS call that failed with `err` may succeed if tried again: throttling, a network
 * error, a timeout, or a transient server fault (see the module doc).
 *
 * @example
 * ```ts
 * isRetryableKmsError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })) // true
 * isRetryableKmsError(Object.assign(new Error('no such key'), { name: 'NotFoundException' })) // false
 * ```
 */
export function isRetryableKmsError(err: unknown): boolean {
  const name = nameOf(err)
  if (THROTTLING_NAMES.has(name) || TRANSIENT_FAULT_NAMES.has(name)) return true
  if (isTimeout(err) || networkCode(err) !== undefined) return true
  const status = statusOf(err)
  return status !== undefined && (status === 429 || status >= 500)
}

/**
 * True when `err` proves the request was never processed (throttled, or no connection made), so
 * that even a call that is not idempotent, such as `CreateKey`, may be sent again without risking
 * a second key.
 *
 * @example
 * ```ts
 * isRetryableUnsentError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })) // true
 * ```
 */
export function isRetryableUnsentError(err: unknown): boolean {
  if (THROTTLING_NAMES.has(nameOf(err))) return true
  const code = networkCode(err)
  return code !== undefined && UNSENT_CODES.has(code)
}

/** What {@link toKmsError} says about where and how a call was made. */
export interface KmsErrorContext {
  /** The endpoint as shown (no userinfo), or `the AWS KMS endpoint of <region>`. */
  readonly where: string
  /** The per-attempt timeouts, to name them when one fired. */
  readonly connectionTimeoutMs?: number | undefined
  readonly requestTimeoutMs?: number | undefined
}

function describeTimeout(err: unknown, context: KmsErrorContext): string {
  const message = shape(err).message
  const text = typeof message === 'string' ? message : ''
  // Our own attempt deadline words its message for people already.
  if (text.startsWith('no answer within ')) return `TimeoutError: ${text}`
  if (/establish(?:ing)? a connection/i.test(text) && context.connectionTimeoutMs !== undefined) {
    return `TimeoutError: no connection within ${context.connectionTimeoutMs} ms`
  }
  if (context.requestTimeoutMs !== undefined) {
    return `TimeoutError: no answer within ${context.requestTimeoutMs} ms`
  }
  return 'TimeoutError: timed out'
}

/**
 * One line about a failure, for a message: the exception name, the network code and the
 * service's message, escaped and cut; timeouts and non-KMS answers in our own words (no SDK
 * internals); never a URL's userinfo.
 */
function describe(err: unknown, context: KmsErrorContext): string {
  let text: string
  if (err instanceof NotKmsAnswerError) {
    text = `did not answer as KMS (${err.message})`
  } else if (isUnreadableAnswer(err)) {
    text = `did not answer as KMS (HTTP ${statusOf(err)}, a body that is not KMS JSON)`
  } else if (isTimeout(err)) {
    text = describeTimeout(err, context)
  } else {
    const e = shape(err)
    const name = typeof e.name === 'string' && e.name !== 'Error' ? e.name : undefined
    const code = networkCode(err)
    const message = typeof e.message === 'string' && e.message !== '' ? plain(e.message) : undefined
    text =
      [name, code && !message?.includes(code) ? code : undefined, message]
        .filter(Boolean)
        .join(': ') || plain(String(err))
  }
  return redactUserinfo(text)
}

function awsCodeOf(err: unknown): string | undefined {
  const e = shape(err)
  if (e.$fault === undefined) return undefined
  const name = nameOf(err)
  return name !== '' && name !== 'Error' ? name : undefined
}

/**
 * Turns the error of a KMS call into the error the caller sees. Our own errors (`KmsError`,
 * `KeyRejectedError`, `UsageError`) pass through unchanged.
 *
 * - every retry spent on a transient failure, a non-KMS answer, or a failure with no answer at all
 *   → `ERR_KMS_UNAVAILABLE`;
 * - missing or refused credentials, a denied permission → `ERR_KMS_DENIED`;
 * - a disabled key or one pending deletion or import → the envelope's `KeyRejectedError`
 *   `ERR_KEY_STATE`;
 * - any other answer from KMS → `ERR_KMS_REQUEST`;
 * - no region anywhere → `UsageError` `ERR_USAGE`.
 *
 * @example
 * ```ts
 * toKmsError(err, 'DescribeKey', { where: 'http://127.0.0.1:4599' }) // KmsError ERR_KMS_REQUEST…
 * ```
 */
export function toKmsError(
  err: unknown,
  operation: string,
  context: KmsErrorContext,
): KmsError | KeyRejectedError | UsageError {
  if (err instanceof KmsError || err instanceof KeyRejectedError || err instanceof UsageError) {
    return err
  }
  const where = redactUserinfo(context.where)
  if (err instanceof RetryExhausted) {
    const n = err.attempts
    return new KmsError(
      'ERR_KMS_UNAVAILABLE',
      operation,
      `KMS ${operation} at ${where} failed after ${n} attempt${n === 1 ? '' : 's'}: ` +
        describe(err.cause, context),
      { cause: err.cause, awsCode: awsCodeOf(err.cause) },
    )
  }
  if (err instanceof NotKmsAnswerError) {
    return new KmsError(
      'ERR_KMS_UNAVAILABLE',
      operation,
      `KMS endpoint ${redactUserinfo(err.url)} did not answer ${operation} as KMS (${err.message})`,
      { cause: err },
    )
  }
  if (isUnreadableAnswer(err)) {
    return new KmsError(
      'ERR_KMS_UNAVAILABLE',
      operation,
      `KMS endpoint ${where} did not answer ${operation} as KMS ` +
        `(HTTP ${statusOf(err)}, a body that is not KMS JSON)`,
      { cause: err },
    )
  }
  const name = nameOf(err)
  const message = shape(err).message
  if (typeof message === 'string' && /region is missing/i.test(message)) {
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
      `KMS ${operation} denied: ${describe(err, context)}${hint}`,
      { cause: err, awsCode: name },
    )
  }
  if (KEY_STATE_NAMES.has(name)) {
    return new KeyRejectedError(
      'ERR_KEY_STATE',
      `KMS ${operation}: the key is not usable: ${describe(err, context)}`,
      { cause: err },
    )
  }
  if (shape(err).$fault !== undefined || statusOf(err) !== undefined) {
    return new KmsError(
      'ERR_KMS_REQUEST',
      operation,
      `KMS ${operation} refused: ${describe(err, context)}`,
      { cause: err, awsCode: awsCodeOf(err) },
    )
  }
  // No answer from KMS at all (a network error that was not retried, a timeout of a call that is
  // not idempotent): the service is not usable from here.
  return new KmsError(
    'ERR_KMS_UNAVAILABLE',
    operation,
    `KMS ${operation} at ${where} failed: ${describe(err, context)}`,
    { cause: err },
  )
}
