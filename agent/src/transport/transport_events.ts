/**
 * What the publisher reports, for logs and metrics: typed events ({@link TransportEventMap})
 * and a snapshot of counters ({@link TransportStats}). Nothing reported carries payload bytes,
 * passwords or keys: errors are reduced to {@link TransportErrorInfo} (code, sanitized message,
 * MQTT reason code). A listener that throws is ignored: metrics must never stop publishing.
 *
 * @example
 * ```ts
 * publisher.on('reconnect', ({ attempt, delayMs, reason }) =>
 *   log.warn({ attempt, delayMs, code: reason.code }, 'reconnecting'))
 * const { published, acknowledged, reconnects, state, lastError } = publisher.stats()
 * ```
 */
import { plain } from '../../../platform/src/index.ts'
import { TransportError } from './errors.ts'
import type { TransportErrorCode } from './errors.ts'

/** The connection state. */
export type ConnectionState =
  'idle' | 'connecting' | 'connected' | 'waiting' | 'stopping' | 'stopped'

/** An error as reported: no payload, no secrets. */
export interface TransportErrorInfo {
  readonly code: TransportErrorCode
  /** Sanitized, single line, at most 200 characters. */
  readonly message: string
  /** The broker's MQTT reason code, when it sent one. */
  readonly reasonCode?: number
  /** Wall-clock time (ms since 1970) of the error. */
  readonly at: number
}

/** Events and their payloads. */
export interface TransportEventMap {
  /** The connection state changed. */
  state: { readonly state: ConnectionState; readonly at: number }
  /** A PUBLISH went out. `seq` is undefined for an announcement re-sent by the publisher. */
  published: {
    readonly seq: number | undefined
    readonly topic: string
    readonly bytes: number
    readonly retain: boolean
  }
  /** Its PUBACK arrived. */
  acknowledged: { readonly seq: number | undefined; readonly topic: string }
  /** A new connection attempt is scheduled after `delayMs`. */
  reconnect: {
    readonly attempt: number
    readonly delayMs: number
    readonly reason: TransportErrorInfo
  }
  /** The watchdog found no PUBACK for `stalledMs` with `inFlight` messages out. */
  watchdog: { readonly inFlight: number; readonly stalledMs: number }
  /** A queued message breaking a limit was removed from the outbox. */
  dropped: { readonly seq: number; readonly reason: TransportErrorInfo }
  /** Any failure, also the ones that lead to a `reconnect`. */
  error: TransportErrorInfo
}

/** A snapshot of the counters. */
export interface TransportStats {
  readonly state: ConnectionState
  /** PUBLISH packets sent (re-sends and announcements included). */
  readonly published: number
  /** PUBACKs received. */
  readonly acknowledged: number
  /** Announcements sent (queued ones and re-announcements). */
  readonly announcements: number
  /** Connection attempts after the first. */
  readonly reconnects: number
  /** Successful connections. */
  readonly connections: number
  /** Watchdog firings. */
  readonly watchdogFirings: number
  /** PUBACKs with a failure reason code. */
  readonly refused: number
  /** Queued messages dropped for breaking a limit. */
  readonly dropped: number
  /** Messages in flight now. */
  readonly inFlight: number
  /** The effective window of the current connection (the broker's Receive Maximum may lower it). */
  readonly window: number
  /** Monotonic ms when the current connection came up, if connected. */
  readonly connectedSince: number | undefined
  readonly lastError: TransportErrorInfo | undefined
}

/**
 * Reduces any error to what may be reported.
 *
 * @example
 * ```ts
 * errorInfo(err, 'ERR_TRANSPORT_CONNECTION_LOST', clock.now())
 * ```
 */
export function errorInfo(
  err: unknown,
  fallback: TransportErrorCode,
  at: number,
): TransportErrorInfo {
  const code = err instanceof TransportError ? err.code : fallback
  const message = plain(err instanceof Error ? err.message : String(err))
  const reasonCode = err instanceof TransportError ? err.reasonCode : undefined
  return reasonCode === undefined ? { code, message, at } : { code, message, reasonCode, at }
}

type Listener<T> = (event: T) => void

/**
 * A small typed emitter. `on` returns the unsubscribe function.
 *
 * @example
 * ```ts
 * const events = new TransportEvents()
 * const off = events.on('error', (e) => console.error(e.code, e.message))
 * off()
 * ```
 */
export class TransportEvents {
  readonly #listeners: {
    [K in keyof TransportEventMap]?: Set<Listener<TransportEventMap[K]>>
  } = {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof TransportEventMap>(
    event: K,
    listener: Listener<TransportEventMap[K]>,
  ): () => void {
    let set = this.#listeners[event] as Set<Listener<TransportEventMap[K]>> | undefined
    if (set === undefined) {
      set = new Set()
      ;(this.#listeners as Record<string, unknown>)[event] = set
    }
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  /** True when someone listens to `event` (to skip building per-message payloads). */
  has(event: keyof TransportEventMap): boolean {
    return (this.#listeners[event]?.size ?? 0) > 0
  }

  /** Calls the listeners of `event`; a throwing listener is ignored. */
  emit<K extends keyof TransportEventMap>(event: K, payload: TransportEventMap[K]): void {
    const set = this.#listeners[event] as Set<Listener<TransportEventMap[K]>> | undefined
    if (set === undefined) return
    for (const l of [...set]) {
      try {
        l(payload)
      } catch {
        // A metrics or log listener must never stop the publisher.
      }
    }
  }
}
