/**
 * Reads the end of an existing JSONL output file at open: the keys of its last lines (to drop
 * duplicates across a restart) and a torn last line, if a crash cut one (it was never
 * acknowledged, so the consumer writes it again).
 *
 * Reads backwards in chunks, at most `maxBytes` and until it has `maxLines` complete lines: the
 * cost of opening does not grow with the file.
 */
import type { FileHandle } from 'node:fs/promises'
import { recordKey } from './_output_record.ts'
import { SinkError } from './errors.ts'

const CHUNK = 1024 * 1024
const NEWLINE = 0x0a

/** What the end of the file holds. */
export interface JsonlTail {
  /** Keys of the complete lines read, oldest first. */
  readonly keys: string[]
  /** Bytes after the last newline (0 when the file ends with one, or is empty). */
  readonly tornBytes: number
  /** The torn part parsed as a whole record: complete it with a newline instead of cutting it. */
  readonly tornIsRecord: boolean
  /** Its key, when it is a record. */
  readonly tornKey: string | undefined
}

function keyOfLine(line: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
  const { deviceId, seq, index } = parsed as Record<string, unknown>
  if (typeof deviceId !== 'string' || !Number.isSafeInteger(seq) || !Number.isSafeInteger(index)) {
    return undefined
  }
  return recordKey(deviceId, seq as number, index as number)
}

/**
 * Reads the tail of `fh` (`size` bytes long).
 *
 * @throws {SinkError} `ERR_SINK_FILE_INVALID` when a complete line read is not a sealwire output
 *   record, or the last line is longer than `maxBytes`.
 */
export async function readJsonlTail(
  fh: FileHandle,
  size: number,
  maxLines: number,
  maxBytes: number,
  path: string,
): Promise<JsonlTail> {
  if (size === 0) return { keys: [], tornBytes: 0, tornIsRecord: false, tornKey: undefined }
  const chunks: Uint8Array[] = []
  let start = size
  let newlines = 0
  while (start > 0 && size - start < maxBytes && newlines <= maxLines) {
    const len = Math.min(CHUNK, start, maxBytes - (size - start))
    const buf = new Uint8Array(len)
    let filled = 0
    while (filled < len) {
      const { bytesRead } = await fh.read(buf, filled, len - filled, start - len + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    start -= len
    chunks.unshift(buf)
    for (const b of buf) if (b === NEWLINE) newlines++
  }
  const bytes = Buffer.concat(chunks)
  const lastNewline = bytes.lastIndexOf(NEWLINE)
  if (lastNewline < 0 && start > 0) {
    throw new SinkError(
      'ERR_SINK_FILE_INVALID',
      `${path}: its last line is longer than ${maxBytes} bytes: not a sealwire output file`,
    )
  }
  const torn = bytes.subarray(lastNewline + 1)
  const tornKey = torn.length > 0 ? keyOfLine(torn.toString('utf8')) : undefined
  const lines = bytes
    .subarray(0, lastNewline + 1)
    .toString('utf8')
    .split('\n')
  lines.pop() // after the last newline: the torn part, handled above
  if (start > 0) lines.shift() // began mid-line
  const keys: string[] = []
  let offset = size - torn.length
  const checked = lines.slice(-maxLines)
  for (let i = checked.length - 1; i >= 0; i--) {
    const line = checked[i]!
    offset -= Buffer.byteLength(line) + 1
    if (line === '') continue
    const key = keyOfLine(line)
    if (key === undefined) {
      throw new SinkError(
        'ERR_SINK_FILE_INVALID',
        `${path}: the line at byte ${offset} is not a sealwire output record (is this the right file?)`,
      )
    }
    keys.push(key)
  }
  keys.reverse()
  return { keys, tornBytes: torn.length, tornIsRecord: tornKey !== undefined, tornKey }
}
