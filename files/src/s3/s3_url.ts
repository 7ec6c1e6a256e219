/**
 * `s3://bucket/key` locations (README, "S3").
 *
 * @example
 * ```ts
 * parseS3Url('s3://telemetry/2026/big.bin.sw') // { bucket: 'telemetry', key: '2026/big.bin.sw' }
 * ```
 */
import { shown, UsageError } from '../../../platform/src/index.ts'

/** A bucket and an object key. */
export interface S3Location {
  readonly bucket: string
  readonly key: string
}

// S3 bucket naming rules: 3–63 characters, lower-case letters, digits, dots and hyphens, starting
// and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * Parses `s3://bucket/key`.
 *
 * @throws {UsageError} `ERR_USAGE` for anything else (a key of 1 to 1024 UTF-8 bytes).
 * @example
 * ```ts
 * const { bucket, key } = parseS3Url(args.positionals[1]!)
 * ```
 */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url)
  if (!m) throw new UsageError(`expected s3://bucket/key, got ${shown(url)}`)
  const [, bucket, key] = m as unknown as [string, string, string]
  if (!BUCKET.test(bucket)) throw new UsageError(`not an S3 bucket name: ${shown(bucket)}`)
  if (Buffer.byteLength(key) > 1024) throw new UsageError('an S3 object key is at most 1024 bytes')
  return { bucket, key }
}
