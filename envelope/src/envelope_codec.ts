/**
 * The `sealwire/1` profile over the generic COSE layer: strict parsing of a message into its
 * parts, before any key is touched.
 *
 * Accepts exactly the two layouts of the spec (see `envelope/README.md`): tag 16 with
 * `[h'a10103', {4: epoch id (8 bytes), 6: Partial IV}, ciphertext]`, or tag 96 with
 * `[h'a10103', {6: Partial IV}, ciphertext, [[h'', {1: -41, 4: pin id (8 bytes)}, wrapped CEK]]]`.
 * No other label, tag, algorithm or layout. An algorithm other than A256GCM / RSA-OAEP-256 is
 * `ERR_ENVELOPE_UNSUPPORTED_ALG`; anything else off-profile is `ERR_ENVELOPE_INVALID`.
 *
 * @example
 * ```ts
 * const parsed = parseEnvelope(bytes, defaultDecodeLimits)
 * if (parsed.form === 'compact') console.log(toHex(parsed.epochId), parsed.seq)
 * ```
 */
import type { CborMap, CborValue, DecodeLimits } from './cbor/decode.ts'
import type { CoseRecipient } from './cose/structure.ts'
import { decodeCoseMessage } from './cose/structure.ts'
import { TAG_BYTES } from './crypto/aead.ts'
import { MAX_SEQUENCE, readPartialIv } from './crypto/nonce.ts'
import { EPOCH_ID_BYTES, PROTECTED_HEADER } from './epoch.ts'
import { EnvelopeInvalidError, UnsupportedAlgorithmError } from './errors.ts'
import {
  ALG_A256GCM,
  ALG_RSA_OAEP_256,
  LABEL_ALG,
  LABEL_KID,
  LABEL_PARTIAL_IV,
  TAG_ENCRYPT0,
} from './suites.ts'

/** A parsed compact message. */
export interface ParsedCompact {
  readonly form: 'compact'
  readonly epochId: Uint8Array
  readonly seq: number
  /** Ciphertext ‖ tag. */
  readonly ciphertext: Uint8Array
}

/** A parsed full message. */
export interface ParsedFull {
  readonly form: 'full'
  readonly seq: number
  readonly ciphertext: Uint8Array
  /** The recipient kid: the pin id of the KMS key. */
  readonly kid: Uint8Array
  /** The recipient ciphertext: the wrapped CEK, as KMS `Decrypt` takes it. */
  readonly wrapped: Uint8Array
}

/** Either form. */
export type ParsedEnvelope = ParsedCompact | ParsedFull

const ALLOWED_WRAPPED_BYTES = [256, 384, 512]
const KNOWN_PROTECTED = Object.freeze({
  bytes: PROTECTED_HEADER,
  map: new Map([[LABEL_ALG, ALG_A256GCM]]) as CborMap,
})

function invalid(detail: string): never {
  throw new EnvelopeInvalidError(detail)
}

function bstr(value: CborValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${what} must be a byte string`)
  return value
}

function checkContentHeaders(protectedMap: CborMap): void {
  if (protectedMap === KNOWN_PROTECTED.map) return
  const alg = protectedMap.get(LABEL_ALG)
  if (alg !== undefined && alg !== ALG_A256GCM) throw new UnsupportedAlgorithmError('content', alg)
  invalid('protected header must be exactly {1: 3}')
}

function checkLabels(map: CborMap, labels: readonly number[], what: string): void {
  if (map.size !== labels.length || !labels.every((l) => map.has(l))) {
    invalid(`${what} must hold exactly the labels ${labels.join(', ')}`)
  }
}

function checkRecipient(r: CoseRecipient): { kid: Uint8Array; wrapped: Uint8Array } {
  if (r.protected.length !== 0) invalid('the recipient protected header must be empty')
  const alg = r.unprotected.get(LABEL_ALG)
  if (alg !== undefined && alg !== ALG_RSA_OAEP_256)
    throw new UnsupportedAlgorithmError('recipient', alg)
  checkLabels(r.unprotected, [LABEL_ALG, LABEL_KID], 'the recipient header')
  const kid = bstr(r.unprotected.get(LABEL_KID), 'recipient kid')
  if (kid.length !== 8) invalid('recipient kid must be 8 bytes')
  if (!ALLOWED_WRAPPED_BYTES.includes(r.ciphertext.length)) {
    invalid('wrapped key must be 256, 384 or 512 bytes')
  }
  return { kid, wrapped: r.ciphertext }
}

/**
 * Parses a message of either form.
 *
 * @throws {EnvelopeError} `ERR_ENVELOPE_MALFORMED`, `ERR_ENVELOPE_LIMIT`, `ERR_ENVELOPE_INVALID`,
 *   `ERR_ENVELOPE_UNSUPPORTED_ALG`.
 * @example
 * ```ts
 * parseEnvelope(bytes, defaultDecodeLimits).form // 'compact' | 'full'
 * ```
 */
export function parseEnvelope(bytes: Uint8Array, limits: DecodeLimits): ParsedEnvelope {
  if (
    bytes instanceof Uint8Array &&
    bytes.length <= limits.maxBytes &&
    limits.maxItems >= COMPACT_ITEMS &&
    limits.maxDepth >= COMPACT_DEPTH &&
    limits.allowedTags.includes(TAG_ENCRYPT0)
  ) {
    const fast = parseCanonicalCompact(bytes)
    if (fast) return fast
  }
  return parseEnvelopeStrict(bytes, limits)
}

// The compact form's canonical prefix: tag 16, array(3), bstr(3) {1: 3}, map(2), 4: bstr(8).
const COMPACT_PREFIX = Uint8Array.of(0xd0, 0x83, 0x43, 0xa1, 0x01, 0x03, 0xa2, 0x04, 0x48)
// Items and nesting depth of a compact message, as the strict decoder counts them.
const COMPACT_ITEMS = 9
const COMPACT_DEPTH = 3

/**
 * The hot path for the one byte layout an honest sealer emits for the compact form (see the
 * README's table): when the bytes are exactly that canonical encoding, the result is the one the
 * strict decoder would give, without building maps. Anything else returns `undefined` and goes
 * through {@link parseEnvelopeStrict}, which reports the precise error.
 */
function parseCanonicalCompact(b: Uint8Array): ParsedCompact | undefined {
  if (b.length < COMPACT_PREFIX.length + 8 + 3 + 1 + TAG_BYTES) return undefined
  for (let i = 0; i < COMPACT_PREFIX.length; i++) if (b[i] !== COMPACT_PREFIX[i]) return undefined
  if (b[17] !== LABEL_PARTIAL_IV) return undefined
  const n = b[18]! - 0x40
  if (n < 1 || n > 7 || (n > 1 && b[19] === 0)) return undefined
  let at = 19 + n
  const head = b[at]
  if (head === undefined || head >>> 5 !== 2) return undefined
  const ai = head & 0x1f
  let length: number
  if (ai < 24) {
    length = ai
    at += 1
  } else if (ai === 24) {
    length = b[at + 1]!
    if (length < 24) return undefined
    at += 2
  } else if (ai === 25) {
    length = (b[at + 1]! << 8) | b[at + 2]!
    if (length < 0x100) return undefined
    at += 3
  } else {
    return undefined
  }
  if (length < TAG_BYTES || at + length !== b.length) return undefined
  // The Partial IV in place (what readPartialIv checks: 1 to 7 bytes, minimal, at most 2^53 − 1).
  let seq = 0
  for (let i = 19; i < 19 + n; i++) seq = seq * 256 + b[i]!
  if (seq > MAX_SEQUENCE) return undefined
  return { form: 'compact', epochId: b.subarray(9, 17), seq, ciphertext: b.subarray(at) }
}

/**
 * {@link parseEnvelope} without the compact fast path: decodes through the strict CBOR decoder
 * and the generic COSE layer. Exported for the tests that check both paths agree.
 *
 * @example
 * ```ts
 * parseEnvelopeStrict(bytes, limits) // deep-equals parseEnvelope(bytes, limits)
 * ```
 */
export function parseEnvelopeStrict(bytes: Uint8Array, limits: DecodeLimits): ParsedEnvelope {
  const msg = decodeCoseMessage(bytes, limits, { knownProtected: KNOWN_PROTECTED })
  checkContentHeaders(msg.protectedMap)
  if (msg.ciphertext.length < TAG_BYTES) invalid('ciphertext shorter than the tag')
  const h = msg.unprotected
  if (msg.tag === TAG_ENCRYPT0) {
    checkLabels(h, [LABEL_KID, LABEL_PARTIAL_IV], 'the compact unprotected header')
    const epochId = bstr(h.get(LABEL_KID), 'epoch id')
    if (epochId.length !== EPOCH_ID_BYTES) invalid('epoch id must be 8 bytes')
    const seq = readPartialIv(bstr(h.get(LABEL_PARTIAL_IV), 'Partial IV'))
    return { form: 'compact', epochId, seq, ciphertext: msg.ciphertext }
  }
  checkLabels(h, [LABEL_PARTIAL_IV], 'the full unprotected header')
  const seq = readPartialIv(bstr(h.get(LABEL_PARTIAL_IV), 'Partial IV'))
  if (msg.recipients!.length !== 1) invalid('a full message has exactly one recipient')
  const { kid, wrapped } = checkRecipient(msg.recipients![0]!)
  return { form: 'full', seq, ciphertext: msg.ciphertext, kid, wrapped }
}
