/**
 * The publisher's own settings (window, watchdog, backoff, drain) and their validation; the
 * broker's are in `broker_settings.ts`. Time and randomness are injected for tests.
 *
 * @example
 * ```ts
 * checkPublisherOptions({ windowSize: 0 }) // throws ERR_TRANSPORT_CONFIG: windowSize: 0 is not …
 * ```
 */
import { systemClock, shown } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'
import { transportDefaults } from './defaults.ts'
import { configError } from './errors.ts'
import { connectMqttLink } from './mqtt_link.ts'
import type { MqttLinkFactory } from './mqtt_link.ts'
import type { ReconnectBackoffOptions } from './reconnect_backoff.ts'

/** What a caller may set; every field has a default in `transportDefaults`. */
export interface PublisherOptions {
  /** QoS 1 messages in flight at once, 1..65535 (default 64). */
  readonly windowSize?: number
  /** Reconnect when messages are in flight and no PUBACK came for this long (default 30 s). */
  readonly watchdogMs?: number
  /** Reconnect backoff bounds (defaults 1 s, 60 s, stable after 60 s). */
  readonly backoff?: Partial<ReconnectBackoffOptions>
  /** Default drain time of `stop()` (default 5 s). */
  readonly drainMs?: number
  /** The clock of backoff sleeps, the watchdog and the drain (default: the system clock). */
  readonly clock?: Clock
  /** Uniform random numbers in [0, 1) for the jitter (default `Math.random`). */
  readonly random?: () => number
  /** Opens a connection (default mqtt.js); tests replace it. */
  readonly connect?: MqttLinkFactory
}

/** Validated options with defaults applied. */
export interface ResolvedPublisherOptions {
  readonly windowSize: number
  readonly watchdogMs: number
  readonly backoff: ReconnectBackoffOptions
  readonly drainMs: number
  readonly clock: Clock
  readonly random: () => number
  readonly connect: MqttLinkFactory
}

function int(setting: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configError(setting, `${shown(value)} is not an integer in ${min}..${max}`)
  }
  return value
}

const DAY_MS = 86_400_000

/**
 * Validates `options` and applies the defaults.
 *
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG` naming the first bad setting.
 * @example
 * ```ts
 * resolvePublisherOptions({ windowSize: 8 }).watchdogMs // 30000
 * ```
 */
export function resolvePublisherOptions(options: PublisherOptions = {}): ResolvedPublisherOptions {
  const d = transportDefaults
  const b = options.backoff ?? {}
  const backoff = {
    initialMs: int('backoff.initialMs', b.initialMs ?? d.backoff.initialMs, 1, DAY_MS),
    maxMs: int('backoff.maxMs', b.maxMs ?? d.backoff.maxMs, 1, DAY_MS),
    stableMs: int('backoff.stableMs', b.stableMs ?? d.backoff.stableMs, 0, DAY_MS),
  }
  if (backoff.maxMs < backoff.initialMs) {
    throw configError('backoff.maxMs', `${backoff.maxMs} is below backoff.initialMs`)
  }
  return {
    // 65535: the MQTT packet identifier space (MQTT 5 §2.2.1).
    windowSize: int('windowSize', options.windowSize ?? d.windowSize, 1, 65_535),
    watchdogMs: int('watchdogMs', options.watchdogMs ?? d.watchdogMs, 1, DAY_MS),
    backoff,
    drainMs: int('drainMs', options.drainMs ?? d.drainMs, 0, DAY_MS),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    connect: options.connect ?? connectMqttLink,
  }
}

/**
 * Validates `options` (for `check-config`).
 *
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG`.
 * @example
 * ```ts
 * checkPublisherOptions({ backoff: { initialMs: 500, maxMs: 100 } }) // throws backoff.maxMs …
 * ```
 */
export function checkPublisherOptions(options: PublisherOptions): void {
  resolvePublisherOptions(options)
}
