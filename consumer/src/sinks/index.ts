/**
 * Where opened readings go: the {@link Sink} interface, the JSONL sink (file or stdout) and the
 * PostgreSQL sink, and `sinkFromUrl` for `--sink`. The contract is this folder's README.md.
 *
 * @example
 * ```ts
 * import { sinkFromUrl } from './sinks/index.ts'
 * const sink = await sinkFromUrl('postgres://consumer@127.0.0.1:5432/telemetry')
 * const { inserted, duplicates } = await sink.write(records)
 * ```
 */
export type { OutputRecord, Sink, SinkWriteResult } from './sink.ts'
export { JsonlSink } from './jsonl_sink.ts'
export type {
  JsonlFileOptions,
  JsonlRecovery,
  JsonlStream,
  JsonlStreamOptions,
} from './jsonl_sink.ts'
export { PostgresSink } from './postgres_sink.ts'
export type { PostgresSinkOptions } from './postgres_sink.ts'
export { sinkFromUrl } from './sink_from_url.ts'
export type { SinkSpecOptions } from './sink_from_url.ts'
export { OUTPUT_FIELDS } from './_output_record.ts'
export { sinkDefaults } from './defaults.ts'
export type { SinkDefaults } from './defaults.ts'
export { SinkError } from './errors.ts'
export type { SinkErrorCode } from './errors.ts'
