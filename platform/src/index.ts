/**
 * `platform/`: what every sealwire program needs from its runtime. Imports nothing of ours.
 *
 * @example
 * ```ts
 * import { CodedError, parseCommandArgs, reportError, writeFileAtomic, systemClock } from '../../platform/src/index.ts'
 * ```
 */
export {
  CodedError,
  ERROR_CODE_PATTERN,
  IoError,
  JsonInvalidError,
  SchemaInvalidError,
  UsageError,
  isCodedError,
} from './errors.ts'
export type { AnyPlatformError, IoReason, PlatformErrorCode } from './errors.ts'
export { PLAIN_MAX_CHARS, SHOWN_MAX_CHARS, plain, shown, withoutUserinfo } from './sanitize.ts'
export { ManualClock, systemClock } from './clock.ts'
export type { Clock } from './clock.ts'
export { fullJitterDelay } from './backoff.ts'
export type { BackoffBounds } from './backoff.ts'
export { platformDefaults } from './defaults.ts'
export type { PlatformDefaults } from './defaults.ts'
export { ProgressReporter } from './progress.ts'
export type { ProgressOptions, ProgressSink } from './progress.ts'
export { defaultCliIo } from './cli/cli_io.ts'
export type { CliIo, WritableLike } from './cli/cli_io.ts'
export {
  flag,
  integerFlag,
  optionalString,
  parseCommandArgs,
  requiredString,
  splitCommand,
  stringList,
  takeCommand,
  selectCommand,
  wantsHelp,
} from './cli/args.ts'
export type { FlagSpec, FlagSpecs, ParsedArgs, SubcommandSpec } from './cli/args.ts'
export { EXIT, exitCodeTable } from './cli/exit_codes.ts'
export type { ExitCodeOf } from './cli/exit_codes.ts'
export { reportError, runMain, untilStopped } from './cli/report.ts'
export {
  ensureDir,
  fsyncDir,
  fsyncDirSync,
  isTempName,
  pathExists,
  removeStaleTemps,
  removeTempsOf,
  tempTargetOf,
  writeFileAtomic,
  writeFileAtomicSync,
} from './fs/atomic_write.ts'
export { assertRegularFile, readFileBounded, readFileBoundedSync } from './fs/read_bounded.ts'
export { parseStrictJson } from './json/strict_json.ts'
export { compileSchema } from './json/schema.ts'
export type { CompiledSchema } from './json/schema.ts'
export { ConfigError } from './config/config_error.ts'
export type { ConfigErrorCode } from './config/config_error.ts'
export { layeredSettings, MAX_CONFIG_FILE_BYTES } from './config/layered_settings.ts'
export type {
  LayeredSettings,
  LayeredSettingsInput,
  LayeredSettingsSpec,
  SettingsLoader,
} from './config/layered_settings.ts'
export { openSqlite } from './sqlite/sqlite.ts'
export type {
  OpenSqliteOptions,
  SqliteDatabase,
  SqliteStatement,
  SqliteValue,
} from './sqlite/sqlite.ts'
