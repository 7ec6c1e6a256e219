/**
 * Strict JSON (no duplicate keys, no comments, no trailing commas) and TypeBox schema checks.
 */
import { Type } from '@sinclair/typebox'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  JsonInvalidError,
  SchemaInvalidError,
  compileSchema,
  parseStrictJson,
} from '../../platform/src/index.ts'
import { caught } from '../helpers/index.ts'

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v)
        expect(parseStrictJson(text)).toEqual(JSON.parse(text))
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a duplicated key, at any depth, with its position', async () => {
    expect(await caught(() => parseStrictJson('{"a":1,"a":2}'))).toMatchObject({
      code: 'ERR_JSON_INVALID',
      message: 'duplicate key "a" at line 1, column 8',
      line: 1,
      column: 8,
    })
    const nested = await caught(() => parseStrictJson('{"x": [ {"k": 1},\n {"k": 2, "k": 3} ]}'))
    expect(nested.message).toBe('duplicate key "k" at line 2, column 11')
  })

  it('allows the same key in sibling objects', () => {
    expect(parseStrictJson('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }])
  })

  it('refuses comments, trailing commas, empty input and garbage', async () => {
    const cases: [string, RegExp][] = [
      ['{"a":1 // c\n}', /^InvalidCommentToken at line 1, column 8$/],
      ['{"a":1,}', /^PropertyNameExpected at line 1, column 8$/],
      ['', /^ValueExpected at line 1, column 1$/],
      ['{"a":1} x', /^InvalidSymbol at line 1, column 9$/],
      ["{'a':1}", /at line 1, column 2$/],
    ]
    for (const [text, message] of cases) {
      const err = await caught(() => parseStrictJson(text))
      expect(err, text).toBeInstanceOf(JsonInvalidError)
      expect(err.message, text).toMatch(message)
    }
  })

  it('keeps a "__proto__" key as data, not a prototype', () => {
    const v = parseStrictJson('{"__proto__": {"polluted": true}}') as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('compileSchema', () => {
  const Config = Type.Object(
    { port: Type.Integer({ minimum: 1, maximum: 65535 }), name: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  )
  const check = compileSchema(Config)

  it('returns the value, typed, when it matches', () => {
    const v = check.parse({ port: 8787, name: 'a' })
    expect(v.port + 1).toBe(8788)
    expect(check.check({ port: 0, name: 'a' })).toBe(false)
  })

  it('names the first offending value as a JSON Pointer', async () => {
    const err = await caught(() => check.parse({ port: 70000, name: 'a' }))
    expect(err).toBeInstanceOf(SchemaInvalidError)
    expect(err).toMatchObject({ code: 'ERR_SCHEMA_INVALID', pointer: '/port' })
    expect(err.message).toMatch(/^\/port: Expected integer to be less or equal to 65535$/)
    const extra = await caught(() => check.parse({ port: 1, name: 'a', more: 1 }))
    expect(extra.message).toMatch(/^\/more: Unexpected property$/)
  })
})
