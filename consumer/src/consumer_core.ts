/**
 * The consumer without its transport: metrics, the key layer (KMS `Decrypt` through kms-client's
 * `kmsUnwrap`, guarded) and the pipeline, over a given state, sink and dead-letter store. `run`
 * puts the MQTT subscriber in front of it; `replay` feeds it dead letters; tests feed it messages.
 *
 * @example
 * ```ts
 * const core = createConsumerCore({ ring, session, state, sink, deadLetters, settings, log })
 * await core.pipeline.handle({ topic, payload, receivedAt: Date.now() })
 * await core.close()
 * ```
 */
import type { CoreSettings } from './config/core_settings.ts'
import type { Logger } from 'pino'
import type { Unwrap } from '../../envelope/src/index.ts'
import { kmsUnwrap } from '../../kms-client/src/index.ts'
import type { KmsSession, KmsUnwrapEvent, RetryEvent } from '../../kms-client/src/index.ts'
import { systemClock } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import type { DeadLetterStore } from './dead_letters/dead_letter_store.ts'
import { isThrottling } from './keys/kms_gate.ts'
import { hsmFallbackUnwrap } from './keys/hsm_fallback.ts'
import type { HsmFallbackOptions } from './keys/hsm_fallback.ts'
import { createKeyLayer } from './keys/key_layer.ts'
import type { KeyLayer } from './keys/key_layer.ts'
import type { KeyRing } from './keys/key_ring.ts'
import { ConsumerMetrics } from './metrics/consumer_metrics.ts'
import { Pipeline } from './pipeline/pipeline.ts'
import type { Sink } from './sinks/sink.ts'
import type { ConsumerState } from './state/consumer_state.ts'

/** What {@link createConsumerCore} needs. */
export interface ConsumerCoreOptions {
  readonly ring: KeyRing
  /** KMS: `Decrypt` goes through `kmsUnwrap` on this session. */
  readonly session?: KmsSession | undefined
  /** Instead of a session: any `Unwrap` (tests). */
  readonly unwrap?: Unwrap | undefined
  /** Decryption through the in-house HSM when KMS is unavailable (keys/hsm_fallback.ts). */
  readonly hsmFallback?: Omit<HsmFallbackOptions, 'primary' | 'onFallback' | 'clock'> | undefined
  readonly state: ConsumerState
  readonly sink: Sink
  readonly deadLetters: DeadLetterStore
  readonly settings: CoreSettings
  readonly log: Logger
  readonly clock?: Clock | undefined
}

/** The assembled core. */
export interface ConsumerCore {
  readonly pipeline: Pipeline
  readonly keys: KeyLayer
  readonly metrics: ConsumerMetrics
  /** Messages received by a transport and not yet acknowledged, set by the transport. */
  transportInFlight: () => number
  /**
   * For the KMS session's `onRetry`: counts a throttling answer (which kms-client then retries)
   * and slows the client-side rate limit.
   */
  onKmsRetry(operation: string, retry: RetryEvent): void
  /** Waits for the messages in flight (at most `drainMs`), then aborts what is left. */
  stop(drainMs: number): Promise<number>
}

/**
 * Builds the core (see the module doc). Throttling answers that kms-client retries are counted
 * when the session's `onRetry` calls {@link ConsumerCore.onKmsRetry}.
 *
 * @example
 * ```ts
 * const core = createConsumerCore({ ring, unwrap: createLocalUnwrap(privateKey), state, sink, deadLetters, settings, log })
 * ```
 */
export function createConsumerCore(options: ConsumerCoreOptions): ConsumerCore {
  const abort = new AbortController()
  // Read at scrape time, once the parts below exist.
  const live: { keys?: KeyLayer; pipeline?: Pipeline } = {}
  const core: { transportInFlight: () => number } = {
    transportInFlight: () => live.pipeline?.inFlight ?? 0,
  }
  const metrics = new ConsumerMetrics(() => ({
    parked: live.pipeline?.parked ?? 0,
    inFlight: core.transportInFlight(),
    cachedEpochs: live.keys?.cache.size ?? 0,
    kmsRatePerSecond: live.keys?.limiter.rate ?? 0,
  }))
  let inner: Unwrap
  if (options.session !== undefined) {
    inner = kmsUnwrap({
      session: options.session,
      keys: options.ring.table,
      onUnwrap: (e: KmsUnwrapEvent) => {
        metrics.kmsUnwraps.inc({ outcome: e.outcome })
        if (e.requests > 0) metrics.kmsDecryptRequests.inc(e.requests)
        if (e.outcome === 'unavailable') {
          options.log.warn(
            {
              event: 'kms-unavailable',
              kid: e.kid,
              requests: e.requests,
              error: (e.error as Error | undefined)?.message,
            },
            'KMS Decrypt failed after retries',
          )
        }
      },
      clock: options.clock,
    })
  } else if (options.unwrap !== undefined) {
    inner = options.unwrap
  } else {
    throw new TypeError('createConsumerCore: give a session or an unwrap')
  }
  if (options.hsmFallback !== undefined) {
    inner = hsmFallbackUnwrap({
      ...options.hsmFallback,
      primary: inner,
      clock: options.clock,
      onFallback: (e) => {
        metrics.hsmFallbacks.inc({ to: e.to, outcome: e.outcome })
        options.log.warn(
          {
            event: 'hsm-fallback',
            kid: e.kid,
            from: e.from,
            to: e.to,
            reason: e.reason,
            outcome: e.outcome,
          },
          `epoch key through the ${e.to === 'hsm' ? 'HSM' : 'KMS'} (${e.reason}): ${e.outcome}`,
        )
      },
    })
  }
  const keys = createKeyLayer({
    ring: options.ring,
    unwrap: inner,
    settings: options.settings.keys,
    readAnnouncement: async (deviceId, epochIdHex) => {
      // A state failure here is retried like every other state call.
      for (let attempt = 0; ; attempt++) {
        try {
          return await options.state.getAnnouncement(deviceId, epochIdHex)
        } catch (err) {
          if (abort.signal.aborted) throw err
          metrics.stateFailures.inc()
          await (options.clock ?? systemClock).sleep(
            Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)),
            abort.signal,
          )
        }
      }
    },
    onLookup: (result) => metrics.lookup(result),
    onThrottled: () => metrics.kmsThrottles.inc({ operation: 'Decrypt' }),
    onBadStored: (deviceId, epochIdHex, err) =>
      options.log.error(
        {
          event: 'stored-announcement-bad',
          device: deviceId,
          epoch: epochIdHex,
          code: (err as { code?: unknown }).code,
        },
        'a stored announcement no longer opens; ignored',
      ),
    signal: abort.signal,
    clock: options.clock,
  })
  const pipeline = new Pipeline({
    keys,
    state: options.state,
    sink: options.sink,
    deadLetters: options.deadLetters,
    metrics,
    log: options.log,
    settings: options.settings.pipeline,
    signal: abort.signal,
    clock: options.clock,
  })
  live.keys = keys
  live.pipeline = pipeline
  const p = pipeline
  const k = keys
  return Object.assign(core, {
    pipeline: p,
    keys: k,
    metrics,
    onKmsRetry(operation: string, retry: RetryEvent): void {
      if (!isThrottling(retry.error)) return
      metrics.kmsThrottles.inc({ operation })
      if (operation === 'Decrypt') k.limiter.throttled()
    },
    async stop(drainMs: number): Promise<number> {
      const left = await p.drain(drainMs)
      abort.abort()
      // What was still retrying ends at once now (its message is not acknowledged).
      if (left > 0) await p.drain(2_000)
      return left
    },
  })
}
