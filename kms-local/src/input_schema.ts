/**
 * Request members as data, and their decoding from JSON 1.1. Each operation declares its input
 * members here, with the types and constraints of the KMS model (a test compares them with the
 * model). Decoding follows what AWS answers:
 * - a value of the wrong JSON type, or a blob that is not base64, is a `SerializationException`;
 * - a missing required member, a length, range, enum or pattern violation is a
 *   `ValidationException` whose message lists every violation in the AWS wording
 *   (`1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must
 *   not be null`);
 * - unknown members and JSON `null` values are ignored.
 *
 * Blob values are never quoted in a message.
 *
 * @example
 * ```ts
 * const members = { KeyId: { type: 'string', required: true, min: 1, max: 2048 } } as const
 * decodeInput(members, { KeyId: 'alias/x' }) // { KeyId: 'alias/x' }
 * ```
 */
import { plain, SHOWN_MAX_CHARS } from '../../platform/src/index.ts'
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

/** `KeyId` → `keyId`, as AWS names members in validation messages. */
function wireName(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1)
}

function serializationError(path: string, expected: string): KmsApiError {
  return new KmsApiError('SerializationException', `Expected ${expected} for member '${path}'`)
}

function showValue(spec: FieldSpec, value: unknown): string {
  if (value === undefined) return 'null'
  if (spec.type === 'string' || spec.type === 'integer')
    return `'${plain(String(value), SHOWN_MAX_CHARS)}'`
  return '' // blobs, lists, maps and structures are never quoted
}

/**
 * Whether a model pattern matches the whole string, as AWS applies them (Java `matches`): some
 * model patterns are not anchored (`[\u0020-\u00FF]*`).
 */
function matchesWhole(pattern: RegExp, value: string): boolean {
  return new RegExp(`^(?:${pattern.source})$`, pattern.flags).test(value)
}

function violation(path: string, spec: FieldSpec, value: unknown, rule: string): string {
  const shown = showValue(spec, value)
  return `Value ${shown === '' ? '' : `${shown} `}at '${path}' failed to satisfy constraint: ${rule}`
}

function checkLength(
  violations: string[],
  path: string,
  spec: FieldSpec & { min?: number; max?: number },
  value: unknown,
  length: number,
): void {
  if (spec.min !== undefined && length < spec.min) {
    violations.push(
      violation(path, spec, value, `Member must have length greater than or equal to ${spec.min}`),
    )
  } else if (spec.max !== undefined && length > spec.max) {
    violations.push(
      violation(path, spec, value, `Member must have length less than or equal to ${spec.max}`),
    )
  }
}

function decodeValue(spec: FieldSpec, raw: unknown, path: string, violations: string[]): unknown {
  switch (spec.type) {
    case 'string': {
      if (typeof raw !== 'string') throw serializationError(path, 'a string')
      checkLength(violations, path, spec, raw, raw.length)
      if (spec.enum && !spec.enum.includes(raw)) {
        const set = spec.enum.join(', ')
        violations.push(violation(path, spec, raw, `Member must satisfy enum value set: [${set}]`))
      } else if (spec.pattern && !matchesWhole(spec.pattern, raw)) {
        const rule = `Member must satisfy regular expression pattern: ${spec.pattern.source}`
        violations.push(violation(path, spec, raw, rule))
      }
      return raw
    }
    case 'integer': {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) {
        throw serializationError(path, 'an integer')
      }
      if (spec.min !== undefined && raw < spec.min) {
        const rule = `Member must have value greater than or equal to ${spec.min}`
        violations.push(violation(path, spec, raw, rule))
      } else if (spec.max !== undefined && raw > spec.max) {
        const rule = `Member must have value less than or equal to ${spec.max}`
        violations.push(violation(path, spec, raw, rule))
      }
      return raw
    }
    case 'boolean':
      if (typeof raw !== 'boolean') throw serializationError(path, 'a boolean')
      return raw
    case 'blob': {
      if (typeof raw !== 'string' || !BASE64.test(raw)) {
        throw serializationError(path, 'a base64 string')
      }
      const bytes = Buffer.from(raw, 'base64')
      checkLength(violations, path, spec, bytes, bytes.length)
      return bytes
    }
    case 'timestamp':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        throw serializationError(path, 'a timestamp in epoch seconds')
      }
      return new Date(Math.round(raw * 1000))
    case 'map': {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw serializationError(path, 'a map of strings')
      }
      const out: Record<string, string> = Object.create(null) as Record<string, string>
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string')
          throw serializationError(`${path}.${plain(k, SHOWN_MAX_CHARS)}`, 'a string')
        out[k] = v
      }
      return out
    }
    case 'list': {
      if (!Array.isArray(raw)) throw serializationError(path, 'a list')
      checkLength(violations, path, spec, raw, raw.length)
      return raw.map((item, i) => {
        const itemPath = `${path}.${i + 1}.member`
        if (item === null) throw serializationError(itemPath, 'a value')
        return decodeValue(spec.member, item, itemPath, violations)
      })
    }
    case 'structure':
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw serializationError(path, 'a structure')
      }
      return decodeMembers(spec.members, raw as Record<string, unknown>, `${path}.`, violations)
  }
}

function decodeMembers(
  members: Members,
  raw: Record<string, unknown>,
  prefix: string,
  violations: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(members)) {
    const path = prefix + wireName(name)
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined
    if (value === undefined || value === null) {
      if (spec.required)
        violations.push(violation(path, spec, undefined, 'Member must not be null'))
      continue
    }
    out[name] = decodeValue(spec, value, path, violations)
  }
  return out
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
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new KmsApiError('SerializationException', 'The request body must be a JSON object')
  }
  const violations: string[] = []
  const out = decodeMembers(members, body as Record<string, unknown>, '', violations)
  if (violations.length > 0) {
    const count = violations.length
    const head = `${count} validation error${count === 1 ? '' : 's'} detected: `
    throw new KmsApiError('ValidationException', head + violations.join('; '))
  }
  return out as InputOf<M>
}
