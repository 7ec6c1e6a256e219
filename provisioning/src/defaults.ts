/**
 * Every default and fixed name of the provisioning station, in one typed object each, merged once
 * with the command line (STYLE §4.1). File modes are named constants (STYLE §4.3).
 *
 * @example
 * ```ts
 * const retry = { ...defaults.retry, maxRetries: 2 }
 * ```
 */
import type { RetryConfig } from './kms/retry.ts'

/**
 * The RSA key specs a device may pin (KMS `KeySpec` values for ENCRYPT_DECRYPT RSA keys).
 *
 * @example
 * ```ts
 * const spec: RsaKeySpec = 'RSA_3072'
 * ```
 */
export type RsaKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096'

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
  /** MQTT topic prefix of `batch` without `--topic-prefix`. */
  readonly topicPrefix: string
  /** Retry of KMS calls on network errors and throttling. */
  readonly retry: Readonly<RetryConfig>
  /** TCP connect timeout of one KMS request. */
  readonly connectionTimeoutMs: number
  /** Timeout of one KMS request once connected. */
  readonly requestTimeoutMs: number
  /** Devices written in parallel by `batch` (the work is fsync-bound, not CPU-bound). */
  readonly batchConcurrency: number
  /** Progress reporting of `batch`. */
  readonly progress: Readonly<{
    /** Plain progress lines (not a TTY): at most one per this many milliseconds… */
    intervalMs: number
    /** …or one per this many percent, whichever comes first. */
    stepPercent: number
    /** Width of the TTY bar in characters. */
    barWidth: number
    /** Minimum milliseconds between two redraws of the TTY bar. */
    redrawMs: number
  }>
  /** Hard size limits of what the station reads. */
  readonly limits: Readonly<{
    maxCsvBytes: number
    maxDevices: number
    maxManifestBytes: number
    maxSpkiBytes: number
    maxAgentConfigBytes: number
  }>
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * new KMSClient({ maxAttempts: 1, requestHandler: { requestTimeout: defaults.requestTimeoutMs } })
 * ```
 */
export const defaults: ProvisioningDefaults = Object.freeze({
  keySpec: 'RSA_2048',
  topicPrefix: 'sealwire',
  retry: Object.freeze({ initialMs: 200, maxMs: 5_000, maxRetries: 4 }),
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  batchConcurrency: 8,
  progress: Object.freeze({ intervalMs: 2_000, stepPercent: 10, barWidth: 30, redrawMs: 100 }),
  limits: Object.freeze({
    maxCsvBytes: 64 * 1024 * 1024,
    maxDevices: 1_000_000,
    maxManifestBytes: 64 * 1024,
    // An RSA-4096 SPKI is 550 bytes; anything near this limit is not a key we would accept.
    maxSpkiBytes: 16 * 1024,
    maxAgentConfigBytes: 64 * 1024,
  }),
})

/**
 * File modes of a key bundle, set explicitly (never left to the umask).
 *
 * The public key is not secret, so the files are world-readable (0644); what matters is that only
 * the owner can change them. Replacing a file goes through a rename in its directory, so the
 * directory mode (0700: owner only) is what stops another user from swapping the key, and the pin
 * check at every start is what catches a swap that got through anyway. See the README.
 *
 * @example
 * ```ts
 * await handle.chmod(FILE_MODES.publicKey)
 * ```
 */
export const FILE_MODES = Object.freeze({
  keyDir: 0o700,
  publicKey: 0o644,
  manifest: 0o644,
  agentConfig: 0o644,
} as const)

/**
 * File names inside a bundle folder.
 *
 * @example
 * ```ts
 * const der = await readFile(join(dir, BUNDLE_FILES.publicKey))
 * ```
 */
export const BUNDLE_FILES = Object.freeze({
  publicKey: 'public_key.der',
  manifest: 'manifest.json',
  agentConfig: 'agent.json',
} as const)

/**
 * The manifest's `format` string.
 *
 * @example
 * ```ts
 * if (manifest.format !== MANIFEST_FORMAT) throw new Error('not a key bundle manifest')
 * ```
 */
export const MANIFEST_FORMAT = 'sealwire-key-bundle'

/**
 * The one manifest `formatVersion` this code reads and writes.
 *
 * @example
 * ```ts
 * if (manifest.formatVersion !== MANIFEST_VERSION) refuse()
 * ```
 */
export const MANIFEST_VERSION = 1

/**
 * The `format` string of a device's `agent.json`.
 *
 * @example
 * ```ts
 * const config = { format: AGENT_CONFIG_FORMAT, formatVersion: AGENT_CONFIG_VERSION }
 * ```
 */
export const AGENT_CONFIG_FORMAT = 'sealwire-agent-provisioning'

/**
 * The `formatVersion` of a device's `agent.json`.
 *
 * @example
 * ```ts
 * const config = { format: AGENT_CONFIG_FORMAT, formatVersion: AGENT_CONFIG_VERSION }
 * ```
 */
export const AGENT_CONFIG_VERSION = 1
