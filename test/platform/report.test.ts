/**
 * The one error line of every CLI: `error CODE: message`, the exit code of the code's class, no
 * stack trace unless SEALWIRE_DEBUG=1, and `ERR_INTERNAL` with exit 1 for anything unknown.
 */
import { describe, expect, it } from 'vitest'
import {
  CodedError,
  EXIT,
  IoError,
  UsageError,
  exitCodeTable,
  isCodedError,
  reportError,
} from '../../platform/src/index.ts'
import { capture } from '../helpers/index.ts'

class DemoError extends CodedError<'ERR_DEMO_BROKEN' | 'ERR_DEMO_GONE'> {}

const exitCodeOf = exitCodeTable({ 5: ['ERR_DEMO_BROKEN'], 9: ['ERR_IO'] })

describe('CodedError', () => {
  it('carries its code, its class name and its cause', () => {
    const cause = new Error('root')
    const err = new DemoError('ERR_DEMO_GONE', 'gone', { cause })
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ code: 'ERR_DEMO_GONE', name: 'DemoError', message: 'gone' })
    expect(err.cause).toBe(cause)
    expect(UsageError.code).toBe('ERR_USAGE')
    expect(new UsageError('x').code).toBe('ERR_USAGE')
  })

  it('isCodedError accepts our shape only', () => {
    expect(isCodedError(new DemoError('ERR_DEMO_GONE', 'x'))).toBe(true)
    const foreign = Object.assign(new Error('x'), { code: 'ERR_ENVELOPE_INVALID' })
    expect(isCodedError(foreign)).toBe(true)
    expect(isCodedError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false)
    expect(isCodedError({ code: 'ERR_X', message: 'not an Error' })).toBe(false)
  })
})

describe('reportError', () => {
  it('prints one line with the code and returns the class exit code', () => {
    const c = capture()
    const exit = reportError(new DemoError('ERR_DEMO_BROKEN', 'the demo broke'), c.io, exitCodeOf)
    expect(exit).toBe(5)
    expect(c.err()).toBe('error ERR_DEMO_BROKEN: the demo broke\n')
  })

  it('maps ERR_USAGE to 2 without being told', () => {
    const c = capture()
    expect(reportError(new UsageError('--out is required'), c.io, exitCodeOf)).toBe(EXIT.usage)
    expect(c.err()).toBe('error ERR_USAGE: --out is required\n')
  })

  it('keeps a multi-line message on one line', () => {
    const c = capture()
    reportError(new IoError('other', '/x', 'line one\nline two'), c.io, exitCodeOf)
    expect(c.err()).toBe('error ERR_IO: line one\\nline two\n')
  })

  it('reports an unknown error as ERR_INTERNAL, exit 1, with no stack by default', () => {
    const c = capture()
    expect(reportError(new TypeError('boom'), c.io, exitCodeOf)).toBe(EXIT.internal)
    expect(c.err()).toBe('error ERR_INTERNAL: boom (a bug; rerun with SEALWIRE_DEBUG=1)\n')
  })

  it('reports a coded error of a code the CLI does not map as internal, naming the code', () => {
    const c = capture()
    expect(reportError(new DemoError('ERR_DEMO_GONE', 'gone'), c.io, exitCodeOf)).toBe(1)
    expect(c.err()).toBe(
      'error ERR_INTERNAL: gone [ERR_DEMO_GONE] (a bug; rerun with SEALWIRE_DEBUG=1)\n',
    )
  })

  it('adds the stack trace with SEALWIRE_DEBUG=1', () => {
    const c = capture({ SEALWIRE_DEBUG: '1' })
    reportError(new DemoError('ERR_DEMO_BROKEN', 'x'), c.io, exitCodeOf)
    const lines = c.err().split('\n')
    expect(lines[0]).toBe('error ERR_DEMO_BROKEN: x')
    expect(lines[1]).toBe('DemoError: x')
    expect(lines[2]).toMatch(/^\s+at /)
  })

  it('exitCodeTable refuses a code listed under two classes', () => {
    expect(() => exitCodeTable({ 3: ['ERR_A'], 4: ['ERR_A'] })).toThrow(
      new RangeError('exitCodeTable: ERR_A is listed twice'),
    )
  })
})
