/**
 * The devices CSV of `batch`: RFC 4180 (quoted fields, `""` escapes, CRLF or LF line ends, UTF-8,
 * optional BOM), parsed by `csv-parse`; a header row naming at least `device_id`; one device per
 * row. Other columns are allowed and ignored; blank lines are skipped.
 *
 * Each id follows device-bundle's device-id rule (it becomes a folder name, a topic level and the
 * envelope's `external_aad`) and is unique even ignoring case (on a case-insensitive file system
 * `Dev-1` and `dev-1` would share a folder). Every error names the 1-based line where its row
 * starts: `devices CSV line 7: duplicate device_id "dev-3" (first on line 4)`.
 *
 * @example
 * ```ts
 * const devices = parseDevicesCsv('device_id,serial\ndev-1,A1\ndev-2,A2\n')
 * devices.map((d) => d.deviceId) // ['dev-1', 'dev-2']
 * ```
 */
import { CsvError as CsvParseError, parse } from 'csv-parse/sync'
import { deviceIdProblem } from '../../../device-bundle/src/index.ts'
import { plain, shown } from '../../../platform/src/index.ts'
import { defaults } from '../defaults.ts'
import { CsvError } from '../errors.ts'

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

interface Row {
  readonly fields: readonly string[]
  readonly line: number
}

/** Our wording of csv-parse's refusals, by its error code. */
const PARSE_ERRORS: Readonly<Record<string, { detail: string; atRowStart: boolean }>> =
  Object.freeze({
    CSV_QUOTE_NOT_CLOSED: { detail: 'a quoted field is not closed', atRowStart: true },
    CSV_INVALID_CLOSING_QUOTE: { detail: 'text after a closing quote', atRowStart: false },
    INVALID_OPENING_QUOTE: { detail: 'a quote inside an unquoted field', atRowStart: false },
  })

/** Every record of `text` with the line it starts on. */
function rows(text: string): Row[] {
  let lastLine = 0
  const starts: number[] = []
  try {
    const records = parse(text, {
      bom: true,
      // Only CRLF and LF end a record; a bare CR is refused below, never taken as a line end.
      record_delimiter: ['\r\n', '\n'],
      // Field counts are checked per row below, with the line in the message.
      relax_column_count: true,
      skip_empty_lines: false,
      on_record: (fields, context) => {
        starts.push(lastLine + 1)
        lastLine = context.lines
        return fields
      },
    })
    return records.map((fields, i) => ({ fields, line: starts[i]! }))
  } catch (err) {
    if (!(err instanceof CsvParseError)) throw err
    const known = PARSE_ERRORS[err.code]
    const line = (err as { lines?: unknown }).lines
    if (known !== undefined) {
      const at = known.atRowStart || typeof line !== 'number' ? lastLine + 1 : line
      throw new CsvError(at, known.detail, { cause: err })
    }
    throw new CsvError(typeof line === 'number' ? line : 0, plain(err.message), { cause: err })
  }
}

// csv-parse keeps a CR that is not part of CRLF inside its field: refuse it, lines end in LF or CRLF.
function assertNoBareCr(r: Row): void {
  if (r.fields.some((f) => /\r(?!\n)/.test(f))) {
    throw new CsvError(r.line, 'a bare CR (use LF or CRLF line ends)')
  }
}

function isBlank(r: Row): boolean {
  return r.fields.length === 1 && r.fields[0] === ''
}

/**
 * Parses the devices CSV.
 *
 * @throws {CsvError} `ERR_CSV_INVALID` with the line number: no header or no `device_id` column,
 *   a row with the wrong number of fields, an invalid or duplicate device id, bad quoting, a bare
 *   CR, too many devices, no devices.
 * @example
 * ```ts
 * parseDevicesCsv('device_id\ndev-1\ndev-1\n') // throws: line 3: duplicate device_id "dev-1" (first on line 2)
 * ```
 */
export function parseDevicesCsv(text: string, options: DevicesCsvOptions = {}): DeviceRow[] {
  const maxDevices = options.maxDevices ?? defaults.limits.maxDevices
  const records = rows(text).filter((r) => !isBlank(r))
  const header = records[0]
  if (header === undefined) {
    throw new CsvError(0, 'the file is empty; it needs a header row with device_id')
  }
  assertNoBareCr(header)
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
    if (seenHeader.has(name)) {
      throw new CsvError(header.line, `the header names ${shown(name, 40)} twice`)
    }
    seenHeader.add(name)
  }
  const devices: DeviceRow[] = []
  const firstLine = new Map<string, { line: number; id: string }>()
  for (const r of records.slice(1)) {
    assertNoBareCr(r)
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
