/**
 * The header of a `sealwire/1` stream (`envelope/STREAM.md` §2): magic, format, suite, segment
 * size, file id and the one recipient (pin id and RSA-OAEP-256 wrapped CEK, as the full form's
 * recipient carries them). Fixed binary layout, big-endian integers, no optional fields.
 *
 * ```
 * 0   8  magic "sealwire"      8  1  format 0x01     9  1  suite 0x03 (SUITES key)
 * 10  4  segment size S        14 16 file id          30 8  pin id (recipient kid)
 * 38  2  wrapped CEK length L  40 L  wrapped CEK (L = 256, 384 or 512)
 * ```
 *
 * @example
 * ```ts
 * const need = streamHeaderLength(firstBytes) // undefined until 40 bytes are at hand
 * const header = parseStreamHeader(firstBytes.subarray(0, need))
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { abytes, toHex } from '../_bytes.ts'
import { nodeCrypto } from '../crypto/_node_crypto.ts'
import { EnvelopeInvalidError } from '../errors.ts'
import { ALG_A256GCM, SUITES } from '../suites.ts'
import type { Suite } from '../suites.ts'

/** SHA-256 of the header bytes: node:crypto where present (a tenth of the time), else noble. */
function headerHash(bytes: Uint8Array): Uint8Array {
  if (!nodeCrypto) return sha256(bytes)
  const d = nodeCrypto.createHash('sha256').update(bytes).digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.length)
}

/** The 8 magic bytes, as ASCII text: `73 65 61 6c 77 69 72 65`. */
export const STREAM_MAGIC = 'sealwire'

const MAGIC_BYTES = new TextEncoder().encode(STREAM_MAGIC)

/** Stream format version byte. */
export const STREAM_FORMAT = 1

/** Bytes of the header before the wrapped CEK. */
export const STREAM_FIXED_HEADER_BYTES = 40

/** Bytes of the file id. */
export const FILE_ID_BYTES = 16

/** Smallest and largest segment sizes a header may declare (plaintext bytes per segment). */
export const MIN_SEGMENT_BYTES = 512
export const MAX_SEGMENT_BYTES = 16 * 1024 * 1024

/** Lengths of an RSA-OAEP ciphertext for RSA-2048, 3072 and 4096. */
const WRAPPED_LENGTHS: ReadonlySet<number> = new Set([256, 384, 512])

/** A parsed (or built) stream header. Byte fields are views into {@link bytes}. */
export interface StreamHeader {
  /** The exact header bytes; their SHA-256 is every segment's AAD. */
  readonly bytes: Uint8Array
  readonly suite: Suite
  /** Plaintext bytes of every segment but the last. */
  readonly segmentBytes: number
  readonly fileId: Uint8Array
  /** The recipient kid: the pin id of the key the CEK is wrapped to. */
  readonly pinId: Uint8Array
  readonly wrapped: Uint8Array
  /** SHA-256 of {@link bytes}: the AAD of every segment. */
  readonly aad: Uint8Array
}

function invalid(detail: string): never {
  throw new EnvelopeInvalidError(`stream header: ${detail}`)
}

/**
 * Checks a segment size against the bounds; a caller bug, so a RangeError.
 *
 * @example
 * ```ts
 * checkSegmentBytes(65536)
 * ```
 */
export function checkSegmentBytes(n: number): void {
  if (!Number.isInteger(n) || n < MIN_SEGMENT_BYTES || n > MAX_SEGMENT_BYTES) {
    throw new RangeError(
      `segmentBytes: an integer from ${MIN_SEGMENT_BYTES} to ${MAX_SEGMENT_BYTES}, got ${n}`,
    )
  }
}

/**
 * The full header length once the first 40 bytes are known, or `undefined` before. Refuses a
 * prefix that is not a `sealwire/1` stream header (before any key is touched).
 *
 * @throws {EnvelopeInvalidError} `ERR_ENVELOPE_INVALID` for a wrong magic, format, suite or length.
 * @example
 * ```ts
 * streamHeaderLength(bytes) // 296 for an RSA-2048 recipient
 * ```
 */
export function streamHeaderLength(prefix: Uint8Array): number | undefined {
  const n = Math.min(prefix.length, MAGIC_BYTES.length)
  for (let i = 0; i < n; i++) {
    if (prefix[i] !== MAGIC_BYTES[i]) invalid('not a sealwire stream (bad magic)')
  }
  if (prefix.length < STREAM_FIXED_HEADER_BYTES) return undefined
  if (prefix[8] !== STREAM_FORMAT) invalid(`unsupported format ${prefix[8]}`)
  if (SUITES[prefix[9]!] === undefined) invalid(`unsupported suite ${prefix[9]}`)
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength)
  const segment = view.getUint32(10)
  if (segment < MIN_SEGMENT_BYTES || segment > MAX_SEGMENT_BYTES) {
    invalid(`segment size ${segment} out of bounds`)
  }
  const wrappedLength = view.getUint16(38)
  if (!WRAPPED_LENGTHS.has(wrappedLength)) invalid(`wrapped key of ${wrappedLength} bytes`)
  return STREAM_FIXED_HEADER_BYTES + wrappedLength
}

/**
 * Parses exactly one header (no trailing bytes).
 *
 * @throws {EnvelopeInvalidError} `ERR_ENVELOPE_INVALID` when the bytes are not a header.
 * @example
 * ```ts
 * const { pinId, segmentBytes } = parseStreamHeader(bytes.subarray(0, 296))
 * ```
 */
export function parseStreamHeader(bytes: Uint8Array): StreamHeader {
  abytes(bytes, 'header')
  const length = streamHeaderLength(bytes)
  if (length === undefined) invalid(`truncated (${bytes.length} bytes)`)
  if (bytes.length !== length) invalid(`${bytes.length} bytes, expected ${length}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Object.freeze({
    bytes,
    suite: SUITES[bytes[9]!]!,
    segmentBytes: view.getUint32(10),
    fileId: bytes.subarray(14, 30),
    pinId: bytes.subarray(30, 38),
    wrapped: bytes.subarray(40, length),
    aad: headerHash(bytes),
  })
}

/**
 * Builds a header.
 *
 * @example
 * ```ts
 * const header = encodeStreamHeader(65536, fileId, wrapper.pinId, wrapped)
 * ```
 */
export function encodeStreamHeader(
  segmentBytes: number,
  fileId: Uint8Array,
  pinId: Uint8Array,
  wrapped: Uint8Array,
): StreamHeader {
  checkSegmentBytes(segmentBytes)
  abytes(fileId, 'fileId', FILE_ID_BYTES)
  abytes(pinId, 'pinId', 8)
  abytes(wrapped, 'wrapped')
  if (!WRAPPED_LENGTHS.has(wrapped.length)) {
    throw new RangeError(`wrapped: 256, 384 or 512 bytes, got ${wrapped.length}`)
  }
  const bytes = new Uint8Array(STREAM_FIXED_HEADER_BYTES + wrapped.length)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC_BYTES, 0)
  bytes[8] = STREAM_FORMAT
  bytes[9] = ALG_A256GCM
  view.setUint32(10, segmentBytes)
  bytes.set(fileId, 14)
  bytes.set(pinId, 30)
  view.setUint16(38, wrapped.length)
  bytes.set(wrapped, 40)
  return parseStreamHeader(bytes)
}

/**
 * The header's public fields as text, for `inspect`: no key needed.
 *
 * @example
 * ```ts
 * describeStreamHeader(header).pinId // '3f9a0c1d2e4b5a69'
 * ```
 */
export function describeStreamHeader(header: StreamHeader): {
  readonly format: string
  readonly contentAlgorithm: string
  readonly keyWrapAlgorithm: string
  readonly segmentBytes: number
  readonly fileId: string
  readonly pinId: string
  readonly wrappedKeyBytes: number
  readonly headerBytes: number
} {
  return {
    format: `sealwire/1 stream v${header.bytes[8]}`,
    contentAlgorithm: 'A256GCM',
    keyWrapAlgorithm: header.suite.kmsAlgorithm,
    segmentBytes: header.segmentBytes,
    fileId: toHex(header.fileId),
    pinId: toHex(header.pinId),
    wrappedKeyBytes: header.wrapped.length,
    headerBytes: header.bytes.length,
  }
}
