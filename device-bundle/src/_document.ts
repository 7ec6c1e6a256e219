/**
 * Reads one JSON file of a bundle (internal): bytes with a size cap and a non-blocking type check,
 * strict UTF-8, strict JSON (no duplicate keys, no comments), then a TypeBox schema. Every refusal
 * is a {@link BundleError} whose message starts with the file name; a schema failure is worded per
 * field, so the message names what is wrong in the file's own terms.
 */
import type { Static, TSchema } from '@sinclair/typebox'
import type { CompiledSchema } from '../../platform/src/index.ts'
import {
  IoError,
  JsonInvalidError,
  parseStrictJson,
  readFileBounded,
  SchemaInvalidError,
  shown,
} from '../../platform/src/index.ts'
import { BundleError } from './errors.ts'

/** How to word a schema failure at a JSON Pointer, given the offending value. */
export type FieldMessages = Readonly<Record<string, (value: unknown) => string>>

/** Throws `ERR_BUNDLE_CORRUPT` for `file`. */
export function corrupt(file: string, detail: string, cause?: unknown): never {
  throw new BundleError('ERR_BUNDLE_CORRUPT', `${file}: ${detail}`, { cause })
}

/**
 * The bytes of bundle file `path`: missing is `ERR_BUNDLE_MISSING`; not a regular file (a folder,
 * a FIFO: refused at once, never waited on) or over `maxBytes` is `ERR_BUNDLE_CORRUPT`; anything
 * else is platform's `ERR_IO`.
 */
export async function readBundleFile(path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readFileBounded(path, maxBytes)
  } catch (err) {
    if (err instanceof IoError) {
      if (err.reason === 'missing') {
        throw new BundleError('ERR_BUNDLE_MISSING', `${shown(path, 200)} is missing`, {
          cause: err,
        })
      }
      if (err.reason === 'not-regular' || err.reason === 'too-large') {
        throw new BundleError('ERR_BUNDLE_CORRUPT', err.message, { cause: err })
      }
    }
    throw err
  }
}

/** `bytes` as UTF-8 text, or `ERR_BUNDLE_CORRUPT` naming `file`. */
export function utf8Text(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (err) {
    return corrupt(file, 'not UTF-8', err)
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let value = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function schemaMessage(err: SchemaInvalidError, root: unknown, messages: FieldMessages): string {
  const pointer = err.pointer
  if (pointer === '') return 'not a JSON object'
  const detail = err.message.slice(pointer.length + 2)
  const cut = pointer.lastIndexOf('/')
  const parent = pointer.slice(1, cut).replace(/\//g, '.')
  const where = parent === '' ? '' : `${parent}: `
  const name = pointer.slice(cut + 1)
  if (detail === 'Unexpected property') return `${where}unknown field ${shown(name)}`
  if (detail === 'Expected required property') return `${where}missing field ${shown(name)}`
  const describe = messages[pointer]
  if (describe !== undefined) return describe(valueAt(root, pointer))
  return `${pointer.slice(1).replace(/\//g, '.')}: ${detail}`
}

/**
 * Parses `text` as the JSON document `file` and checks it against `schema`.
 *
 * @throws {BundleError} `ERR_BUNDLE_CORRUPT` naming the first problem.
 */
export function parseDocument<T extends TSchema>(
  text: string,
  file: string,
  schema: CompiledSchema<T>,
  messages: FieldMessages,
): Static<T> {
  let value: unknown
  try {
    value = parseStrictJson(text)
  } catch (err) {
    if (!(err instanceof JsonInvalidError)) throw err
    // A key given twice is refused: JSON.parse keeps the last, so two readers could disagree.
    const why = err.message.startsWith('duplicate key') ? '' : 'not valid JSON: '
    return corrupt(file, `${why}${err.message}`, err)
  }
  try {
    return schema.parse(value)
  } catch (err) {
    if (!(err instanceof SchemaInvalidError)) throw err
    return corrupt(file, schemaMessage(err, value, messages), err)
  }
}
