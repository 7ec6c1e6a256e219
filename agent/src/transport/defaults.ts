/**
 * Defaults of the transport, in one typed object (STYLE §4.1), merged once with the caller's
 * settings by `loadBrokerSettings` and `MqttPublisher`.
 *
 * @example
 * ```ts
 * new MqttPublisher(source, settings, { windowSize: transportDefaults.windowSize * 2 })
 * ```
 */

/** The shape of {@link transportDefaults}. */
export interface TransportDefaults {
  /** MQTT 5 unless 3.1.1 (`4`) is asked for: AWS IoT Core and Mosquitto speak both. */
  readonly protocolVersion: 4 | 5
  /** MQTT keepalive in seconds (AWS IoT Core accepts 30–1200 and clamps others). */
  readonly keepaliveSec: number
  /** Limit on TCP + TLS + CONNACK, in milliseconds. */
  readonly connectTimeoutMs: number
  /**
   * QoS 1 messages in flight at once: the next is sent as each PUBACK arrives. DESIGN.md
   * measured 12k–17k msg/s for windows of 8–256 to Mosquitto; under AWS IoT Core's 100.
   */
  readonly windowSize: number
  /** A connection with messages in flight and no PUBACK for this long is reconnected. */
  readonly watchdogMs: number
  /** Reconnect backoff: full jitter, cap `initialMs · 2^attempt` up to `maxMs`. */
  readonly backoff: Readonly<{
    initialMs: number
    maxMs: number
    /** A connection that lasted this long resets the attempt count. */
    stableMs: number
  }>
  /** How long `stop()` waits for in-flight PUBACKs by default. */
  readonly drainMs: number
  /** Largest file accepted as a CA bundle, certificate or key. */
  readonly maxTlsFileBytes: number
}

/** The defaults. */
export const transportDefaults: TransportDefaults = Object.freeze({
  protocolVersion: 5,
  keepaliveSec: 60,
  connectTimeoutMs: 10_000,
  windowSize: 64,
  watchdogMs: 30_000,
  backoff: Object.freeze({ initialMs: 1_000, maxMs: 60_000, stableMs: 60_000 }),
  drainMs: 5_000,
  maxTlsFileBytes: 1024 * 1024,
})
