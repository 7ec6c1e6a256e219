/**
 * Reads the consumer's JSONL sink (`consumer/src/sinks/README.md`) as the verifier needs it:
 * streaming, one record per line, strictly. Every line must be strict JSON (no key twice), an
 * object with exactly the nine output fields in their documented order and of their types, and
 * end with `\n`; anything else stops the read with `ERR_SINK_LINE_INVALID` naming the line. The
 * verifier never repairs its evidence: a torn last line means the sink was read while written.
 *
 * @example
 * ```ts
 * for await (const record of readJsonlSink('out/readings.jsonl')) count++
 * const all = await collectJsonlSink('out/readings.jsonl')
 * ```
 */
import { createReadStream } from 'node:fs'
import { Type } from '@sinclair/typebox'
import { compileSchema, parseStrictJson } from '../../../platform/src/index.ts'
import { verifyDefaults } from './defaults.ts'
import { VerifyError } from './errors.ts'
import type { DeliveredRecord } from './evidence.ts'

const MAX_INTEGER = Number.MAX_SAFE_INTEGER

/** One output record (consumer/src/sinks/README.md), as a schema. */
const OutputRecordSchema = Type.Object(
  {
    deviceId: Type.String({ minLength: 1, maxLength: 128 }),
    seq: Type.Integer({ minimum: 0, maximum: MAX_INTEGER }),
    index: Type.Integer({ minimum: 0, maximum: MAX_INTEGER }),
    stream: Type.String(),
    time: Type.Integer({ minimum: 0, maximum: MAX_INTEGER }),
    clock: Type.Union([Type.Literal(0), Type.Literal(1)]),
    value: Type.Unknown(),
    epochId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    receivedAt: Type.Integer({ minimum: 0, maximum: MAX_INTEGER }),
  },
  { additionalProperties: false },
)
const checkRecord = compileSchema(OutputRecordSchema)
const FIELD_ORDER = Object.keys(OutputRecordSchema.properties).join(',')

function invalid(path: string, line: number, detail: string, cause?: unknown): never {
  throw new VerifyError('ERR_SINK_LINE_INVALID', `${path}:${line}: ${detail}`, { cause })
}

/**
 * JSON text → value. Fast path: `JSON.parse`, accepted when re-serializing gives the line back
 * byte for byte (what the sink writes), which rules out a key given twice; anything else goes
 * through the strict parser, which names the problem.
 */
function parseJson(text: string, path: string, line: number): unknown {
  try {
    const value: unknown = JSON.parse(text)
    if (JSON.stringify(value) === text) return value
  } catch {
    // The strict parser below says why.
  }
  try {
    return parseStrictJson(text)
  } catch (err) {
    invalid(path, line, `not strict JSON (${(err as Error).message})`, err)
  }
}

function parseLine(text: string, path: string, line: number): DeliveredRecord {
  const value = parseJson(text, path, line)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(path, line, 'not a JSON object')
  }
  if (!checkRecord.check(value)) {
    try {
      checkRecord.parse(value)
    } catch (err) {
      invalid(path, line, `not an output record (${(err as Error).message})`, err)
    }
  }
  if (Object.keys(value).join(',') !== FIELD_ORDER) {
    invalid(
      path,
      line,
      `fields must be exactly ${FIELD_ORDER.replaceAll(',', ', ')}, in that order`,
    )
  }
  return value as DeliveredRecord
}

/** The file's records, one array per read chunk (fewer promise turns than one per record). */
async function* readBatches(path: string): AsyncGenerator<DeliveredRecord[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1024 * 1024 })
  let rest = ''
  let line = 0
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      rest += chunk
      const batch: DeliveredRecord[] = []
      let start = 0
      let nl: number
      while ((nl = rest.indexOf('\n', start)) !== -1) {
        line++
        let record: DeliveredRecord
        try {
          record = parseLine(rest.slice(start, nl), path, line)
        } catch (err) {
          if (batch.length > 0) yield batch // the good lines before the bad one, then stop
          throw err
        }
        batch.push(record)
        start = nl + 1
      }
      rest = rest.slice(start)
      if (rest.length > verifyDefaults.maxSinkLineChars) {
        invalid(path, line + 1, `line longer than ${verifyDefaults.maxSinkLineChars} characters`)
      }
      if (batch.length > 0) yield batch
    }
  } catch (err) {
    if (err instanceof VerifyError) throw err
    throw new VerifyError('ERR_IO', `cannot read the sink ${path}: ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    stream.destroy()
  }
  if (rest.length > 0) invalid(path, line + 1, 'the last line has no newline (torn write?)')
}

/**
 * Yields every record of a JSONL sink file, in file order.
 *
 * @throws {VerifyError} `ERR_SINK_LINE_INVALID` (`path:line: why`) for a line that is not one
 *   record or a last line without `\n`; `ERR_IO` when the file cannot be read.
 * @example
 * ```ts
 * for await (const r of readJsonlSink(path)) console.log(r.deviceId, r.seq)
 * ```
 */
export async function* readJsonlSink(path: string): AsyncIterable<DeliveredRecord> {
  for await (const batch of readBatches(path)) yield* batch
}

/**
 * Reads a whole JSONL sink into an array (for `verifyFleet`, which takes iterables).
 *
 * @example
 * ```ts
 * const delivered = await collectJsonlSink('out/readings.jsonl')
 * ```
 */
export async function collectJsonlSink(path: string): Promise<DeliveredRecord[]> {
  const out: DeliveredRecord[] = []
  for await (const batch of readBatches(path)) for (const r of batch) out.push(r)
  return out
}
