/**
 * The `sealwire/1` stream format (`envelope/STREAM.md`): large payloads as one header and
 * AES-256-GCM segments (STREAM construction), one CEK per stream wrapped to the KMS key.
 *
 * @example
 * ```ts
 * const file = await sealBytes(data, { wrapper })
 * const back = await openBytes(file, { unwrap })
 * ```
 */
export {
  checkSegmentBytes,
  describeStreamHeader,
  encodeStreamHeader,
  parseStreamHeader,
  streamHeaderLength,
  FILE_ID_BYTES,
  MAX_SEGMENT_BYTES,
  MIN_SEGMENT_BYTES,
  STREAM_FIXED_HEADER_BYTES,
  STREAM_FORMAT,
  STREAM_MAGIC,
} from './header.ts'
export type { StreamHeader } from './header.ts'
export { MAX_SEGMENTS, segmentNonce, streamLayout } from './segment.ts'
export type { StreamLayout } from './segment.ts'
export { defaultStreamOptions } from './stream_defaults.ts'
export type { StreamDefaults } from './stream_defaults.ts'
export { sealBytes, sealStream, StreamSealer } from './stream_sealer.ts'
export type { ByteSource, StreamSealOptions } from './stream_sealer.ts'
export { openBytes, openRandomAccess, openStream, StreamOpener } from './stream_opener.ts'
export type { OpenStreamOptions, RandomAccessSource, StreamOpenOptions } from './stream_opener.ts'
export { openTransform, sealTransform } from './web_stream.ts'
export { openNodeTransform, sealNodeTransform } from './node_stream.ts'
