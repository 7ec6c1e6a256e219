/**
 * Where the spool uploads: `s3://BUCKET/PREFIX`, objects at `PREFIX<device id>/<file name>.sw`.
 *
 * @example
 * ```ts
 * parseSpoolUrl('s3://telemetry/spool/') // { bucket: 'telemetry', prefix: 'spool/' }
 * ```
 */
import { ConfigError } from '../../../platform/src/index.ts'

/** A bucket and a key prefix (possibly empty). */
export interface SpoolLocation {
  readonly bucket: string
  readonly prefix: string
}

// S3 bucket naming rules: 3–63 of lower-case letters, digits, dots and hyphens.
const URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/

/**
 * Parses the `spool.url` setting.
 *
 * @throws {ConfigError} `ERR_CONFIG` for anything but `s3://bucket[/prefix]`.
 * @example
 * ```ts
 * const { bucket, prefix } = parseSpoolUrl(settings.spool.url, 'config file')
 * ```
 */
export function parseSpoolUrl(url: string, source: string): SpoolLocation {
  const m = URL.exec(url)
  if (!m) throw new ConfigError('spool.url', source, 'expected s3://bucket or s3://bucket/prefix/')
  return { bucket: m[1]!, prefix: m[2] ?? '' }
}

/**
 * The object key of a spooled file.
 *
 * @example
 * ```ts
 * objectKey({ bucket: 'b', prefix: 'in/' }, 'gw-1', 'cam.jpg') // 'in/gw-1/cam.jpg.sw'
 * ```
 */
export function objectKey(location: SpoolLocation, deviceId: string, name: string): string {
  return `${location.prefix}${deviceId}/${name}.sw`
}
