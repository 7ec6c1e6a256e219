/**
 * Defaults of the spool folder (README "Spool").
 *
 * @example
 * ```ts
 * spoolDefaults.scanMs // 2000
 * ```
 */

/** The spool's defaults. */
export const spoolDefaults = Object.freeze({
  /** Time between two scans; a file is taken once two scans saw it unchanged. */
  scanMs: 2_000,
  /** Bytes per read of a spooled file. */
  readBytes: 1024 * 1024,
  /** Multipart part size (S3's minimum is 5 MiB) and parts in flight. */
  partBytes: 8 * 1024 * 1024,
  queueSize: 2,
  /** Region when none is configured (S3-compatible stores ignore it). */
  region: 'us-east-1',
})
