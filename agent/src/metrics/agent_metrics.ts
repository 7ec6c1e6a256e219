/**
 * The agent's Prometheus metrics (prom-client), on a registry of its own (never the global
 * default, so several agents in one process — the fleet simulator — do not mix). Names follow
 * Prometheus conventions: `sealwire_agent_` prefix, `_total` on counters, base units (bytes,
 * seconds). Gauges that mirror state (outbox depth, entropy health, clock) are read at scrape
 * time through `collect`, so they are never stale.
 *
 * @example
 * ```ts
 * const metrics = new AgentMetrics({ deviceId: 'dev-1', read: () => agent.snapshot() })
 * metrics.readingsAccepted.inc(3)
 * res.end(await metrics.registry.metrics())
 * ```
 */
import { Counter, Gauge, Registry } from 'prom-client'

/** Live state read at scrape time. */
export interface MetricsSnapshot {
  readonly outboxMessages: number
  readonly outboxBytes: number
  readonly oldestQueuedAgeSeconds: number
  /** 1 connected, 0 not. */
  readonly brokerConnected: number
  /** 1 healthy, 0 failed (latched) or starting. */
  readonly entropyHealthy: number
  /** 1 once the clock is trusted (records flagged synced), 0 before. */
  readonly clockSynced: number
  readonly sequenceHighWater: number
  readonly inFlight: number
}

/** Options of {@link AgentMetrics}. */
export interface AgentMetricsOptions {
  readonly deviceId: string
  readonly read: () => MetricsSnapshot
}

/** Every metric of one agent. */
export class AgentMetrics {
  readonly registry: Registry
  readonly readingsAccepted: Counter
  readonly readingsRejected: Counter<'reason'>
  readonly messagesSealed: Counter<'kind'>
  readonly messagesPublished: Counter
  readonly messagesAcknowledged: Counter
  readonly messagesDropped: Counter<'reason'>
  readonly bytesDropped: Counter<'reason'>
  readonly epochs: Counter
  readonly reconnects: Counter
  readonly entropyFailures: Counter<'code'>

  constructor(options: AgentMetricsOptions) {
    const registry = new Registry()
    registry.setDefaultLabels({ device: options.deviceId })
    this.registry = registry
    const registers = [registry]
    this.readingsAccepted = new Counter({
      name: 'sealwire_agent_readings_accepted_total',
      help: 'Readings durably queued (the request that carried them got 200).',
      registers,
    })
    this.readingsRejected = new Counter({
      name: 'sealwire_agent_readings_rejected_total',
      help: 'Readings refused, by reason (invalid, outbox_full, entropy, stopping, internal).',
      labelNames: ['reason'],
      registers,
    })
    this.messagesSealed = new Counter({
      name: 'sealwire_agent_messages_sealed_total',
      help: 'Messages sealed, by kind (data, announcement).',
      labelNames: ['kind'],
      registers,
    })
    this.messagesPublished = new Counter({
      name: 'sealwire_agent_messages_published_total',
      help: 'MQTT PUBLISH packets sent (re-sends included).',
      registers,
    })
    this.messagesAcknowledged = new Counter({
      name: 'sealwire_agent_messages_acknowledged_total',
      help: 'Messages acknowledged by the broker (PUBACK) and removed from the outbox.',
      registers,
    })
    this.messagesDropped = new Counter({
      name: 'sealwire_agent_messages_dropped_total',
      help: 'Queued messages dropped by policy, by reason (full, ttl).',
      labelNames: ['reason'],
      registers,
    })
    this.bytesDropped = new Counter({
      name: 'sealwire_agent_dropped_bytes_total',
      help: 'Sealed bytes dropped by policy, by reason (full, ttl).',
      labelNames: ['reason'],
      registers,
    })
    this.epochs = new Counter({
      name: 'sealwire_agent_epochs_total',
      help: 'Data-key epochs started (one RSA-OAEP wrap and one announcement each).',
      registers,
    })
    this.reconnects = new Counter({
      name: 'sealwire_agent_reconnects_total',
      help: 'Broker connections lost and re-established.',
      registers,
    })
    this.entropyFailures = new Counter({
      name: 'sealwire_agent_entropy_failures_total',
      help: 'Entropy health-test failures (latched), by code.',
      labelNames: ['code'],
      registers,
    })
    const gauge = (name: string, help: string, pick: (s: MetricsSnapshot) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(options.read()))
        },
      })
    }
    gauge('sealwire_agent_outbox_messages', 'Messages in the outbox.', (s) => s.outboxMessages)
    gauge('sealwire_agent_outbox_bytes', 'Sealed bytes in the outbox.', (s) => s.outboxBytes)
    gauge(
      'sealwire_agent_outbox_oldest_age_seconds',
      'Age of the oldest queued message (0 when empty).',
      (s) => s.oldestQueuedAgeSeconds,
    )
    gauge(
      'sealwire_agent_broker_connected',
      '1 while connected to the broker.',
      (s) => s.brokerConnected,
    )
    gauge('sealwire_agent_in_flight_messages', 'QoS 1 messages awaiting PUBACK.', (s) => s.inFlight)
    gauge(
      'sealwire_agent_entropy_healthy',
      '1 while the entropy source passes its health tests; 0 is an alarm.',
      (s) => s.entropyHealthy,
    )
    gauge(
      'sealwire_agent_clock_synced',
      '1 once record times come from a trusted clock.',
      (s) => s.clockSynced,
    )
    gauge(
      'sealwire_agent_sequence_high_water',
      'Highest device sequence number handed out.',
      (s) => s.sequenceHighWater,
    )
  }
}
