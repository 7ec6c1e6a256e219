/**
 * The generic COSE layer under the profile: COSE_Encrypt0 and COSE_Encrypt structures (RFC 9052
 * §5.1, §5.2) and the `Enc_structure` that is their AAD (§5.3).
 *
 * It checks structure only: array sizes, byte-string fields, header maps (a protected header is a
 * serialized map, or empty), no label in both buckets (§3), and no critical header (label 2),
 * since this implementation understands none beyond the basics. Algorithms are for the caller
 * (the profile in `envelope_codec.ts` accepts exactly one suite). Tests also run the COSE WG
 * examples through this layer.
 *
 * @example
 * ```ts
 * const msg = decodeCoseMessage(bytes, defaultDecodeLimits)
 * const aad = encodeEncStructure(msg.tag === 16 ? 'Encrypt0' : 'Encrypt', msg.aadProtected, extAad)
 * ```
 */
import type { CborMap, CborValue, DecodeLimits } from '../cbor/decode.ts'
import { decodeCbor } from '../cbor/decode.ts'
import { encodeCbor } from '../cbor/encoder.ts'
import { EnvelopeInvalidError } from '../errors.ts'
import { TAG_ENCRYPT, TAG_ENCRYPT0 } from '../suites.ts'

/** One recipient of a COSE_Encrypt. */
export interface CoseRecipient {
  readonly protected: Uint8Array
  readonly protectedMap: CborMap
  readonly unprotected: CborMap
  readonly ciphertext: Uint8Array
}

/** A decoded COSE_Encrypt0 (tag 16) or COSE_Encrypt (tag 96). */
export interface CoseMessage {
  readonly tag: typeof TAG_ENCRYPT0 | typeof TAG_ENCRYPT
  /** The serialized protected header, exactly as sent (it is part of the AAD). */
  readonly protected: Uint8Array
  /**
   * The `body_protected` of the Enc_structure: {@link protected}, or a zero-length string when the
   * map is empty even if it was sent as `a0` (RFC 9052 §5.3).
   */
  readonly aadProtected: Uint8Array
  readonly protectedMap: CborMap
  readonly unprotected: CborMap
  readonly ciphertext: Uint8Array
  /** Present for COSE_Encrypt. */
  readonly recipients?: readonly CoseRecipient[]
}

const PROTECTED_LIMITS: DecodeLimits = Object.freeze({
  maxBytes: 1024,
  maxDepth: 4,
  maxItems: 64,
  allowedTags: Object.freeze([] as number[]),
})

const EMPTY_MAP: CborMap = new Map()

/** Label 2: crit. */
const LABEL_CRIT = 2

function invalid(detail: string): never {
  throw new EnvelopeInvalidError(detail)
}

function asBytes(value: CborValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${what} must be a byte string`)
  return value
}

function asMap(value: CborValue | undefined, what: string): CborMap {
  if (!(value instanceof Map)) invalid(`${what} must be a map`)
  return value
}

/** The protected header's map: an empty byte string is the empty map (RFC 9052 §3). */
function protectedMapOf(bytes: Uint8Array, cached?: { bytes: Uint8Array; map: CborMap }): CborMap {
  if (bytes.length === 0) return EMPTY_MAP
  if (
    cached &&
    bytes.length === cached.bytes.length &&
    bytes.every((b, i) => b === cached.bytes[i])
  ) {
    return cached.map
  }
  return asMap(decodeCbor(bytes, PROTECTED_LIMITS), 'the protected header')
}

function checkBuckets(protectedMap: CborMap, unprotected: CborMap, where: string): void {
  if (protectedMap.has(LABEL_CRIT) || unprotected.has(LABEL_CRIT)) {
    invalid(`${where}: critical headers (label 2) are not supported`)
  }
  for (const label of unprotected.keys()) {
    if (protectedMap.has(label)) invalid(`${where}: label ${label} is in both header buckets`)
  }
}

function readLayer(
  body: readonly CborValue[],
  where: string,
  cached?: { bytes: Uint8Array; map: CborMap },
): Omit<CoseMessage, 'tag' | 'recipients' | 'aadProtected'> {
  const protectedBytes = asBytes(body[0], `${where} protected header`)
  const protectedMap = protectedMapOf(protectedBytes, cached)
  const unprotected = asMap(body[1], `${where} unprotected header`)
  checkBuckets(protectedMap, unprotected, where)
  const ciphertext = asBytes(body[2], `${where} ciphertext`)
  return { protected: protectedBytes, protectedMap, unprotected, ciphertext }
}

function aadProtectedOf(layer: { protected: Uint8Array; protectedMap: CborMap }): Uint8Array {
  return layer.protectedMap.size === 0 ? layer.protected.subarray(0, 0) : layer.protected
}

/** Options of {@link decodeCoseMessage}. */
export interface CoseDecodeOptions {
  /** Accept an untagged structure as this type (COSE allows it when the type is known). */
  readonly untagged?: typeof TAG_ENCRYPT0 | typeof TAG_ENCRYPT
  /** A protected header whose decoded map is known: skips decoding it again (the hot path). */
  readonly knownProtected?: { bytes: Uint8Array; map: CborMap }
}

/**
 * Decodes a COSE_Encrypt0 or COSE_Encrypt message strictly.
 *
 * @throws {EnvelopeError} `ERR_ENVELOPE_MALFORMED`, `ERR_ENVELOPE_LIMIT` (CBOR level) or
 *   `ERR_ENVELOPE_INVALID` (COSE structure).
 * @example
 * ```ts
 * decodeCoseMessage(bytes, { ...defaultDecodeLimits }, { untagged: 96 }).recipients?.length
 * ```
 */
export function decodeCoseMessage(
  bytes: Uint8Array,
  limits: DecodeLimits,
  options: CoseDecodeOptions = {},
): CoseMessage {
  const top = decodeCbor(bytes, limits)
  let tag: number
  let body: CborValue
  if (typeof top === 'object' && top !== null && 'tag' in top) {
    tag = top.tag
    body = top.value
  } else if (options.untagged !== undefined) {
    tag = options.untagged
    body = top
  } else {
    invalid('a message must be tagged COSE_Encrypt0 (16) or COSE_Encrypt (96)')
  }
  if (tag !== TAG_ENCRYPT0 && tag !== TAG_ENCRYPT)
    invalid(`tag ${tag} is not a COSE encryption message`)
  if (!Array.isArray(body)) invalid('the COSE body must be an array')
  if (tag === TAG_ENCRYPT0) {
    if (body.length !== 3) invalid('COSE_Encrypt0 must have 3 elements')
    const layer = readLayer(body, 'content', options.knownProtected)
    return { tag, ...layer, aadProtected: aadProtectedOf(layer) }
  }
  if (body.length !== 4) invalid('COSE_Encrypt must have 4 elements')
  const layer = readLayer(body, 'content', options.knownProtected)
  const list = body[3]
  if (!Array.isArray(list) || list.length === 0) invalid('recipients must be a non-empty array')
  const recipients = list.map((r, i): CoseRecipient => {
    if (!Array.isArray(r) || r.length !== 3) invalid(`recipient ${i} must have 3 elements`)
    return readLayer(r, `recipient ${i}`)
  })
  return { tag, ...layer, aadProtected: aadProtectedOf(layer), recipients }
}

/**
 * `Enc_structure = [context, body_protected, external_aad]` (RFC 9052 §5.3), deterministically
 * encoded.
 *
 * @example
 * ```ts
 * encodeEncStructure('Encrypt0', Uint8Array.of(0xa1, 0x01, 0x03), new Uint8Array(0))
 * ```
 */
export function encodeEncStructure(
  context: 'Encrypt' | 'Encrypt0',
  protectedBytes: Uint8Array,
  externalAad: Uint8Array,
): Uint8Array {
  return encodeCbor([context, protectedBytes, externalAad])
}
