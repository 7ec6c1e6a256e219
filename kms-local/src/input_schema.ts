/**
 * Request members as data, and their decoding from JSON 1.1. Each operation declares its input
 * members here in the vocabulary of the KMS model (shape type, `min`/`max`, `enum`, `pattern`,
 * `required`; a test compares them with the model), and they are checked with a **TypeBox**
 * schema built from them and compiled once per operation (platform's `compileSchema`).
 *
 * Decoding has two steps:
 * 1. `fromWire` undoes the JSON 1.1 encodings, guided by the members: a blob's base64 string
 *    becomes bytes, a timestamp's epoch seconds a `Date`; JSON `null` members and unknown members
 *    are dropped (AWS ignores them). A value of another JSON type is left as it is, for step 2.
 * 2. The TypeBox schema checks the result: types, required members, lengths (of blobs: in bytes),
 *    ranges, enums, patterns (matched whole, as AWS's Java `matches` does), and that a timestamp
 *    is a representable time. TypeBox's errors become what AWS answers:
 *    - a value of the wrong JSON type, or a blob that is not base64, is a `SerializationException`
 *      (the first one, in member order);
 *    - otherwise a missing required member, a length, range, enum or pattern violation, or an
 *      out-of-range timestamp, is a `ValidationException` whose message lists every violation in
 *      the AWS wording, in member order (`1 validation error detected: Value null at 'keyId'
 *      failed to satisfy constraint: Member must not be null`).
 *
 * Blob, list, map, structure and timestamp values are never quoted in a message; quoted strings
 * are escaped and cut by platform's sanitizer.
 *
 * @example
 * ```ts
 * const members = { KeyId: { type: 'string', required: true, min: 1, max: 2048 } } as const
 * decodeInput(members, { KeyId: 'alias/x' }) // { KeyId: 'alias/x' }
 * ```
 */
import { Kind, Type, type TObject, type TSchema } from '@sinclair/typebox'
import { Errors, ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import {
  compileSchema,
  plain,
  SHOWN_MAX_CHARS,
  type CompiledSchema,
} from '../../platform/src/index.ts'
import { KmsApiError } from './errors.ts'

interface Common {
  readonly required?: boolean
}
/** A string member. */
export interface StringField extends Common {
  readonly type: 'string'
  readonly min?: number
  readonly max?: number
  readonly enum?: readonly string[]
  readonly pattern?: RegExp
}
/** An integer member. */
export interface IntegerField extends Common {
  readonly type: 'integer'
  readonly min?: number
  readonly max?: number
}
/** A boolean member. */
export interface BooleanField extends Common {
  readonly type: 'boolean'
}
/** A blob member: base64 in JSON, a `Buffer` once decoded. Lengths count decoded bytes. */
export interface BlobField extends Common {
  readonly type: 'blob'
  readonly min?: number
  readonly max?: number
}
/** A timestamp member: epoch seconds in JSON, a `Date` once decoded. */
export interface TimestampField extends Common {
  readonly type: 'timestamp'
}
/** A map of strings to strings (`EncryptionContextType`). */
export interface StringMapField extends Common {
  readonly type: 'map'
}
/** A list member. */
export interface ListField extends Common {
  readonly type: 'list'
  readonly member: FieldSpec
  readonly min?: number
  readonly max?: number
}
/** A structure member. */
export interface StructureField extends Common {
  readonly type: 'structure'
  readonly members: Members
}

/** One member's type and constraints. */
export type FieldSpec =
  | StringField
  | IntegerField
  | BooleanField
  | BlobField
  | TimestampField
  | StringMapField
  | ListField
  | StructureField

/** The members of a request structure, by their model name. */
export type Members = Readonly<Record<string, FieldSpec>>

/** The decoded value of a member. */
export type ValueOf<F> = F extends { type: 'string'; enum: readonly (infer E)[] }
  ? E
  : F extends { type: 'string' }
    ? string
    : F extends { type: 'integer' }
      ? number
      : F extends { type: 'boolean' }
        ? boolean
        : F extends { type: 'blob' }
          ? Buffer
          : F extends { type: 'timestamp' }
            ? Date
            : F extends { type: 'map' }
              ? Record<string, string>
              : F extends { type: 'list'; member: infer M }
                ? ValueOf<M>[]
                : F extends { type: 'structure'; members: infer S extends Members }
                  ? InputOf<S>
                  : never

type RequiredKeys<M extends Members> = {
  [K in keyof M]: M[K] extends { required: true } ? K : never
}[keyof M]

/** The decoded request: required members are present, the others optional. */
export type InputOf<M extends Members> = {
  -readonly [K in RequiredKeys<M>]: ValueOf<M[K]>
} & {
  -readonly [K in Exclude<keyof M, RequiredKeys<M>>]?: ValueOf<M[K]>
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The range of a JavaScript `Date`, ±8.64e15 ms: a timestamp outside it is no time at all. */
const MAX_TIME_MS = 8.64e15

/**
 * The values of an enum of the KMS API as `@aws-sdk/client-kms` exports it (`KeySpec`,
 * `EncryptionAlgorithmSpec`…: frozen `as const` objects generated from the service model), for a
 * string member's `enum`.
 *
 * @example
 * ```ts
 * const member = { type: 'string', enum: enumValues(KeySpec) } as const
 * ```
 */
export function enumValues<const E extends Readonly<Record<string, string>>>(
  values: E,
): readonly E[keyof E][] {
  return Object.freeze(Object.values(values)) as readonly E[keyof E][]
}

// ---------------------------------------------------------------------------------------------
// Step 1: from the JSON 1.1 encodings to values

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fromWire(spec: FieldSpec, raw: unknown): unknown {
  switch (spec.type) {
    case 'blob':
      return typeof raw === 'string' && BASE64.test(raw) ? Buffer.from(raw, 'base64') : raw
    case 'timestamp':
      // 1e300 or Infinity (JSON.parse reads 1e400 so) give an invalid Date: refused in step 2.
      return typeof raw === 'number' ? new Date(Math.round(raw * 1000)) : raw
    case 'list':
      return Array.isArray(raw) ? raw.map((item) => fromWire(spec.member, item)) : raw
    case 'structure':
      return isObject(raw) ? membersFromWire(spec.members, raw) : raw
    default:
      return raw
  }
}

function membersFromWire(members: Members, raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(members)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined
    if (value !== undefined && value !== null) out[name] = fromWire(spec, value)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Step 2: the TypeBox schema of the members

function schemaOf(spec: FieldSpec): TSchema {
  switch (spec.type) {
    case 'string':
      if (spec.enum) return Type.Union(spec.enum.map((v) => Type.Literal(v)))
      return Type.String({
        ...(spec.min !== undefined && { minLength: spec.min }),
        ...(spec.max !== undefined && { maxLength: spec.max }),
        ...(spec.pattern && { pattern: `^(?:${spec.pattern.source})$` }),
      })
    case 'integer':
      // Bounded to safe integers: a larger number is no integer for the wire (Java's int).
      return Type.Integer({
        minimum: spec.min ?? Number.MIN_SAFE_INTEGER,
        maximum: spec.max ?? Number.MAX_SAFE_INTEGER,
      })
    case 'boolean':
      return Type.Boolean()
    case 'blob':
      return Type.Uint8Array({
        ...(spec.min !== undefined && { minByteLength: spec.min }),
        ...(spec.max !== undefined && { maxByteLength: spec.max }),
      })
    case 'timestamp':
      return Type.Date({ minimumTimestamp: -MAX_TIME_MS, maximumTimestamp: MAX_TIME_MS })
    case 'map':
      // TypeBox's key pattern `^(.*)$` misses keys with a line break; they are checked too.
      return Type.Record(Type.String(), Type.String(), { additionalProperties: Type.String() })
    case 'list':
      return Type.Array(schemaOf(spec.member), {
        ...(spec.min !== undefined && { minItems: spec.min }),
        ...(spec.max !== undefined && { maxItems: spec.max }),
      })
    case 'structure':
      return structureSchema(spec.members)
  }
}

function structureSchema(members: Members): TObject {
  const properties: Record<string, TSchema> = {}
  for (const [name, spec] of Object.entries(members)) {
    properties[name] = spec.required ? schemaOf(spec) : Type.Optional(schemaOf(spec))
  }
  return Type.Object(properties)
}

const compiled = new WeakMap<Members, CompiledSchema<TObject>>()

/** The compiled schema of an operation's members, built on first use and kept. */
function compiledSchemaOf(members: Members): CompiledSchema<TObject> {
  let c = compiled.get(members)
  if (!c) {
    c = compileSchema(structureSchema(members))
    compiled.set(members, c)
  }
  return c
}

// ---------------------------------------------------------------------------------------------
// TypeBox errors → AWS answers

/** `KeyId` → `keyId`, as AWS names members in messages. */
function wireName(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1)
}

/** Where a JSON Pointer of the decoded value lies: its AWS member path and its member order. */
interface Place {
  /** `keyId`, `tags.1.member.tagKey`, `encryptionContext.<key>`. */
  readonly wire: string
  /** Member indexes and list positions along the way, to sort errors in member order. */
  readonly order: readonly number[]
  /** The value sits in a list (a `null` there is "a value" missing, not a wrong type). */
  readonly inList: boolean
}

function placeOf(root: TObject, pointer: string): Place {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/')
  let schema: TSchema = root
  let wire = ''
  const order: number[] = []
  let inList = false
  for (const raw of segments) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const kind = schema[Kind] as string
    inList = kind === 'Array'
    if (kind === 'Object') {
      const names = Object.keys((schema as TObject).properties)
      order.push(names.indexOf(segment))
      wire += `${wire === '' ? '' : '.'}${wireName(segment)}`
      schema = (schema as TObject).properties[segment]!
    } else if (kind === 'Array') {
      order.push(Number(segment))
      wire += `.${Number(segment) + 1}.member`
      schema = (schema as unknown as { items: TSchema }).items
    } else {
      // A map (Record): its values are strings.
      order.push(0)
      wire += `.${plain(segment, SHOWN_MAX_CHARS)}`
      schema = Type.String()
    }
  }
  return { wire, order, inList }
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

/** What a wrong JSON type was expected to be, by the schema kind. */
const EXPECTED: Readonly<Record<string, string>> = Object.freeze({
  String: 'a string',
  Union: 'a string',
  Integer: 'an integer',
  Boolean: 'a boolean',
  Uint8Array: 'a base64 string',
  Date: 'a timestamp in epoch seconds',
  Record: 'a map of strings',
  Array: 'a list',
  Object: 'a structure',
})

type Finding =
  | { readonly kind: 'serialization'; readonly place: Place; readonly text: string }
  | { readonly kind: 'violation'; readonly place: Place; readonly text: string }

function quoted(value: unknown): string {
  if (value === undefined) return 'null '
  return typeof value === 'string' || typeof value === 'number'
    ? `'${plain(String(value), SHOWN_MAX_CHARS)}' `
    : '' // blobs, timestamps, lists, maps and structures are never quoted
}

function violation(place: Place, value: unknown, rule: string): Finding {
  const text = `Value ${quoted(value)}at '${place.wire}' failed to satisfy constraint: ${rule}`
  return { kind: 'violation', place, text }
}

function serialization(place: Place, expected: string): Finding {
  return { kind: 'serialization', place, text: `Expected ${expected} for member '${place.wire}'` }
}

function findingOf(error: ValueError, place: Place): Finding {
  const { schema, value } = error
  const s = schema as Record<string, unknown>
  if (value === undefined) return violation(place, undefined, 'Member must not be null')
  if (value === null && place.inList) return serialization(place, 'a value')
  switch (error.type) {
    case ValueErrorType.StringMinLength:
    case ValueErrorType.ArrayMinItems:
    case ValueErrorType.Uint8ArrayMinByteLength: {
      const min = s.minLength ?? s.minItems ?? s.minByteLength
      return violation(place, value, `Member must have length greater than or equal to ${min}`)
    }
    case ValueErrorType.StringMaxLength:
    case ValueErrorType.ArrayMaxItems:
    case ValueErrorType.Uint8ArrayMaxByteLength: {
      const max = s.maxLength ?? s.maxItems ?? s.maxByteLength
      return violation(place, value, `Member must have length less than or equal to ${max}`)
    }
    case ValueErrorType.StringPattern: {
      const source = String(s.pattern).slice('^(?:'.length, -')$'.length)
      return violation(place, value, `Member must satisfy regular expression pattern: ${source}`)
    }
    case ValueErrorType.Union: {
      if (typeof value !== 'string') break
      const set = (s.anyOf as { const: string }[]).map((v) => v.const).join(', ')
      return violation(place, value, `Member must satisfy enum value set: [${set}]`)
    }
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum: {
      if (!Number.isSafeInteger(value)) break
      const rule =
        error.type === ValueErrorType.IntegerMinimum
          ? `greater than or equal to ${String(s.minimum)}`
          : `less than or equal to ${String(s.maximum)}`
      return violation(place, value, `Member must have value ${rule}`)
    }
    case ValueErrorType.Date:
    case ValueErrorType.DateMinimumTimestamp:
    case ValueErrorType.DateMaximumTimestamp: {
      if (!(value instanceof Date)) break
      const seconds = MAX_TIME_MS / 1000
      const rule = `Member must be a time within ${seconds} seconds of 1970-01-01T00:00:00Z`
      return violation(place, value, rule)
    }
  }
  return serialization(place, EXPECTED[schema[Kind] as string] ?? 'another type')
}

/** The AWS answer for a request that does not match its schema (`check` said so). */
function answerFor(schema: TObject, value: unknown): KmsApiError {
  const findings: Finding[] = []
  const seen = new Set<string>()
  for (const error of Errors(schema, value)) {
    const finding = findingOf(error, placeOf(schema, error.path))
    const key = `${error.path}\u0000${finding.text}`
    // A missing member is reported twice by TypeBox (required, and of the wrong type): once here.
    if (seen.has(key)) continue
    seen.add(key)
    findings.push(finding)
  }
  findings.sort((a, b) => compareOrder(a.place.order, b.place.order))
  const wrongType = findings.find((f) => f.kind === 'serialization')
  if (wrongType) return new KmsApiError('SerializationException', wrongType.text)
  const count = findings.length
  if (count === 0) return new KmsApiError('SerializationException', 'The request is malformed')
  const head = `${count} validation error${count === 1 ? '' : 's'} detected: `
  return new KmsApiError('ValidationException', head + findings.map((f) => f.text).join('; '))
}

/**
 * Decodes and checks a parsed JSON request body against an operation's members.
 *
 * @example
 * ```ts
 * decodeInput({ Limit: { type: 'integer', min: 1 } }, { Limit: 0 })
 * // throws ValidationException: 1 validation error detected: Value '0' at 'limit' ...
 * ```
 */
export function decodeInput<M extends Members>(members: M, body: unknown): InputOf<M> {
  if (!isObject(body)) {
    throw new KmsApiError('SerializationException', 'The request body must be a JSON object')
  }
  const { schema, check } = compiledSchemaOf(members)
  const value = membersFromWire(members, body)
  if (!check(value)) throw answerFor(schema, value)
  return value as InputOf<M>
}
