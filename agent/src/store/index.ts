/**
 * `agent/src/store/`: the agent's durable state in SQLite (`<state>/agent.db`). The README beside
 * this file is the normative schema and durability contract.
 *
 * @example
 * ```ts
 * import { openAgentStore, readStoreStatus } from './store/index.ts'
 * const store = await openAgentStore({ stateDir })
 * ```
 */
export { openAgentStore, AgentStore } from './agent_store.ts'
export type { AgentOutboxOptions, AgentStoreOptions } from './agent_store.ts'
export { StateDatabase, STATE_DB_FILE } from './database.ts'
export type { StateDatabaseOptions } from './database.ts'
export type { SequenceOptions } from './sequence_allocator.ts'
export { Outbox } from './outbox.ts'
export type {
  DropCount,
  DropCounts,
  DropListener,
  DropReason,
  OutboxDepth,
  OutboxItem,
  OutboxKind,
  OutboxOptions,
  OutboxRow,
} from './outbox.ts'
export type { TimeFloorOptions } from './time_floor.ts'
export { readStoreStatus } from './status.ts'
export type { ReadStatusOptions, StoreStatus } from './status.ts'
export { SCHEMA_VERSION } from './schema.ts'
export { storeDefaults } from './defaults.ts'
export type { Durability, FullPolicy, StoreDefaults } from './defaults.ts'
export { OutboxFullError } from './errors.ts'
export type { StoreErrorCode } from './errors.ts'
export type { GroupCommitStats } from './_group_commit.ts'
