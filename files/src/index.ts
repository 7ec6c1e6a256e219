/**
 * `files/`: the `sealwire-file` CLI (seal, open, inspect, put, get, open-legacy) and the pieces
 * others reuse. The normative spec is `files/README.md`; the format is `envelope/STREAM.md`.
 *
 * @example
 * ```ts
 * import { main } from '../../files/src/index.ts'
 * process.exitCode = await main(['inspect', 'big.bin.sw'])
 * ```
 */
export { main } from './main.ts'
export type { MainIo } from './main.ts'
export { FILE_EXIT } from './exit_codes.ts'
export { filesDefaults } from './defaults.ts'
export type { FilesDefaults } from './defaults.ts'
export { FilesError, LEGACY_FAILED_MESSAGE } from './errors.ts'
export type { FilesErrorCode } from './errors.ts'
export { parseS3Url } from './s3/s3_url.ts'
export type { S3Location } from './s3/s3_url.ts'
export { evpBytesToKey, opensslPassword, legacyKeyAndIv } from './legacy/openssl_kdf.ts'
