/**
 * CLI argument rules shared by every sealwire CLI: strict parseArgs, repeats refused unless a
 * flag is declared `multiple`, global flags around the command word.
 */
import { describe, expect, it } from 'vitest'
import {
  flag,
  integerFlag,
  optionalString,
  parseCommandArgs,
  requiredString,
  splitCommand,
  stringList,
  wantsHelp,
} from '../../platform/src/index.ts'
import { caught } from '../helpers/index.ts'

const FLAGS = {
  'key-id': { type: 'string' },
  force: { type: 'boolean' },
  tag: { type: 'string', multiple: true },
} as const

describe('parseCommandArgs', () => {
  it('returns string, boolean and positional values', () => {
    const args = parseCommandArgs(['DIR', '--key-id', 'alias/x', '--force'], FLAGS, 1)
    expect(optionalString(args, 'key-id')).toBe('alias/x')
    expect(flag(args, 'force')).toBe(true)
    expect(args.positionals).toEqual(['DIR'])
  })

  it('refuses a string flag given twice, naming it', async () => {
    const err = await caught(() => parseCommandArgs(['--key-id', 'x', '--key-id', 'y'], FLAGS, 0))
    expect(err).toMatchObject({
      code: 'ERR_USAGE',
      message: '--key-id given more than once (see --help)',
    })
  })

  it('refuses a boolean flag given twice', async () => {
    const err = await caught(() => parseCommandArgs(['--force', '--force'], FLAGS, 0))
    expect(err.message).toBe('--force given more than once (see --help)')
  })

  it('keeps every value of a multiple flag in order', () => {
    const args = parseCommandArgs(['--tag', 'a', '--tag=b', '--tag', 'c'], FLAGS, 0)
    expect(stringList(args, 'tag')).toEqual(['a', 'b', 'c'])
    expect(stringList(parseCommandArgs([], FLAGS, 0), 'tag')).toEqual([])
  })

  it('refuses an unknown flag and an extra positional with ERR_USAGE', async () => {
    expect(await caught(() => parseCommandArgs(['--nope'], FLAGS, 0))).toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(/^Unknown option '--nope' \(see --help\)$/),
    })
    expect(await caught(() => parseCommandArgs(['a', 'b'], FLAGS, 1))).toMatchObject({
      code: 'ERR_USAGE',
      message: 'unexpected argument "b" (see --help)',
    })
  })

  it('refuses an empty value and a missing required flag', async () => {
    const args = parseCommandArgs(['--key-id='], FLAGS, 0)
    expect((await caught(() => optionalString(args, 'key-id'))).message).toBe(
      '--key-id needs a value',
    )
    expect(
      (await caught(() => requiredString(parseCommandArgs([], FLAGS, 0), 'key-id'))).message,
    ).toBe('--key-id is required (see --help)')
  })
})

describe('splitCommand and wantsHelp', () => {
  it('skips global string flags and their values before the command', () => {
    expect(
      splitCommand(['--region', 'x', 'verify', 'dir'], { region: { type: 'string' } }),
    ).toEqual({ command: 'verify', rest: ['--region', 'x', 'dir'] })
    expect(splitCommand(['--', 'verify'], {})).toEqual({
      command: undefined,
      rest: ['--', 'verify'],
    })
  })

  it('sees --help and -h before a --', () => {
    expect(wantsHelp(['fetch', '-h'])).toBe(true)
    expect(wantsHelp(['--', '--help'])).toBe(false)
  })
})

describe('integerFlag', () => {
  it('accepts the bounds and refuses outside them or non-digits', async () => {
    expect(integerFlag('0', '--n', 0, 5)).toBe(0)
    expect(integerFlag('5', '--n', 0, 5)).toBe(5)
    for (const bad of ['6', '-1', '1.5', '0x1', '', ' 1']) {
      expect((await caught(() => integerFlag(bad, '--n', 0, 5))).message).toBe(
        '--n must be an integer from 0 to 5',
      )
    }
  })
})
