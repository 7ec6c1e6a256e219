/**
 * The key announcement's payload: the epoch's metadata, as a CBOR map with integer keys in
 * deterministic order.
 *
 * `{1: device id (tstr), 2: first sequence number (uint), 3: boot count (uint), 4: agent version
 * (tstr)}`. The first sequence number is the announcement's own.
 *
 * @example
 * ```ts
 * decodeMetadata(encodeMetadata({ deviceId: 'd1', firstSeq: 7, bootCount: 2, agentVersion: '0.1.0' }))
 * ```
 */
import type { CborValue } from './cbor/decode.ts'
import { decodeCbor } from './cbor/decode.ts'
import { encodeCbor } from './cbor/encoder.ts'
import { EnvelopeError, EnvelopeInvalidError } from './errors.ts'

/** An epoch's metadata, sent in its key announcement. */
export interface EpochMetadata {
  readonly deviceId: string
  readonly firstSeq: number
  readonly bootCount: number
  readonly agentVersion: string
}

const METADATA_LIMITS = Object.freeze({
  maxBytes: 1024,
  maxDepth: 2,
  maxItems: 9,
  allowedTags: Object.freeze([] as number[]),
})

/**
 * Encodes metadata deterministically.
 *
 * @example
 * ```ts
 * encodeMetadata(meta) // a4 01 … 02 … 03 … 04 …
 * ```
 */
export function encodeMetadata(meta: EpochMetadata): Uint8Array {
  if (typeof meta.deviceId !== 'string') throw new TypeError('deviceId: expected a string')
  if (!Number.isSafeInteger(meta.firstSeq) || meta.firstSeq < 0) {
    throw new RangeError('firstSeq: expected a non-negative integer')
  }
  if (!Number.isSafeInteger(meta.bootCount) || meta.bootCount < 0) {
    throw new RangeError('bootCount: expected a non-negative integer')
  }
  if (typeof meta.agentVersion !== 'string') throw new TypeError('agentVersion: expected a string')
  return encodeCbor(
    new Map<number, string | number>([
      [1, meta.deviceId],
      [2, meta.firstSeq],
      [3, meta.bootCount],
      [4, meta.agentVersion],
    ]),
  )
}

/**
 * Decodes and checks metadata.
 *
 * @throws {EnvelopeInvalidError} `ERR_ENVELOPE_INVALID` when it is not exactly the map above
 *   (including bytes that are not deterministic CBOR).
 * @example
 * ```ts
 * decodeMetadata(opened.plaintext).bootCount
 * ```
 */
export function decodeMetadata(bytes: Uint8Array): EpochMetadata {
  let map: CborValue
  try {
    map = decodeCbor(bytes, METADATA_LIMITS)
  } catch (err) {
    // A fixed message with no cause: the decoder's detail would describe decrypted bytes.
    if (err instanceof EnvelopeError) {
      throw new EnvelopeInvalidError('announcement metadata is not deterministic CBOR')
    }
    throw err
  }
  if (!(map instanceof Map) || map.size !== 4) {
    throw new EnvelopeInvalidError('announcement metadata must be a map of 4 entries')
  }
  const deviceId = map.get(1)
  const firstSeq = map.get(2)
  const bootCount = map.get(3)
  const agentVersion = map.get(4)
  if (
    typeof deviceId !== 'string' ||
    typeof firstSeq !== 'number' ||
    firstSeq < 0 ||
    typeof bootCount !== 'number' ||
    bootCount < 0 ||
    typeof agentVersion !== 'string'
  ) {
    throw new EnvelopeInvalidError('announcement metadata has a missing or mistyped field')
  }
  return Object.freeze({ deviceId, firstSeq, bootCount, agentVersion })
}
