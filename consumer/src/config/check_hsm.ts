/**
 * The HSM fallback's settings (`hsm.*`), checked and completed with the PIN: off unless
 * `hsm.tokenLabel` is set; then `hsm.keyLabels` must name at least one key, and the PIN comes
 * from the environment variable `hsm.pinEnv` (default `SEALWIRE_HSM_PIN`) or the first line of
 * `hsm.pinFile` (mode 0600: a file readable by group or others is refused), never from a setting
 * or a flag's value. Every problem is one `ERR_CONFIG` line (exit 78).
 *
 * @example
 * ```ts
 * const hsm = await checkHsmSettings(checked, process.env) // undefined when off
 * ```
 */
import { stat } from 'node:fs/promises'
import { ConfigError, readFileBounded, shown } from '../../../platform/src/index.ts'
import type { FallbackOrder } from '../keys/hsm_fallback.ts'
import type { CheckedSettings } from './check_settings.ts'

/** Largest PIN file read. */
const MAX_PIN_FILE_BYTES = 1024

/** What opening the HSM fallback needs. Holds the PIN: never log it. */
export interface CheckedHsm {
  readonly module: string
  readonly tokenLabel: string
  readonly pin: string
  readonly keyLabels: readonly string[]
  /** Where `hsm.keyLabels` came from (for errors about a label). */
  readonly keyLabelsSource: string
  readonly order: FallbackOrder
  readonly kmsRetryAfterMs: number
}

/**
 * Checks `hsm.*` (see the module doc).
 *
 * @throws {ConfigError} `ERR_CONFIG`.
 * @example
 * ```ts
 * await checkHsmSettings(checked, io.env)
 * ```
 */
export async function checkHsmSettings(
  checked: Pick<CheckedSettings, 'settings' | 'sources'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<CheckedHsm | undefined> {
  const h = checked.settings.hsm
  const source = (name: string): string => checked.sources.get(`hsm.${name}`) ?? 'default'
  if (h.tokenLabel === undefined) {
    if (h.keyLabels.length > 0) {
      throw new ConfigError('hsm.keyLabels', source('keyLabels'), 'needs hsm.tokenLabel')
    }
    return undefined
  }
  if (h.keyLabels.length === 0) {
    throw new ConfigError(
      'hsm.keyLabels',
      source('keyLabels'),
      'name at least one RSA key pair of the HSM (the same key as a served KMS key)',
    )
  }
  let pin: string | undefined
  if (h.pinFile !== undefined) {
    try {
      if (((await stat(h.pinFile)).mode & 0o077) !== 0) {
        throw new ConfigError(
          'hsm.pinFile',
          source('pinFile'),
          `${shown(h.pinFile)} is readable by group or others (chmod 600 it)`,
        )
      }
      const text = Buffer.from(await readFileBounded(h.pinFile, MAX_PIN_FILE_BYTES)).toString()
      pin = text.split(/\r?\n/, 1)[0]
    } catch (err) {
      if (err instanceof ConfigError) throw err
      throw new ConfigError('hsm.pinFile', source('pinFile'), (err as Error).message, {
        cause: err,
      })
    }
  } else {
    pin = env[h.pinEnv]
  }
  if (pin === undefined || pin === '') {
    throw new ConfigError(
      h.pinFile === undefined ? 'hsm.pinEnv' : 'hsm.pinFile',
      source(h.pinFile === undefined ? 'pinEnv' : 'pinFile'),
      h.pinFile === undefined ? `no PIN: set ${h.pinEnv}` : 'the first line is empty',
    )
  }
  return {
    module: h.module,
    tokenLabel: h.tokenLabel,
    pin,
    keyLabels: h.keyLabels,
    keyLabelsSource: source('keyLabels'),
    order: h.order,
    kmsRetryAfterMs: h.kmsRetryAfterMs,
  }
}
