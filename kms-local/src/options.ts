/**
 * Options of {@link startKmsLocal}, their defaults (merged once) and their checks. A wrong option
 * is a caller bug: `TypeError` (wrong type) or `RangeError` (bad value), thrown before anything
 * starts.
 *
 * @example
 * ```ts
 * const resolved = resolveOptions({ port: 0, rateLimits: { cryptographic: 500 } })
 * resolved.region // 'us-east-1'
 * ```
 */
import { systemClock, type Clock } from '../../platform/src/index.ts'
import { defaultKmsLocalOptions } from './defaults.ts'

/** Options of {@link startKmsLocal}. */
export interface KmsLocalOptions {
  /** TCP port; 0 (the default) picks a free one. The CLI defaults to 4599. */
  port?: number
  /** Interface to listen on; default `'127.0.0.1'`. */
  host?: string
  /** Region in ARNs; default `'us-east-1'`. */
  region?: string
  /** 12-digit account id in ARNs; default `'111122223333'`. */
  accountId?: string
  /** Keep keys in this file (mode 0600, rewritten atomically, reloaded on start). */
  stateFile?: string
  /** Append one JSON line per request to this file (CloudTrail-like, no key material). */
  auditLog?: string
  /** Requests per second per operation family; over it, `ThrottlingException`. */
  rateLimits?: { cryptographic?: number; management?: number }
  /**
   * Where every time kms-local reads comes from (request times, deletion windows, import token
   * and material expiry, rate limits): platform's `Clock`, of which only `now()` is used. Default
   * `systemClock`; tests pass a `ManualClock` and move time by hand.
   */
  clock?: Pick<Clock, 'now'>
  /**
   * Where the running server reports what it cannot answer a client with: a change that was not
   * applied because the state file could not be written (with the cause), an audit line that
   * could not be written. One line per call, `error CODE: message`. Default: stderr.
   */
  log?: (line: string) => void
}

/** Options after defaults and checks. */
export interface ResolvedOptions {
  readonly port: number
  readonly host: string
  readonly region: string
  readonly accountId: string
  readonly stateFile: string | undefined
  readonly auditLog: string | undefined
  readonly rateLimits: { readonly cryptographic?: number; readonly management?: number }
  readonly clock: Pick<Clock, 'now'>
  readonly log: (line: string) => void
}

/** An AWS region name such as `us-east-1` or `us-gov-west-1`. */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/

/** A 12-digit AWS account id. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/

function optionalPath(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '') throw new TypeError(`${name}: expected a non-empty string`)
  return v
}

function rate(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number') throw new TypeError(`${name}: expected a number`)
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name}: expected a positive number`)
  return v
}

/**
 * Merges the defaults into the options and checks them.
 *
 * @example
 * ```ts
 * resolveOptions({ port: 70000 }) // throws RangeError: port: expected an integer 0-65535
 * ```
 */
export function resolveOptions(options: KmsLocalOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options: expected an object')
  const merged = { ...defaultKmsLocalOptions, ...stripUndefined(options) }
  const { port, host, region, accountId } = merged
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError('port: expected an integer 0-65535')
  }
  if (typeof host !== 'string' || host === '')
    throw new TypeError('host: expected a non-empty string')
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    throw new RangeError('region: expected an AWS region name such as us-east-1')
  }
  if (typeof accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(accountId)) {
    throw new RangeError('accountId: expected 12 digits')
  }
  const limits = options.rateLimits ?? {}
  if (typeof limits !== 'object' || limits === null)
    throw new TypeError('rateLimits: expected an object')
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new TypeError('clock: expected a Clock (an object with now())')
  }
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`))
  if (typeof log !== 'function') throw new TypeError('log: expected a function')
  const cryptographic = rate('rateLimits.cryptographic', limits.cryptographic)
  const management = rate('rateLimits.management', limits.management)
  return Object.freeze({
    port,
    host,
    region,
    accountId,
    stateFile: optionalPath('stateFile', options.stateFile),
    auditLog: optionalPath('auditLog', options.auditLog),
    rateLimits: Object.freeze({
      ...(cryptographic !== undefined && { cryptographic }),
      ...(management !== undefined && { management }),
    }),
    clock,
    log,
  })
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
