/**
 * Every default of the consumer's settings, in one typed object (STYLE §4.1). The README's
 * "Settings" table is the normative list; `sealwire-consumer --help` prints the flags.
 *
 * @example
 * ```ts
 * consumerDefaults.kms.ratePerSecond // 400
 * ```
 */
import { defaultEpochLimits } from '../../../envelope/src/index.ts'
import { kmsClientDefaults } from '../../../kms-client/src/index.ts'

/** Fully resolved settings: every key present. */
export interface ConsumerSettings {
  readonly broker: Readonly<{
    url: string
    username: string | undefined
    password: string | undefined
    /** `auto` tries MQTT 5 and falls back to 3.1.1 when the broker refuses it. */
    protocolVersion: 'auto' | 4 | 5
    /** A stable id per instance makes the session resumable; absent: random id, clean start. */
    clientId: string | undefined
    shareGroup: string
    sessionExpirySec: number
    keepaliveSec: number
    connectTimeoutMs: number
    receiveMaximum: number
    settleMs: number
    maxSettleMs: number
    tls: Readonly<{ ca: string | undefined; cert: string | undefined; key: string | undefined }>
  }>
  readonly topicPrefix: string
  readonly keyIds: readonly string[]
  readonly sink: string | undefined
  /** The PostgreSQL sink's table. */
  readonly sinkTable: string
  readonly state: string
  /** Redis keys start with this; default `sealwire:<topicPrefix>:` (one fleet, one key space). */
  readonly stateKeyPrefix: string | undefined
  readonly deadLetters: string
  /** The PostgreSQL dead-letter store's table. */
  readonly deadLettersTable: string
  /** Sequence numbers per device the replay window remembers (same on every instance). */
  readonly replayWindow: number
  readonly kms: Readonly<{
    endpoint: string | undefined
    region: string | undefined
    profile: string | undefined
    ratePerSecond: number
    maxConcurrent: number
    throttleRetryMs: number
    maxRetries: number
    connectionTimeoutMs: number
    requestTimeoutMs: number
  }>
  /** Decryption through the in-house HSM when KMS is unavailable (README "HSM fallback"). */
  readonly hsm: Readonly<{
    module: string
    /** Unset: no HSM fallback. */
    tokenLabel: string | undefined
    /** The environment variable holding the PIN (the PIN itself is never a setting). */
    pinEnv: string
    /** Instead of `pinEnv`: a file whose first line is the PIN (mode 0600). */
    pinFile: string | undefined
    /** Labels of the RSA key pairs in the HSM, each the same key as a served KMS key. */
    keyLabels: readonly string[]
    order: 'kms-first' | 'hsm-first'
    kmsRetryAfterMs: number
  }>
  readonly epochs: Readonly<{
    cacheEntries: number
    cacheTtlMs: number
    budgetWindowMs: number
    budgetPerDevice: number
    budgetTotal: number
  }>
  readonly parking: Readonly<{ maxMessages: number; maxAgeMs: number }>
  readonly delivery: Readonly<{
    retryInitialMs: number
    retryMaxMs: number
    deadLetterAfterMs: number
  }>
  /** `HOST:PORT` of the Prometheus endpoint, or undefined (off). */
  readonly metrics: string | undefined
  readonly drainMs: number
  readonly log: Readonly<{ level: 'debug' | 'info' | 'warn' | 'error' }>
}

/** The defaults. */
export const consumerDefaults: ConsumerSettings = Object.freeze({
  broker: Object.freeze({
    url: 'mqtt://127.0.0.1:1883',
    username: undefined,
    password: undefined,
    protocolVersion: 'auto',
    clientId: undefined,
    shareGroup: 'sealwire-consumer',
    sessionExpirySec: 60,
    keepaliveSec: 30,
    connectTimeoutMs: 10_000,
    // Per connection. A burst of E new epochs holds data for E / (Decrypt rate) seconds: README
    // "Sizing the broker for a fleet" (1,000 devices: up to ~1,500 data messages held at once).
    receiveMaximum: 2_000,
    settleMs: 250,
    maxSettleMs: 5_000,
    tls: Object.freeze({ ca: undefined, cert: undefined, key: undefined }),
  }),
  topicPrefix: 'sealwire',
  keyIds: Object.freeze([]),
  sink: undefined,
  sinkTable: 'sealwire_readings',
  state: 'memory',
  stateKeyPrefix: undefined,
  deadLetters: '/var/lib/sealwire-consumer/dead-letters',
  deadLettersTable: 'sealwire_dead_letters',
  replayWindow: 4096,
  kms: Object.freeze({
    endpoint: undefined,
    region: undefined,
    profile: undefined,
    // Below the 500/s RSA Decrypt quota per account and region, leaving room for others.
    ratePerSecond: 400,
    maxConcurrent: 32,
    throttleRetryMs: 60_000,
    maxRetries: kmsClientDefaults.retry.maxRetries,
    connectionTimeoutMs: kmsClientDefaults.connectionTimeoutMs,
    requestTimeoutMs: kmsClientDefaults.requestTimeoutMs,
  }),
  hsm: Object.freeze({
    module: '/usr/lib/softhsm/libsofthsm2.so',
    tokenLabel: undefined,
    pinEnv: 'SEALWIRE_HSM_PIN',
    pinFile: undefined,
    keyLabels: Object.freeze([]),
    order: 'kms-first',
    kmsRetryAfterMs: 30_000,
  }),
  epochs: Object.freeze({
    cacheEntries: 50_000,
    // The agent's default epoch age plus an hour of delivery delay; a miss costs one Decrypt.
    cacheTtlMs: defaultEpochLimits.maxAgeMs + 60 * 60 * 1000,
    budgetWindowMs: 10 * 60 * 1000,
    budgetPerDevice: 20,
    budgetTotal: 100_000,
  }),
  parking: Object.freeze({ maxMessages: 10_000, maxAgeMs: 30_000 }),
  delivery: Object.freeze({ retryInitialMs: 100, retryMaxMs: 5_000, deadLetterAfterMs: 60_000 }),
  metrics: undefined,
  drainMs: 10_000,
  log: Object.freeze({ level: 'info' }),
})
