/**
 * The devices CSV: RFC 4180 parsing (csv-parse), device-bundle's device-id rule, and errors that
 * name the line where the row starts.
 */
import { describe, expect, it } from 'vitest'
import { CsvError, parseDevicesCsv } from '../../provisioning/src/index.ts'

function csvError(text: string, options = {}): CsvError {
  try {
    parseDevicesCsv(text, options)
  } catch (err) {
    expect(err).toBeInstanceOf(CsvError)
    return err as CsvError
  }
  throw new Error('expected a CsvError')
}

describe('parseDevicesCsv: accepted files', () => {
  it('reads device_id among other columns, with the line of each row', () => {
    const rows = parseDevicesCsv('serial,device_id,model\nA1,dev-1,x\nA2,dev.2_B,y\n')
    expect(rows).toEqual([
      { deviceId: 'dev-1', line: 2 },
      { deviceId: 'dev.2_B', line: 3 },
    ])
  })

  it('handles CRLF, a BOM, blank lines, no final newline and quoted fields', () => {
    const text = '\uFEFFdevice_id,note\r\n"dev-1","a, ""quoted""\nnote"\r\n\r\ndev-2,plain'
    expect(parseDevicesCsv(text)).toEqual([
      { deviceId: 'dev-1', line: 2 },
      { deviceId: 'dev-2', line: 5 },
    ])
  })

  it('accepts a 128-character id', () => {
    const id = 'a'.repeat(128)
    expect(parseDevicesCsv(`device_id\n${id}\n`)[0]!.deviceId).toBe(id)
  })
})

describe('parseDevicesCsv: refused files, each with ERR_CSV_INVALID and the line', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['an empty file', '', 0, /the file is empty/],
    ['no device_id column', 'id,serial\n1,2\n', 1, /no device_id column \(it has "id", "serial"\)/],
    ['a header naming a column twice', 'device_id,device_id\na,b\n', 1, /names "device_id" twice/],
    ['no rows', 'device_id\n\n', 0, /no device rows/],
    ['a slash in an id', 'device_id\ndev-1\ndev/2\n', 3, /device_id "dev\/2" may contain only/],
    ['a space in an id', 'device_id\n dev-1\n', 2, /device_id " dev-1" may contain only/],
    ['an empty id', 'device_id,x\n,1\n', 2, /device_id "" may contain only/],
    ['a 129-character id', `device_id\n${'a'.repeat(129)}\n`, 2, /1 to 128 characters/],
    ['the id ".."', 'device_id\n..\n', 2, /cannot be "\." or "\.\."/],
    ['an id beginning with "-"', 'device_id\n-rf\n', 2, /device_id "-rf" cannot begin with "-"/],
    [
      'an id beginning with "."',
      'device_id\n.x\n',
      2,
      /device_id "\.x" cannot begin with "-" or "\."/,
    ],
    ['a bare CR', 'device_id,x\na,b\rc\n', 2, /a bare CR \(use LF or CRLF line ends\)/],
    ['a CR-only file', 'device_id\rdev-1\rdev-2', 1, /a bare CR/],
    ['a non-ASCII id', 'device_id\ndév\n', 2, /may contain only/],
    ['a control character', 'device_id\ndev\u0007\n', 2, /"dev\\u0007"/],
    ['a duplicate id', 'device_id\na\nb\na\n', 4, /duplicate device_id "a" \(first on line 2\)/],
    [
      'ids equal but for case',
      'device_id\nDev-1\ndev-1\n',
      3,
      /same folder as "Dev-1" on a case-insensitive/,
    ],
    ['too many fields', 'device_id,x\na,1,2\n', 2, /3 fields, the header has 2/],
    ['too few fields', 'device_id,x\na\n', 2, /1 fields, the header has 2/],
    ['an open quote', 'device_id\n"abc\n', 2, /quoted field is not closed/],
    ['text after a closing quote', 'device_id\n"a"b\n', 2, /text after a closing quote/],
    ['a quote inside a field', 'device_id\na"b\n', 2, /quote inside an unquoted field/],
  ]
  for (const [name, text, line, message] of cases) {
    it(`${name} → line ${line}`, () => {
      const err = csvError(text)
      expect(err.code).toBe('ERR_CSV_INVALID')
      expect(err.line).toBe(line)
      expect(err.message).toMatch(message)
      if (line > 0) expect(err.message).toMatch(new RegExp(`^devices CSV line ${line}: `))
    })
  }

  it('counts lines inside quoted fields for later rows', () => {
    const err = csvError('device_id,note\na,"two\nlines"\nb/c,x\n')
    expect(err.line).toBe(4)
  })

  it('names the line where a row with an unclosed quote starts, after blank lines', () => {
    const err = csvError('device_id,note\n\na,1\n\n\nb,"open\nstill\n')
    expect(err.line).toBe(6)
    expect(err.message).toBe('devices CSV line 6: a quoted field is not closed')
  })

  it('refuses more devices than maxDevices', () => {
    expect(csvError('device_id\na\nb\nc\n', { maxDevices: 2 })).toMatchObject({
      line: 4,
      message: expect.stringMatching(/more than 2 devices/),
    })
  })
})
