/**
 * The file format of one dead letter in a folder (normative text: `consumer/README.md`, "Dead
 * letters (format)"): two lines of UTF-8 text,
 *
 * ```
 * {"format":"sealwire-dead-letter/1","topic":"…","reason":"…","detail":"…","at":1700000000000,"size":123,"sha256":"<64 hex>"}
 * <the message bytes, standard base64 with padding>
 * ```
 *
 * named `<id>.letter`, id = `<at, 16 decimal digits>-<counter, 8 hex>-<random, 8 hex>`, so names
 * sort by the time the message was received. `size` and `sha256` are of the bytes: a file cut
 * short or changed does not decode.
 *
 * @example
 * ```ts
 * const text = encodeLetter(letter)
 * decodeLetter(text, id, path).bytes // = letter.bytes
 * ```
 */
import { createHash, randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { compileSchema, parseStrictJson, plain } from '../../../platform/src/index.ts'
import { DEAD_LETTER_REASONS } from './dead_letter_store.ts'
import type { DeadLetter, NewDeadLetter } from './dead_letter_store.ts'
import { DeadLetterError } from './errors.ts'

/** The `format` of every letter file this version writes and reads. */
export const LETTER_FORMAT = 'sealwire-dead-letter/1'
/** The file name suffix. */
export const LETTER_SUFFIX = '.letter'

const ID = /^\d{16}-[0-9a-f]{8}-[0-9a-f]{8}$/

const Header = Type.Object(
  {
    format: Type.Literal(LETTER_FORMAT),
    topic: Type.String(),
    reason: Type.Union(DEAD_LETTER_REASONS.map((r) => Type.Literal(r))),
    detail: Type.String(),
    at: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
)
const checkHeader = compileSchema(Header)

/** A new id for a letter received at `at`; `counter` orders ties within one store. */
export function newLetterId(at: number, counter: number): string {
  const c = (counter >>> 0).toString(16).padStart(8, '0')
  return `${String(at).padStart(16, '0')}-${c}-${randomBytes(4).toString('hex')}`
}

/** True for an id this format makes (so an id from elsewhere never names a path). */
export function isLetterId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id)
}

/** The id of a file name, or undefined for any other file (temporaries, strangers). */
export function idOfFileName(name: string): string | undefined {
  if (!name.endsWith(LETTER_SUFFIX)) return undefined
  const id = name.slice(0, -LETTER_SUFFIX.length)
  return isLetterId(id) ? id : undefined
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The file text of a letter. */
export function encodeLetter(letter: NewDeadLetter): string {
  const header = {
    format: LETTER_FORMAT,
    topic: letter.topic,
    reason: letter.reason,
    detail: letter.detail,
    at: letter.at,
    size: letter.bytes.length,
    sha256: sha256Hex(letter.bytes),
  }
  const b64 = Buffer.from(letter.bytes.buffer, letter.bytes.byteOffset, letter.bytes.length)
  return `${JSON.stringify(header)}\n${b64.toString('base64')}\n`
}

/**
 * The letter in a file's text.
 *
 * @throws {DeadLetterError} `ERR_DEAD_LETTER_INVALID` naming `where` for anything but a whole,
 *   intact letter of this format.
 */
export function decodeLetter(text: string, id: string, where: string): DeadLetter {
  const invalid = (why: string, cause?: unknown) =>
    new DeadLetterError('ERR_DEAD_LETTER_INVALID', `${where}: ${why}`, { cause })
  const lines = text.split('\n')
  if (lines.length !== 3 || lines[2] !== '') {
    throw invalid('not a dead letter (expected a header line and a base64 line)')
  }
  let header
  try {
    header = checkHeader.parse(parseStrictJson(lines[0]!))
  } catch (err) {
    throw invalid(`bad header: ${plain((err as Error).message)}`, err)
  }
  const b64 = lines[1]!
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw invalid('bytes are not base64')
  }
  const bytes = Uint8Array.from(Buffer.from(b64, 'base64'))
  if (bytes.length !== header.size || sha256Hex(bytes) !== header.sha256) {
    throw invalid('bytes do not match their size and sha256')
  }
  return {
    id,
    topic: header.topic,
    bytes,
    reason: header.reason,
    detail: header.detail,
    at: header.at,
  }
}
