/**
 * Every default of the provisioning station, in one typed object, merged once with the command
 * line (STYLE §4.1). KMS retry and timeouts are kms-client's (`kmsClientDefaults`); file names and
 * modes are device-bundle's (`BUNDLE_FILES`, `FILE_MODES`); progress is platform's.
 *
 * @example
 * ```ts
 * const concurrency = flagValue ?? defaults.batchConcurrency
 * ```
 */
import type { RsaKeySpec } from '../../device-bundle/src/index.ts'

/**
 * Tunables of the station; every one has a default here.
 *
 * @example
 * ```ts
 * const tuned: ProvisioningDefaults = { ...defaults, batchConcurrency: 16 }
 * ```
 */
export interface ProvisioningDefaults {
  /** Key spec of `create-key` without `--spec`. */
  readonly keySpec: RsaKeySpec
  /** Description of a key `create-key` makes without `--description`. */
  readonly keyDescription: string
  /** MQTT topic prefix of `batch` without `--topic-prefix`. */
  readonly topicPrefix: string
  /** Devices written in parallel by `batch` (the work is fsync-bound, not CPU-bound). */
  readonly batchConcurrency: number
  /** Hard limits of the devices CSV. */
  readonly limits: Readonly<{ maxCsvBytes: number; maxDevices: number }>
  /** `byok`: its defaults (README, "byok"). */
  readonly byok: Readonly<{
    /** `GetParametersForImport`'s `WrappingKeySpec` without `--wrapping-key-spec`. */
    wrappingKeySpec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096'
    /** Environment variable holding the PKCS#11 user PIN without `--pin-env`/`--pin-file`. */
    pinEnv: string
    /** Environment variable holding the HTTP API's bearer token without `--hsm-token-env`. */
    apiTokenEnv: string
    /** `ValidTo` at most this many days ahead (KMS's limit). */
    maxValidToDays: number
    /** Description of a key `byok --alias` creates. */
    keyDescription: string
    /** Largest import token or wrapping key file read, in bytes. */
    maxParameterFileBytes: number
  }>
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * parseDevicesCsv(text, { maxDevices: defaults.limits.maxDevices })
 * ```
 */
export const defaults: ProvisioningDefaults = Object.freeze({
  keySpec: 'RSA_2048',
  keyDescription: 'sealwire fleet key',
  topicPrefix: 'sealwire',
  batchConcurrency: 8,
  limits: Object.freeze({ maxCsvBytes: 64 * 1024 * 1024, maxDevices: 1_000_000 }),
  byok: Object.freeze({
    wrappingKeySpec: 'RSA_4096',
    pinEnv: 'SEALWIRE_HSM_PIN',
    apiTokenEnv: 'SEALWIRE_HSM_API_TOKEN',
    maxValidToDays: 365,
    keyDescription: 'sealwire fleet key (BYOK from the in-house HSM)',
    maxParameterFileBytes: 16 * 1024,
  }),
})
