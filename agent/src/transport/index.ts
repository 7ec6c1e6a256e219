/**
 * `agent/src/transport/`: the device agent's MQTT transport. QoS 1 over a sliding in-flight
 * window, acknowledgement to the outbox on PUBACK only, retained key announcements re-published
 * on every new connection, reconnect with full-jitter backoff, a progress watchdog, AWS IoT Core
 * limits. README.md states the contract.
 *
 * @example
 * ```ts
 * import { MqttPublisher, loadBrokerSettings } from './transport/index.ts'
 * const publisher = new MqttPublisher(outbox, await loadBrokerSettings(input))
 * publisher.start()
 * ```
 */
export { TransportError } from './errors.ts'
export type { TransportErrorCode, TransportErrorDetails } from './errors.ts'
export { AWS_IOT_LIMITS, checkPayloadSize, checkPublishTopic } from './limits.ts'
export { transportDefaults } from './defaults.ts'
export type { TransportDefaults } from './defaults.ts'
export { readPrivateKeyFile } from './tls_files.ts'
export type { TlsFilePaths, TlsMaterial } from './tls_files.ts'
export { checkBrokerSettings, loadBrokerSettings } from './broker_settings.ts'
export type { BrokerSettings, BrokerSettingsInput } from './broker_settings.ts'
export type { Announcement, OutboxSource, QueuedMessage } from './outbox_source.ts'
export { MemoryOutboxSource } from './memory_outbox_source.ts'
export type { NewQueuedMessage } from './memory_outbox_source.ts'
export type { ReconnectBackoffOptions } from './reconnect_backoff.ts'
export type {
  ConnectionState,
  TransportErrorInfo,
  TransportEventMap,
  TransportStats,
} from './transport_events.ts'
export type { MqttLink, MqttLinkFactory } from './mqtt_link.ts'
export { checkPublisherOptions } from './publisher_options.ts'
export type { PublisherOptions } from './publisher_options.ts'
export { MqttPublisher } from './mqtt_publisher.ts'
export type { StopOptions } from './mqtt_publisher.ts'
