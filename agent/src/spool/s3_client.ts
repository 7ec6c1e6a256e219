/**
 * The spool's S3 client: region and credentials as the AWS SDK finds them (default chain), or
 * `spool.endpoint` for an S3-compatible store (path-style addressing).
 *
 * @example
 * ```ts
 * const client = spoolS3Client({ endpoint: 'http://127.0.0.1:9000', region: undefined }, process.env)
 * ```
 */
import { S3Client } from '@aws-sdk/client-s3'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { spoolDefaults } from './defaults.ts'

/**
 * An S3 client for the spool.
 *
 * @example
 * ```ts
 * spoolS3Client(settings.spool, process.env).destroy()
 * ```
 */
export function spoolS3Client(
  spool: { readonly endpoint: string | undefined; readonly region: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): S3Client {
  const config: S3ClientConfig = {
    region: spool.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? spoolDefaults.region,
  }
  if (spool.endpoint !== undefined) {
    config.endpoint = spool.endpoint
    config.forcePathStyle = true
  }
  return new S3Client(config)
}
