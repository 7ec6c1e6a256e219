/**
 * A setting is wrong: one line naming the setting, where it came from and why. Every CLI exits 78
 * (`EX_CONFIG`) for it and starts nothing.
 *
 * @example
 * ```ts
 * // error ERR_CONFIG: outbox.maxBytes (SEALWIRE_OUTBOX_MAX_BYTES): expected an integer, got "lots"
 * ```
 */
import { CodedError } from '../errors.ts'

/** Codes of {@link ConfigError}. */
export type ConfigErrorCode = 'ERR_CONFIG'

/** A wrong setting. `setting` is its dotted name (`broker.url`), `source` where it was given. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  static readonly code = 'ERR_CONFIG' as const
  readonly setting: string
  readonly source: string
  constructor(setting: string, source: string, why: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', `${setting} (${source}): ${why}`, options)
    this.setting = setting
    this.source = source
  }
}
