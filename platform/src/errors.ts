/**
 * The one error convention of sealwire: every domain failure is a {@link CodedError} with a stable
 * string `code` on the instance, `name` set to the class name and `cause` passed through. A
 * component's base class extends it and exports the union of its codes, so a `switch` over
 * `err.code` can be exhaustive. A concrete class with exactly one code also has it as
 * `static readonly code`. Caller bugs (wrong type, out-of-range argument) stay plain
 * `TypeError`/`RangeError` and are never wrapped (STYLE §3).
 *
 * The envelope may not import this module (it imports nothing of ours); its `EnvelopeError`
 * follows the same shape, so {@link isCodedError} and the CLI reporter treat both alike.
 *
 * @example
 * ```ts
 * type FooCode = 'ERR_FOO_MISSING' | 'ERR_FOO_BROKEN'
 * class FooError extends CodedError<FooCode> {}
 * throw new FooError('ERR_FOO_MISSING', 'no foo in /etc/foo')
 * ```
 */

/** The shape of every stable error code: `ERR_` then upper-case words. */
export const ERROR_CODE_PATTERN: RegExp = /^ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*$/

/**
 * Base class of every coded error of ours.
 *
 * @example
 * ```ts
 * class KmsError extends CodedError<'ERR_KMS_UNAVAILABLE' | 'ERR_KMS_DENIED'> {}
 * ```
 */
export class CodedError<C extends string = string> extends Error {
  /** A stable code; a component exports the union of its codes. */
  readonly code: C

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * True for any error that carries a stable code of our shape: a {@link CodedError}, or an error
 * of a component that cannot import this one (the envelope) but follows the convention.
 *
 * @example
 * ```ts
 * if (isCodedError(err)) stderr.write(`error ${err.code}: ${err.message}\n`)
 * ```
 */
export function isCodedError(err: unknown): err is Error & { readonly code: string } {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && ERROR_CODE_PATTERN.test(code)
}

/** Codes thrown by `platform/` itself. */
export type PlatformErrorCode = 'ERR_USAGE' | 'ERR_IO' | 'ERR_JSON_INVALID' | 'ERR_SCHEMA_INVALID'

/**
 * The command line is wrong: unknown command or flag, a flag given twice, a missing or malformed
 * value. Every CLI maps it to exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError('--out is required (see --help)')
 * ```
 */
export class UsageError extends CodedError<'ERR_USAGE'> {
  static readonly code = 'ERR_USAGE' as const
  constructor(message: string) {
    super('ERR_USAGE', message)
  }
}

/** Why a file operation failed, for callers that map it to their own codes. */
export type IoReason =
  'missing' | 'not-regular' | 'too-large' | 'symlink' | 'permission' | 'no-space' | 'other'

/**
 * A file system operation failed. `reason` classifies it (a caller maps `missing` to its own
 * "file is missing" code, say); `path` is the file, for the caller's message.
 *
 * @example
 * ```ts
 * if (err instanceof IoError && err.reason === 'missing') throw new BundleError(…)
 * ```
 */
export class IoError extends CodedError<'ERR_IO'> {
  static readonly code = 'ERR_IO' as const
  readonly reason: IoReason
  readonly path: string
  constructor(reason: IoReason, path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_IO', message, options)
    this.reason = reason
    this.path = path
  }
}

/**
 * Text that must be JSON is not: a syntax error, a comment, or a key given twice in one object
 * (JSON.parse keeps the last silently; we refuse, so two readers cannot disagree). `offset` is
 * the 0-based character offset, `line` and `column` 1-based.
 *
 * @example
 * ```ts
 * parseStrictJson('{"a":1,"a":2}') // throws ERR_JSON_INVALID: duplicate key "a" at line 1, column 8
 * ```
 */
export class JsonInvalidError extends CodedError<'ERR_JSON_INVALID'> {
  static readonly code = 'ERR_JSON_INVALID' as const
  readonly line: number
  readonly column: number
  constructor(detail: string, line: number, column: number) {
    super('ERR_JSON_INVALID', `${detail} at line ${line}, column ${column}`)
    this.line = line
    this.column = column
  }
}

/**
 * A structured input does not match its schema. `pointer` is the JSON Pointer (RFC 6901) of the
 * first offending value (`''` for the whole document).
 *
 * @example
 * ```ts
 * // ERR_SCHEMA_INVALID: /topics/data: expected string
 * ```
 */
export class SchemaInvalidError extends CodedError<'ERR_SCHEMA_INVALID'> {
  static readonly code = 'ERR_SCHEMA_INVALID' as const
  readonly pointer: string
  constructor(pointer: string, detail: string) {
    super('ERR_SCHEMA_INVALID', `${pointer === '' ? '(document)' : pointer}: ${detail}`)
    this.pointer = pointer
  }
}

/** Every error class this component throws. */
export type AnyPlatformError = UsageError | IoError | JsonInvalidError | SchemaInvalidError
