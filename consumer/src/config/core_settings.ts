/**
 * The consumer core's settings (key layer and pipeline) derived from the consumer's settings:
 * what `sealwire-consumer run` and `replay` hand `createConsumerCore`, and what the bench uses so
 * it measures the same configuration.
 *
 * @example
 * ```ts
 * const core = createConsumerCore({ ...parts, settings: coreSettings(settings) })
 * ```
 */
import type { KeyLayerSettings } from '../keys/key_layer.ts'
import type { PipelineSettings } from '../pipeline/pipeline.ts'
import type { ConsumerSettings } from './defaults.ts'

/** The settings of the consumer core. */
export interface CoreSettings {
  readonly keys: KeyLayerSettings
  readonly pipeline: PipelineSettings
}

/** Derives the core's settings from the consumer's (README "Settings"). */
export function coreSettings(s: ConsumerSettings): CoreSettings {
  return {
    keys: {
      cacheEntries: s.epochs.cacheEntries,
      cacheTtlMs: s.epochs.cacheTtlMs,
      ratePerSecond: s.kms.ratePerSecond,
      maxConcurrent: s.kms.maxConcurrent,
      throttleRetryMs: s.kms.throttleRetryMs,
    },
    pipeline: {
      topicPrefix: s.topicPrefix,
      parking: { ...s.parking },
      epochBudget: {
        windowMs: s.epochs.budgetWindowMs,
        perDevice: s.epochs.budgetPerDevice,
        total: s.epochs.budgetTotal,
      },
      sink: {
        initialMs: s.delivery.retryInitialMs,
        maxMs: s.delivery.retryMaxMs,
        deadLetterAfterMs: s.delivery.deadLetterAfterMs,
        batchMaxRecords: 1_000,
        batchesInFlight: 2,
      },
      storeRetry: { initialMs: 100, maxMs: 5_000 },
    },
  }
}
