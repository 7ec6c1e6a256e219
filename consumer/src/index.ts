/**
 * `consumer/`: the cloud side of sealwire. `sealwire-consumer` subscribes to the devices'
 * topics (shared subscriptions for data), calls KMS `Decrypt` once per data-key epoch, opens,
 * checks replay and gaps, and delivers each reading once to its sink; what cannot be delivered is
 * kept as a dead letter, replayable. The normative description is `../README.md`.
 *
 * @example
 * ```ts
 * import { createConsumerCore, keyRingOf, MemoryConsumerState, sinkFromUrl } from '../../consumer/src/index.ts'
 * const core = createConsumerCore({ ring, session, state, sink, deadLetters, settings, log })
 * const outcome = await core.pipeline.handle({ topic, payload, receivedAt: Date.now() })
 * ```
 */
export { main, CONSUMER_EXIT } from './main.ts'
export type { ConsumerParts } from './main.ts'
export { createConsumerCore } from './consumer_core.ts'
export type { ConsumerCore, ConsumerCoreOptions } from './consumer_core.ts'
export { Pipeline } from './pipeline/pipeline.ts'
export type {
  InboundMessage,
  LetterOutcome,
  Outcome,
  PipelineParts,
  PipelineSettings,
} from './pipeline/pipeline.ts'
export { replayDeadLetters } from './replay.ts'
export type { ReplayOptions, ReplaySummary } from './replay.ts'
export { keyRingOf, loadKeyRing } from './keys/key_ring.ts'
export type { KeyRing, ServedKey } from './keys/key_ring.ts'
export type { KeyLayerSettings } from './keys/key_layer.ts'
export { MqttSubscriber } from './transport/mqtt_subscriber.ts'
export type { SubscriberOptions, SubscriptionInfo } from './transport/mqtt_subscriber.ts'
export { ConsumerMetrics } from './metrics/consumer_metrics.ts'
export { consumerDefaults } from './config/defaults.ts'
export { coreSettings } from './config/core_settings.ts'
export type { CoreSettings } from './config/core_settings.ts'
export type { ConsumerSettings } from './config/defaults.ts'
export { loadSettings, settingEnvNames } from './config/load_settings.ts'
export {
  BrokerError,
  ConfigError,
  ConsumerError,
  EpochBudgetError,
  SinkUnavailableError,
} from './errors.ts'
export type { AnyConsumerError, ConsumerErrorCode } from './errors.ts'
export { CONSUMER_VERSION } from './version.ts'
export {
  MemoryConsumerState,
  RedisConsumerState,
  stateDefaults,
  stateFromSpec,
  StateError,
} from './state/index.ts'
export type { ConsumerState, StoredAnnouncement } from './state/index.ts'
export { JsonlSink, PostgresSink, sinkDefaults, sinkFromUrl, SinkError } from './sinks/index.ts'
export type { OutputRecord, Sink, SinkWriteResult } from './sinks/index.ts'
export {
  DEAD_LETTER_REASONS,
  deadLetterDefaults,
  deadLettersFromSpec,
  DeadLetterError,
  DirectoryDeadLetterStore,
  MemoryDeadLetterStore,
  PostgresDeadLetterStore,
} from './dead_letters/index.ts'
export type { DeadLetter, DeadLetterReason, DeadLetterStore } from './dead_letters/index.ts'
