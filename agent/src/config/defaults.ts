/**
 * Every default of the agent's settings, in one typed object (STYLE §4.1). The components' own
 * defaults (store, transport, entropy) are the source; this object only gathers them.
 *
 * @example
 * ```ts
 * agentDefaults.http.listen // '127.0.0.1:8787'
 * ```
 */
import { defaultEpochLimits } from '../../../envelope/src/index.ts'
import { entropyDefaults } from '../entropy/index.ts'
import { spoolDefaults } from '../spool/defaults.ts'
import { storeDefaults } from '../store/index.ts'
import { transportDefaults } from '../transport/index.ts'

/** Fully resolved settings: every key present. */
export interface AgentSettings {
  readonly device: string | undefined
  readonly state: string
  readonly durability: 'full' | 'normal'
  readonly broker: Readonly<{
    url: string
    username: string | undefined
    password: string | undefined
    protocolVersion: 4 | 5
    keepaliveSec: number
    connectTimeoutMs: number
    tls: Readonly<{ ca: string | undefined; cert: string | undefined; key: string | undefined }>
  }>
  readonly http: Readonly<{ enabled: boolean; listen: string; maxBodyBytes: number }>
  readonly stdin: boolean
  readonly outbox: Readonly<{
    maxCount: number
    maxBytes: number
    policy: 'reject-new' | 'drop-oldest'
    ttlMs: number
  }>
  readonly batch: Readonly<{ maxReadings: number; maxDelayMs: number; maxBytes: number }>
  readonly epoch: Readonly<{ maxMessages: number; maxAgeMs: number; maxBytes: number }>
  readonly transport: Readonly<{
    windowSize: number
    watchdogMs: number
    drainMs: number
    backoff: Readonly<{ initialMs: number; maxMs: number; stableMs: number }>
  }>
  readonly entropy: Readonly<{
    source: 'os' | 'hardware'
    device: string | undefined
    minEntropyPerSample: number
    starvationTimeoutMs: number
  }>
  readonly spool: Readonly<{
    dir: string | undefined
    url: string | undefined
    endpoint: string | undefined
    region: string | undefined
    scanMs: number
  }>
  readonly clock: Readonly<{ trust: 'system' | 'ntp' | 'broker' }>
  readonly log: Readonly<{ level: 'debug' | 'info' | 'warn' | 'error' }>
}

/** The defaults. */
export const agentDefaults: AgentSettings = Object.freeze({
  device: undefined,
  state: '/var/lib/sealwire-agent',
  durability: storeDefaults.durability,
  broker: Object.freeze({
    url: 'mqtt://127.0.0.1:1883',
    username: undefined,
    password: undefined,
    protocolVersion: transportDefaults.protocolVersion,
    keepaliveSec: transportDefaults.keepaliveSec,
    connectTimeoutMs: transportDefaults.connectTimeoutMs,
    tls: Object.freeze({ ca: undefined, cert: undefined, key: undefined }),
  }),
  http: Object.freeze({ enabled: true, listen: '127.0.0.1:8787', maxBodyBytes: 4 * 2 ** 20 }),
  stdin: false,
  outbox: Object.freeze({
    maxCount: storeDefaults.outbox.maxCount,
    maxBytes: storeDefaults.outbox.maxBytes,
    policy: storeDefaults.outbox.policy,
    ttlMs: storeDefaults.outbox.ttlMs,
  }),
  batch: Object.freeze({ maxReadings: 1, maxDelayMs: 0, maxBytes: 16 * 1024 }),
  epoch: Object.freeze({
    maxMessages: defaultEpochLimits.maxMessages,
    maxAgeMs: defaultEpochLimits.maxAgeMs,
    maxBytes: defaultEpochLimits.maxBytes,
  }),
  transport: Object.freeze({
    windowSize: transportDefaults.windowSize,
    watchdogMs: transportDefaults.watchdogMs,
    drainMs: transportDefaults.drainMs,
    backoff: Object.freeze({ ...transportDefaults.backoff }),
  }),
  entropy: Object.freeze({
    source: 'os',
    device: undefined,
    minEntropyPerSample: entropyDefaults.minEntropyPerSample,
    starvationTimeoutMs: entropyDefaults.starvationTimeoutMs,
  }),
  spool: Object.freeze({
    dir: undefined,
    url: undefined,
    endpoint: undefined,
    region: undefined,
    scanMs: spoolDefaults.scanMs,
  }),
  clock: Object.freeze({ trust: 'system' }),
  log: Object.freeze({ level: 'info' }),
})
