/**
 * `sealwire-agent` as a library: the same agent the CLI runs, for a gateway program that wants
 * it in process (`await agent.submit(reading)`), for the fleet simulator and for the bench.
 *
 * @example
 * ```ts
 * import { Agent, checkAgentSettings, entropySourceFor, loadSettings, openAgentStore } from './index.ts'
 * const { settings, sources } = await loadSettings({ flags: { device: 'out/dev-1' }, env: process.env })
 * const checked = await checkAgentSettings(settings, sources)
 * const store = await openAgentStore({ stateDir: checked.stateDir })
 * const agent = await Agent.start({ ...checked, store, entropy: entropySourceFor(settings), logger })
 * await agent.submit({ stream: 'temp', value: 21.5 })
 * ```
 */
export { Agent, AgentError } from './agent.ts'
export type { AgentErrorCode, AgentParts } from './agent.ts'
export { main, AGENT_EXIT } from './main.ts'
export { AGENT_VERSION } from './version.ts'
export { agentDefaults } from './config/defaults.ts'
export type { AgentSettings } from './config/defaults.ts'
export { loadSettings, settingEnvNames } from './config/load_settings.ts'
export type { LoadedSettings, LoadSettingsInput, SettingFlags } from './config/load_settings.ts'
export { ConfigError } from '../../platform/src/index.ts'
export { agentJsonSchema } from './config/json_schema.ts'
export { checkAgentSettings, entropySourceFor, startAgent } from './resolve_parts.ts'
export type { CheckedSettings } from './resolve_parts.ts'
export { serveAgent } from './serve.ts'
export type { AgentHardware, ServedAgent } from './serve.ts'
export { parseReadings, checkReading, ReadingError } from './ingest/parse_readings.ts'
export type { Reading } from './ingest/parse_readings.ts'
export { startIngestServer, parseListenAddress } from './ingest/http_server.ts'
export type { IngestServer, IngestTarget, ListenAddress } from './ingest/http_server.ts'
export { RecordClock } from './clock/record_clock.ts'
export type { ClockTrust, Stamp } from './clock/record_clock.ts'
export { AgentMetrics } from './metrics/agent_metrics.ts'
export type { MetricsSnapshot } from './metrics/agent_metrics.ts'
export { openAgentStore, readStoreStatus, storeDefaults, OutboxFullError } from './store/index.ts'
export type { AgentStore, AgentStoreOptions, Durability, StoreStatus } from './store/index.ts'
export {
  EntropyError,
  HardwareEntropySource,
  OsEntropySource,
  aptCutoff,
  rctCutoff,
  entropyDefaults,
} from './entropy/index.ts'
export type { EntropySource, EntropyHealth, SampleInput } from './entropy/index.ts'
export { MqttPublisher, loadBrokerSettings, transportDefaults } from './transport/index.ts'
export type { BrokerSettings, OutboxSource, QueuedMessage } from './transport/index.ts'
