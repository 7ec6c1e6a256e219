/**
 * The agent's spool folder: files dropped there are sealed and uploaded to S3, then deleted.
 *
 * @example
 * ```ts
 * import { FileSpool, parseSpoolUrl } from './spool/index.ts'
 * ```
 */
export { FileSpool } from './file_spool.ts'
export type { FileSpoolOptions, SpoolEvent } from './file_spool.ts'
export { parseSpoolUrl } from './spool_location.ts'
export type { SpoolLocation } from './spool_location.ts'
export { spoolS3Client } from './s3_client.ts'
