/**
 * The S3 client of `put` and `get` (`@aws-sdk/client-s3`): region and credentials as the SDK
 * finds them, or `--endpoint` for an S3-compatible store (then path-style addressing), and the
 * classification of S3 failures into `ERR_S3_*`.
 *
 * @example
 * ```ts
 * const s3 = s3ClientFor({ endpoint: 'http://127.0.0.1:4568' }, process.env)
 * ```
 */
import { S3Client } from '@aws-sdk/client-s3'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { withoutUserinfo } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'
import { FilesError } from '../errors.ts'
import type { S3Location } from './s3_url.ts'

/**
 * An S3 client. Credentials: `profile`, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and
 * `AWS_SESSION_TOKEN`) from `env`, else the SDK's default chain.
 *
 * @example
 * ```ts
 * const client = s3ClientFor({ region: 'eu-west-1' }, process.env)
 * ```
 */
export function s3ClientFor(
  options: {
    region?: string | undefined
    profile?: string | undefined
    endpoint?: string | undefined
  },
  env: Readonly<Record<string, string | undefined>>,
): S3Client {
  const config: S3ClientConfig = {
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? filesDefaults.s3.region,
  }
  if (options.endpoint !== undefined) {
    config.endpoint = withoutUserinfo(options.endpoint)
    config.forcePathStyle = true
  }
  const profile = options.profile ?? env.AWS_PROFILE
  if (profile !== undefined) {
    config.profile = profile
  } else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
    }
  }
  return new S3Client(config)
}

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound'])
const DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'CredentialsProviderError',
])
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
])

/**
 * Turns an S3 or network failure into a {@link FilesError} naming the location; anything that
 * already has a code of ours passes through.
 *
 * @example
 * ```ts
 * try { await client.send(cmd) } catch (err) { throw s3Error(err, where) }
 * ```
 */
export function s3Error(err: unknown, where: S3Location): Error {
  if (err instanceof Error && /^ERR_[A-Z0-9_]+$/.test(String((err as { code?: unknown }).code))) {
    return err
  }
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } }
  const name = typeof e.name === 'string' ? e.name : ''
  const code = typeof e.code === 'string' ? e.code : ''
  const status = e.$metadata?.httpStatusCode
  const at = `s3://${where.bucket}/${where.key}`
  const what = code || name || 'error'
  if (NOT_FOUND.has(name) || status === 404) {
    return new FilesError(
      'ERR_S3_NOT_FOUND',
      `${at}: no such ${name === 'NoSuchBucket' ? 'bucket' : 'object'}`,
      { cause: err },
    )
  }
  if (DENIED.has(name) || status === 403) {
    return new FilesError('ERR_S3_DENIED', `${at}: access denied (${what})`, { cause: err })
  }
  if (UNAVAILABLE.has(name) || UNAVAILABLE.has(code) || (status !== undefined && status >= 500)) {
    return new FilesError('ERR_S3_UNAVAILABLE', `${at}: S3 unavailable (${what}); retry later`, {
      cause: err,
    })
  }
  return new FilesError('ERR_S3_REQUEST', `${at}: S3 refused the request (${what})`, { cause: err })
}
