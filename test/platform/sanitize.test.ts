/**
 * The one sanitizer rule and userinfo stripping.
 */
import { describe, expect, it } from 'vitest'
import { plain, shown, withoutUserinfo } from '../../platform/src/index.ts'

describe('shown and plain', () => {
  it('quote and escape control characters, cut at 80 chars with …', () => {
    expect(shown('dev\u0007\n')).toBe('"dev\\u0007\\n"')
    expect(shown('a\u009b31mb\u2028c\u0085')).toBe('"a\\u009b31mb\\u2028c\\u0085"')
    expect(shown('x'.repeat(81))).toBe(`"${'x'.repeat(80)}…"`)
    expect(shown(42)).toBe('42')
    expect(shown({})).toBe('"(object)"')
    expect(plain('a\nb')).toBe('a\\nb')
    expect(plain('y'.repeat(201))).toBe(`${'y'.repeat(200)}…`)
  })
})

describe('withoutUserinfo', () => {
  it('removes user and password from a URL and leaves others alone', () => {
    expect(withoutUserinfo('http://user:pass@127.0.0.1:4599/')).toBe('http://127.0.0.1:4599/')
    expect(withoutUserinfo('https://tok@kms.eu-west-1.amazonaws.com')).toBe(
      'https://kms.eu-west-1.amazonaws.com/',
    )
    expect(withoutUserinfo('http://127.0.0.1:4599')).toBe('http://127.0.0.1:4599')
  })
  it('strips userinfo even from something that does not parse as a URL', () => {
    expect(withoutUserinfo('http://us er:p@ss@bad host')).toBe('http://bad host')
  })
})
