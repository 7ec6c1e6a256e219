/**
 * Checks structured input against a schema. The schema library is **TypeBox**
 * (`@sinclair/typebox`): a schema is written once in TypeScript, gives the static type, and *is*
 * a JSON Schema (draft 2020-12 keywords), so the same object is published for editors and other
 * languages (`agent/config.schema.json`) and compiled here to a fast checker. Chosen over valibot
 * for that: valibot is smaller, but its schemas are not JSON Schema.
 *
 * @example
 * ```ts
 * const Manifest = Type.Object({ format: Type.Literal('sealwire-key-bundle/1') })
 * const checkManifest = compileSchema(Manifest)
 * const manifest = checkManifest.parse(parseStrictJson(text)) // typed, or ERR_SCHEMA_INVALID
 * ```
 */
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { SchemaInvalidError } from '../errors.ts'

/** A compiled schema. */
export interface CompiledSchema<T extends TSchema> {
  readonly schema: T
  /** True when `value` matches. */
  check(value: unknown): value is Static<T>
  /**
   * `value`, typed, when it matches.
   *
   * @throws {SchemaInvalidError} `ERR_SCHEMA_INVALID` naming the first offending value.
   */
  parse(value: unknown): Static<T>
}

/**
 * Compiles `schema` once; call the result for every input.
 *
 * @example
 * ```ts
 * compileSchema(Type.Object({ port: Type.Integer({ minimum: 0 }) })).parse({ port: -1 })
 * // throws ERR_SCHEMA_INVALID: /port: Expected integer to be greater or equal to 0
 * ```
 */
export function compileSchema<T extends TSchema>(schema: T): CompiledSchema<T> {
  const compiled = TypeCompiler.Compile(schema)
  return Object.freeze({
    schema,
    check: (value: unknown): value is Static<T> => compiled.Check(value),
    parse(value: unknown): Static<T> {
      if (compiled.Check(value)) return value
      const first = compiled.Errors(value).First()
      throw new SchemaInvalidError(first?.path ?? '', first?.message ?? 'does not match')
    },
  })
}
