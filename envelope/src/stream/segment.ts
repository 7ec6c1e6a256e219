/**
 * Segments of a `sealwire/1` stream (`envelope/STREAM.md` §3, the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár, as age and Tink's streaming AEAD use it).
 *
 * Segment i (from 0) is AES-256-GCM under the file's CEK with
 * nonce = file id[0..7) ‖ uint32be(i) ‖ (0x01 for the final segment, else 0x00) and
 * AAD = SHA-256(header bytes). Every segment but the last holds exactly S plaintext bytes; the
 * last holds 1..S, or 0 only when it is the only one (an empty file). So the segment count of a
 * stream follows from its length alone, and a reader with random access can check the final
 * segment before it releases anything.
 *
 * @example
 * ```ts
 * const layout = streamLayout(fileSize, header) // { segments, lastOffset, lastBytes, plaintextBytes }
 * ```
 */
import { DecryptionFailedError } from '../errors.ts'
import { TAG_BYTES } from '../crypto/aead.ts'
import type { StreamHeader } from './header.ts'

/** Most segments one stream may hold: the counter is 32 bits. */
export const MAX_SEGMENTS = 2 ** 32

/**
 * Writes segment `index`'s nonce into `out` (12 bytes).
 *
 * @example
 * ```ts
 * segmentNonce(nonce, header.fileId, 0, true)
 * ```
 */
export function segmentNonce(
  out: Uint8Array,
  fileId: Uint8Array,
  index: number,
  final: boolean,
): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SEGMENTS) {
    throw new RangeError(`segment index: 0 to 2^32 − 1, got ${index}`)
  }
  out.set(fileId.subarray(0, 7), 0)
  out[7] = index >>> 24
  out[8] = (index >>> 16) & 0xff
  out[9] = (index >>> 8) & 0xff
  out[10] = index & 0xff
  out[11] = final ? 1 : 0
  return out
}

/** Where the segments of a stream of known length are. */
export interface StreamLayout {
  /** Number of segments (at least 1). */
  readonly segments: number
  /** Offset of the final segment from the start of the stream (header included). */
  readonly lastOffset: number
  /** Sealed bytes of the final segment (its plaintext + 16). */
  readonly lastBytes: number
  /** Plaintext bytes of the whole stream. */
  readonly plaintextBytes: number
}

/**
 * The layout of a stream of `totalBytes` (header included). A length no complete stream can
 * have (cut inside the tag of the last segment, or right after a full segment that leaves an
 * empty final one) is the opaque error: it is a truncation or an extension.
 *
 * @throws {DecryptionFailedError} `ERR_DECRYPTION_FAILED` for an impossible length.
 * @example
 * ```ts
 * streamLayout(296 + 16, header) // { segments: 1, lastOffset: 296, lastBytes: 16, plaintextBytes: 0 }
 * ```
 */
export function streamLayout(totalBytes: number, header: StreamHeader): StreamLayout {
  const sealed = header.segmentBytes + TAG_BYTES
  const body = totalBytes - header.bytes.length
  if (!Number.isSafeInteger(body) || body < TAG_BYTES) throw new DecryptionFailedError()
  const segments = Math.ceil(body / sealed)
  const lastBytes = body - (segments - 1) * sealed
  if (lastBytes < TAG_BYTES || (segments > 1 && lastBytes === TAG_BYTES)) {
    throw new DecryptionFailedError()
  }
  if (segments > MAX_SEGMENTS) throw new DecryptionFailedError()
  return {
    segments,
    lastOffset: header.bytes.length + (segments - 1) * sealed,
    lastBytes,
    plaintextBytes: (segments - 1) * header.segmentBytes + lastBytes - TAG_BYTES,
  }
}
