/**
 * The consumer's shared state: replay windows, stored announcements and new-epoch budgets behind
 * {@link ConsumerState}, in memory or in Redis. The contract is this folder's README.md.
 *
 * @example
 * ```ts
 * import { stateFromSpec } from './state/index.ts'
 * const state = await stateFromSpec('redis://127.0.0.1:6379', { keyPrefix: 'sealwire:' })
 * ```
 */
export type {
  ConsumerState,
  EpochBudget,
  MarkResult,
  ReplayVerdict,
  StoredAnnouncement,
} from './consumer_state.ts'
export { MemoryConsumerState } from './memory_consumer_state.ts'
export type { MemoryConsumerStateOptions } from './memory_consumer_state.ts'
export { RedisConsumerState } from './redis_consumer_state.ts'
export type { RedisConsumerStateOptions } from './redis_consumer_state.ts'
export { stateFromSpec } from './state_from_spec.ts'
export type { StateSpecOptions } from './state_from_spec.ts'
export { stateDefaults } from './defaults.ts'
export type { StateDefaults } from './defaults.ts'
export { StateError } from './errors.ts'
export type { StateErrorCode } from './errors.ts'
