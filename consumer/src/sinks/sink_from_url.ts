/**
 * `--sink jsonl:PATH | jsonl:- | postgres://…` → a {@link Sink}.
 *
 * @example
 * ```ts
 * const sink = await sinkFromUrl('jsonl:-') // stdout
 * const rows = await sinkFromUrl('postgres://consumer@db/telemetry', { postgres: { table: 'readings' } })
 * ```
 */
import { shown } from '../../../platform/src/index.ts'
import { isPostgresUrl } from './_postgres.ts'
import { safeUrl } from './_safe_url.ts'
import { SinkError } from './errors.ts'
import { JsonlSink } from './jsonl_sink.ts'
import type { JsonlFileOptions, JsonlStream } from './jsonl_sink.ts'
import { PostgresSink } from './postgres_sink.ts'
import type { PostgresSinkOptions } from './postgres_sink.ts'
import type { Sink } from './sink.ts'

/** Options of {@link sinkFromUrl}, by kind. */
export interface SinkSpecOptions {
  readonly jsonl?: JsonlFileOptions
  readonly postgres?: PostgresSinkOptions
  /** Where `jsonl:-` writes. Default `process.stdout`. */
  readonly stdout?: JsonlStream
}

/**
 * Opens the sink `spec` names: `jsonl:PATH` (a file, appended to), `jsonl:-` (stdout),
 * `postgres://…` or `postgresql://…`.
 *
 * @throws {SinkError} `ERR_CONFIG` for any other spec (exit 78), or the open's own errors
 *   ({@link JsonlSink.open}, {@link PostgresSink.open}).
 */
export async function sinkFromUrl(spec: string, options: SinkSpecOptions = {}): Promise<Sink> {
  if (typeof spec !== 'string') throw new TypeError('spec: expected a string')
  try {
    return await open(spec, options)
  } catch (err) {
    // Every configuration error names the flag it came from.
    if (
      err instanceof SinkError &&
      err.code === 'ERR_CONFIG' &&
      !err.message.startsWith('--sink')
    ) {
      throw new SinkError('ERR_CONFIG', `--sink: ${err.message}`, { cause: err })
    }
    throw err
  }
}

async function open(spec: string, options: SinkSpecOptions): Promise<Sink> {
  if (spec === 'jsonl:-') {
    return JsonlSink.toStream(options.stdout ?? process.stdout, {
      dedupeEntries: options.jsonl?.dedupeEntries,
    })
  }
  if (spec.startsWith('jsonl:')) {
    const path = spec.slice('jsonl:'.length)
    if (path === '') {
      throw new SinkError(
        'ERR_CONFIG',
        '--sink: jsonl: needs a path (jsonl:PATH, or jsonl:- for stdout)',
      )
    }
    return JsonlSink.open(path, options.jsonl)
  }
  if (isPostgresUrl(spec)) return PostgresSink.open(spec, options.postgres)
  throw new SinkError(
    'ERR_CONFIG',
    `--sink: expected jsonl:PATH, jsonl:- or postgres://…, got ${shown(safeUrl(spec))}`,
  )
}
