/**
 * JSON as every sealwire file and request is read: RFC 8259 and nothing more. No comments, no
 * trailing commas, and **no key given twice in one object** — `JSON.parse` silently keeps the last,
 * so two readers of one file could disagree about what it says. The syntax is checked with
 * Microsoft's `jsonc-parser` (the parser behind VS Code) in strict mode; `JSON.parse` then builds
 * the value.
 *
 * @example
 * ```ts
 * const value = parseStrictJson(text) // unknown; check it with a schema next
 * ```
 */
import type { ParseErrorCode } from 'jsonc-parser'
import { printParseErrorCode, visit } from 'jsonc-parser'
import { JsonInvalidError } from '../errors.ts'
import { shown } from '../sanitize.ts'

/**
 * Parses `text` as strict JSON.
 *
 * @throws {JsonInvalidError} `ERR_JSON_INVALID` with the line and column of the first problem.
 * @example
 * ```ts
 * parseStrictJson('{"a": 1}') // { a: 1 }
 * ```
 */
export function parseStrictJson(text: string): unknown {
  let failure: JsonInvalidError | undefined
  const keys: Set<string>[] = []
  const fail = (detail: string, line: number, character: number): void => {
    failure ??= new JsonInvalidError(detail, line + 1, character + 1)
  }
  visit(
    text,
    {
      onObjectBegin: () => {
        keys.push(new Set())
      },
      onObjectEnd: () => {
        keys.pop()
      },
      onObjectProperty: (name, _offset, _length, line, character) => {
        const seen = keys[keys.length - 1]
        if (seen === undefined) return
        if (seen.has(name)) fail(`duplicate key ${shown(name)}`, line, character)
        seen.add(name)
      },
      // Comments reach onError as InvalidCommentToken (disallowComments); this is the backstop.
      onComment: (_offset, _length, line, character) => fail('comment', line, character),
      onError: (code: ParseErrorCode, _offset, _length, line, character) =>
        fail(printParseErrorCode(code), line, character),
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  )
  if (failure) throw failure
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    // jsonc-parser accepted what JSON.parse refuses (it should not happen): report it honestly.
    throw new JsonInvalidError(err instanceof Error ? err.message : String(err), 1, 1)
  }
}
