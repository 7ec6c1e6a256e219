/**
 * Strict parsing of a `sealwire/1` message into its parts, before any key is touched.
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
import { equalBytes } from './_bytes.ts'
import type { CborMap, CborValue, DecodeLimits } from './cbor/decode.ts'
import { decodeCbor } from './cbor/decode.ts'
import { TAG_BYTES } from './crypto/aead.ts'
import { readPartialIv } from './crypto/nonce.ts'
import { EPOCH_ID_BYTES, PROTECTED_HEADER } from './epoch.ts'
import { EnvelopeInvalidError, UnsupportedAlgorithmError } from './errors.ts'
import {
  ALG_A256GCM,
  ALG_RSA_OAEP_256,
  LABEL_ALG,
  LABEL_KID,
  LABEL_PARTIAL_IV,
  TAG_ENCRYPT,
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

function invalid(detail: string): never {
  throw new EnvelopeInvalidError(detail)
}

function bstr(value: CborValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${what} must be a byte string`)
  return value
}

function checkProtected(value: CborValue | undefined): void {
  const bytes = bstr(value, 'protected header')
  if (equalBytes(bytes, PROTECTED_HEADER)) return
  let map: CborValue
  try {
    map = decodeCbor(bytes, { maxBytes: 64, maxDepth: 2, maxItems: 16, allowedTags: [] })
  } catch {
    invalid('protected header must be {1: 3}')
  }
  if (map instanceof Map && map.has(LABEL_ALG) && map.get(LABEL_ALG) !== ALG_A256GCM) {
    throw new UnsupportedAlgorithmError('content', map.get(LABEL_ALG))
  }
  invalid('protected header must be {1: 3}')
}

function checkLabels(map: CborMap, labels: readonly number[], what: string): void {
  if (map.size !== labels.length || !labels.every((l) => map.has(l))) {
    invalid(`${what} must hold exactly the labels ${labels.join(', ')}`)
  }
}

function headerMap(value: CborValue | undefined, what: string): CborMap {
  if (!(value instanceof Map)) invalid(`${what} must be a map`)
  return value
}

function ciphertextOf(value: CborValue | undefined): Uint8Array {
  const ct = bstr(value, 'ciphertext')
  if (ct.length < TAG_BYTES) invalid('ciphertext shorter than the tag')
  return ct
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
  const top = decodeCbor(bytes, limits)
  if (typeof top !== 'object' || top === null || !('tag' in top)) {
    invalid('a message must be tagged COSE_Encrypt0 (16) or COSE_Encrypt (96)')
  }
  const body = top.value
  if (!Array.isArray(body)) invalid('the COSE body must be an array')
  if (top.tag === TAG_ENCRYPT0) {
    if (body.length !== 3) invalid('COSE_Encrypt0 must have 3 elements')
    checkProtected(body[0])
    const unprotected = headerMap(body[1], 'unprotected header')
    checkLabels(unprotected, [LABEL_KID, LABEL_PARTIAL_IV], 'the compact unprotected header')
    const epochId = bstr(unprotected.get(LABEL_KID), 'epoch id')
    if (epochId.length !== EPOCH_ID_BYTES) invalid('epoch id must be 8 bytes')
    const seq = readPartialIv(bstr(unprotected.get(LABEL_PARTIAL_IV), 'Partial IV'))
    return { form: 'compact', epochId, seq, ciphertext: ciphertextOf(body[2]) }
  }
  if (top.tag !== TAG_ENCRYPT) invalid(`tag ${top.tag} is not a sealwire/1 message`)
  if (body.length !== 4) invalid('COSE_Encrypt must have 4 elements')
  checkProtected(body[0])
  const unprotected = headerMap(body[1], 'unprotected header')
  checkLabels(unprotected, [LABEL_PARTIAL_IV], 'the full unprotected header')
  const seq = readPartialIv(bstr(unprotected.get(LABEL_PARTIAL_IV), 'Partial IV'))
  const ciphertext = ciphertextOf(body[2])
  const recipients = body[3]
  if (!Array.isArray(recipients) || recipients.length !== 1) invalid('exactly one recipient')
  const recipient = recipients[0]
  if (!Array.isArray(recipient) || recipient.length !== 3) invalid('a recipient has 3 elements')
  if (bstr(recipient[0], 'recipient protected header').length !== 0) {
    invalid('the recipient protected header must be empty')
  }
  const rh = headerMap(recipient[1], 'recipient unprotected header')
  if (rh.has(LABEL_ALG) && rh.get(LABEL_ALG) !== ALG_RSA_OAEP_256) {
    throw new UnsupportedAlgorithmError('recipient', rh.get(LABEL_ALG))
  }
  checkLabels(rh, [LABEL_ALG, LABEL_KID], 'the recipient header')
  const kid = bstr(rh.get(LABEL_KID), 'recipient kid')
  if (kid.length !== 8) invalid('recipient kid must be 8 bytes')
  const wrapped = bstr(recipient[2], 'wrapped key')
  if (!ALLOWED_WRAPPED_BYTES.includes(wrapped.length)) {
    invalid('wrapped key must be 256, 384 or 512 bytes')
  }
  return { form: 'full', seq, ciphertext, kid, wrapped }
}
