/**
 * CLI argument rules shared by every sealwire CLI: strict parseArgs, repeats refused unless a
 * flag is declared `multiple`, global flags around the command word.
 */
import { describe, expect, it } from 'vitest'
import {
  selectCommand,
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

describe('selectCommand', () => {
  const commands = Object.freeze(
    Object.assign(
      Object.create(null) as Record<
        string,
        { name: string; help: string; flags: { out: { type: 'string' } }; maxPositionals: number }
      >,
      {
        seal: {
          name: 'seal',
          help: 'usage: t seal IN\n',
          flags: { out: { type: 'string' as const } },
          maxPositionals: 1,
        },
      },
    ),
  )
  const globals = {
    region: { type: 'string' as const },
    help: { type: 'boolean' as const, short: 'h' },
  }
  const io = () => {
    let out = ''
    let err = ''
    return {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      out: () => out,
      err: () => err,
    }
  }

  it('returns the command with its own and the global flags, before or after the command word', () => {
    const selected = selectCommand(
      ['--region', 'r1', 'seal', 'IN', '--out', 'O'],
      globals,
      commands,
      io(),
      'MAIN\n',
    )
    expect(selected).not.toBe(0)
    if (selected === 0) return
    expect(selected.command.name).toBe('seal')
    expect(selected.args.values).toMatchObject({ region: 'r1', out: 'O' })
    expect(selected.args.positionals).toEqual(['IN'])
  })

  it('prints the main help for a bare --help and the command help for CMD --help, returning 0', () => {
    const a = io()
    expect(selectCommand(['--help'], globals, commands, a, 'MAIN\n')).toBe(0)
    expect(a.out()).toBe('MAIN\n')
    const b = io()
    expect(selectCommand(['seal', '--help'], globals, commands, b, 'MAIN\n')).toBe(0)
    expect(b.out()).toBe('usage: t seal IN\n')
  })

  it('refuses an unknown command (also a name of Object.prototype) with the known ones listed', async () => {
    for (const name of ['open', 'constructor']) {
      const err = await caught(() => selectCommand([name], globals, commands, io(), 'MAIN\n'))
      expect(err).toMatchObject({
        code: 'ERR_USAGE',
        message: `unknown command "${name}"; commands: seal`,
      })
    }
  })
})
