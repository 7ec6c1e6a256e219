/**
 * The devices CSV of `batch`: RFC 4180 (quoted fields, `""` escapes, CRLF or LF), a header row
 * naming at least `device_id`, one device per row. Other columns are allowed and ignored.
 *
 * A device id becomes a folder name and an MQTT topic level, so it is checked strictly:
 * `[A-Za-z0-9._-]{1,128}`, not `.` or `..` (they name folders that already exist), and unique even
 * ignoring case (on a case-insensitive file system `Dev-1` and `dev-1` would share a folder).
 * Every error names the 1-based line where its row starts.
 *
 * @example
 * ```ts
 * const devices = parseDevicesCsv('device_id,serial\ndev-1,A1\ndev-2,A2\n')
 * devices.map((d) => d.deviceId) // ['dev-1', 'dev-2']
 * ```
 */
import { defaults } from '../defaults.ts'
import { CsvError } from '../errors.ts'
import { shown } from '../_sanitize.ts'

/** One device of the CSV. */
export interface DeviceRow {
  readonly deviceId: string
  /** The 1-based line where the row starts. */
  readonly line: number
}

/** Options of {@link parseDevicesCsv}. */
export interface DevicesCsvOptions {
  /** Refuse files with more device rows than this. */
  readonly maxDevices?: number | undefined
}

const DEVICE_ID = /^[A-Za-z0-9._-]{1,128}$/

/**
 * Why `id` is not a valid device id, or `undefined` when it is one.
 *
 * @example
 * ```ts
 * deviceIdProblem('dev/1') // 'may contain only A-Z a-z 0-9 . _ - (1 to 128 characters)'
 * ```
 */
export function deviceIdProblem(id: string): string | undefined {
  if (!DEVICE_ID.test(id)) return 'may contain only A-Z a-z 0-9 . _ - (1 to 128 characters)'
  if (id === '.' || id === '..') return 'cannot be "." or ".."'
  return undefined
}

interface Record_ {
  readonly fields: string[]
  readonly line: number
}

function* records(text: string): Generator<Record_> {
  let line = 1
  let i = 0
  const n = text.length
  while (i < n) {
    const start = line
    const fields: string[] = []
    for (;;) {
      let field = ''
      if (text[i] === '"') {
        i++
        for (;;) {
          if (i >= n) throw new CsvError(start, 'a quoted field is not closed')
          const c = text[i]!
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (c === '\n') line++
          field += c
          i++
        }
        const next = text[i]
        if (i < n && next !== ',' && next !== '\n' && next !== '\r') {
          throw new CsvError(line, 'text after a closing quote')
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new CsvError(line, 'a quote inside an unquoted field')
          field += text[i]
          i++
        }
      }
      fields.push(field)
      if (text[i] === ',') {
        i++
        continue
      }
      break
    }
    if (text[i] === '\r') {
      i++
      if (text[i] !== '\n' && i < n)
        throw new CsvError(line, 'a bare CR (use LF or CRLF line ends)')
    }
    if (text[i] === '\n') i++
    line++
    yield { fields, line: start }
  }
}

function isBlank(r: Record_): boolean {
  return r.fields.length === 1 && r.fields[0] === ''
}

/**
 * Parses the devices CSV.
 *
 * @throws {CsvError} `ERR_CSV_INVALID` with the line number: no header or no `device_id` column,
 *   a row with the wrong number of fields, an invalid or duplicate device id, bad quoting, too many
 *   devices, no devices.
 * @example
 * ```ts
 * parseDevicesCsv('device_id\ndev-1\ndev-1\n') // throws: line 3: duplicate device_id "dev-1" (first on line 2)
 * ```
 */
export function parseDevicesCsv(text: string, options: DevicesCsvOptions = {}): DeviceRow[] {
  const maxDevices = options.maxDevices ?? defaults.limits.maxDevices
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  const it = records(body)
  let header: Record_ | undefined
  // Not a for-of: breaking out of one would close the generator before the data rows.
  for (let next = it.next(); !next.done; next = it.next()) {
    if (!isBlank(next.value)) {
      header = next.value
      break
    }
  }
  if (header === undefined)
    throw new CsvError(0, 'the file is empty; it needs a header row with device_id')
  const names = header.fields.map((f) => f.trim())
  const column = names.indexOf('device_id')
  if (column < 0) {
    throw new CsvError(
      header.line,
      `the header row has no device_id column (it has ${names.map((h) => shown(h, 40)).join(', ')})`,
    )
  }
  const seenHeader = new Set<string>()
  for (const name of names) {
    if (seenHeader.has(name))
      throw new CsvError(header.line, `the header names ${shown(name, 40)} twice`)
    seenHeader.add(name)
  }
  const devices: DeviceRow[] = []
  const firstLine = new Map<string, { line: number; id: string }>()
  for (const r of it) {
    if (isBlank(r)) continue
    if (r.fields.length !== names.length) {
      throw new CsvError(r.line, `${r.fields.length} fields, the header has ${names.length}`)
    }
    const id = r.fields[column]!
    const problem = deviceIdProblem(id)
    if (problem !== undefined) throw new CsvError(r.line, `device_id ${shown(id)} ${problem}`)
    const folded = id.toLowerCase()
    const first = firstLine.get(folded)
    if (first !== undefined) {
      const same =
        first.id === id
          ? ''
          : ` (same folder as ${shown(first.id)} on a case-insensitive file system)`
      throw new CsvError(
        r.line,
        `duplicate device_id ${shown(id)}${same} (first on line ${first.line})`,
      )
    }
    firstLine.set(folded, { line: r.line, id })
    if (devices.length >= maxDevices) throw new CsvError(r.line, `more than ${maxDevices} devices`)
    devices.push(Object.freeze({ deviceId: id, line: r.line }))
  }
  if (devices.length === 0) throw new CsvError(0, 'no device rows after the header')
  return devices
}
