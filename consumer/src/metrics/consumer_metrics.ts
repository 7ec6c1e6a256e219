/**
 * The consumer's Prometheus metrics (prom-client), on a registry of its own (never the global
 * default, so several consumers in one process, as in tests, do not mix). Names follow
 * Prometheus conventions: `sealwire_consumer_` prefix, `_total` on counters, seconds for time.
 * The README's "Metrics" table is the normative list.
 *
 * @example
 * ```ts
 * const metrics = new ConsumerMetrics()
 * metrics.deadLetters.inc({ reason: 'malformed' })
 * res.end(await metrics.registry.metrics())
 * ```
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { DEAD_LETTER_REASONS } from '../dead_letters/dead_letter_store.ts'

/** Live values read at scrape time. */
export interface MetricsSnapshot {
  readonly parked: number
  readonly inFlight: number
  readonly cachedEpochs: number
  readonly kmsRatePerSecond: number
}

/**
 * The per-message counts of the hot path, kept as plain numbers (no label lookup per message)
 * and added to their counters whenever the registry is read ({@link ConsumerMetrics.flush}), so
 * a scrape sees exactly what the counters would have held.
 */
export interface HotCounts {
  /** `messages_received_total{topic="data"}`, `{topic="key"}`, `{topic="other"}`. */
  receivedData: number
  receivedKey: number
  receivedOther: number
  /** `messages_opened_total{form="compact",topic="data"}`. */
  openedCompactData: number
  /** `messages_delivered_total`. */
  delivered: number
  /** `epoch_cache_lookups_total{result="hit"}`. */
  lookupHits: number
  /** `readings_delivered_total`. */
  readings: number
}

/** Sink write times kept before they are observed into the histogram at the latest. */
const LATENCIES_KEPT = 1024

/** Every metric of one consumer. */
export class ConsumerMetrics {
  /** Counts added to the counters at the next read of the registry (see {@link HotCounts}). */
  readonly hot: HotCounts = {
    receivedData: 0,
    receivedKey: 0,
    receivedOther: 0,
    openedCompactData: 0,
    delivered: 0,
    lookupHits: 0,
    readings: 0,
  }
  /** Sink write times (seconds) not yet observed into `sinkLatency`. */
  readonly #latencies = new Float64Array(LATENCIES_KEPT)
  #latencyCount = 0
  readonly registry: Registry
  readonly received: Counter<'topic'>
  readonly opened: Counter<'form' | 'topic'>
  readonly messagesDelivered: Counter
  readonly readingsDelivered: Counter
  readonly sinkDuplicateReadings: Counter
  readonly duplicates: Counter<'verdict'>
  readonly gaps: Counter
  readonly gapEvents: Counter
  readonly parkedTotal: Counter
  readonly unparked: Counter
  readonly deadLetters: Counter<'reason'>
  readonly deadLettersDropped: Counter<'reason'>
  readonly kmsUnwraps: Counter<'outcome'>
  readonly kmsDecryptRequests: Counter
  /** Unwraps that went to the second of KMS and the HSM (keys/hsm_fallback.ts), by outcome and target. */
  readonly hsmFallbacks: Counter<'to' | 'outcome'>
  readonly kmsThrottles: Counter<'operation'>
  readonly epochLookups: Counter<'result'>
  readonly newEpochs: Counter
  readonly sinkLatency: Histogram
  readonly sinkFailures: Counter
  readonly stateFailures: Counter
  readonly #lookups = { hit: 0, all: 0 }

  constructor(read: () => MetricsSnapshot) {
    const registry = new Registry()
    this.registry = registry
    const registers = [registry]
    const collect = (): void => this.flush()
    this.received = new Counter({
      name: 'sealwire_consumer_messages_received_total',
      help: 'MQTT messages received, by topic kind (data, key); redeliveries included.',
      labelNames: ['topic'],
      registers,
      collect,
    })
    this.opened = new Counter({
      name: 'sealwire_consumer_messages_opened_total',
      help: 'Messages that decrypted and authenticated, by form (compact, full) and topic kind.',
      labelNames: ['form', 'topic'],
      registers,
      collect,
    })
    this.messagesDelivered = new Counter({
      name: 'sealwire_consumer_messages_delivered_total',
      help: 'Data messages whose readings were committed to the sink.',
      registers,
      collect,
    })
    this.readingsDelivered = new Counter({
      name: 'sealwire_consumer_readings_delivered_total',
      help: 'Readings newly stored by the sink.',
      registers,
      collect,
    })
    this.sinkDuplicateReadings = new Counter({
      name: 'sealwire_consumer_sink_duplicate_readings_total',
      help: 'Readings the sink already held (same device, sequence number, index): not stored again.',
      registers,
    })
    this.duplicates = new Counter({
      name: 'sealwire_consumer_duplicates_total',
      help: 'Data messages dropped by the replay window: duplicate (already delivered) or too-old (below the window).',
      labelNames: ['verdict'],
      registers,
    })
    for (const verdict of ['duplicate', 'too-old']) this.duplicates.inc({ verdict }, 0)
    this.gaps = new Counter({
      name: 'sealwire_consumer_gap_sequence_numbers_total',
      help: 'Sequence numbers skipped when a device’s highest delivered number moved up.',
      registers,
    })
    this.gapEvents = new Counter({
      name: 'sealwire_consumer_gaps_total',
      help: 'Times a device’s highest delivered sequence number jumped by more than one.',
      registers,
    })
    this.parkedTotal = new Counter({
      name: 'sealwire_consumer_parked_total',
      help: 'Compact messages parked because their epoch was unknown.',
      registers,
    })
    this.unparked = new Counter({
      name: 'sealwire_consumer_unparked_total',
      help: 'Parked messages handled after their announcement arrived.',
      registers,
    })
    this.deadLetters = new Counter({
      name: 'sealwire_consumer_dead_letters_total',
      help: 'Messages dead-lettered, by reason.',
      labelNames: ['reason'],
      registers,
    })
    for (const reason of DEAD_LETTER_REASONS) this.deadLetters.inc({ reason }, 0)
    this.deadLettersDropped = new Counter({
      name: 'sealwire_consumer_dead_letters_dropped_total',
      help: 'Undeliverable messages too large for the dead-letter store: logged and dropped, by reason.',
      labelNames: ['reason'],
      registers,
    })
    this.kmsUnwraps = new Counter({
      name: 'sealwire_consumer_kms_unwraps_total',
      help: 'Epoch keys unwrapped through KMS Decrypt, by outcome (unwrapped, unknown-kid, decryption-failed, unavailable).',
      labelNames: ['outcome'],
      registers,
    })
    this.kmsDecryptRequests = new Counter({
      name: 'sealwire_consumer_kms_decrypt_requests_total',
      help: 'KMS Decrypt requests sent, retries included (what counts against the quota).',
      registers,
    })
    this.hsmFallbacks = new Counter({
      name: 'sealwire_consumer_hsm_fallbacks_total',
      help: 'Epoch-key unwraps that went to the second of KMS and the HSM (to: hsm or kms), by outcome (unwrapped, decryption-failed, unavailable).',
      labelNames: ['to', 'outcome'],
      registers,
    })
    this.kmsThrottles = new Counter({
      name: 'sealwire_consumer_kms_throttles_total',
      help: 'KMS throttling answers (ThrottlingException), by operation.',
      labelNames: ['operation'],
      registers,
    })
    this.kmsThrottles.inc({ operation: 'Decrypt' }, 0)
    this.epochLookups = new Counter({
      name: 'sealwire_consumer_epoch_cache_lookups_total',
      help: 'Epoch key lookups: hit (memory), recovered (stored announcement, one Decrypt), miss.',
      labelNames: ['result'],
      registers,
      collect,
    })
    this.newEpochs = new Counter({
      name: 'sealwire_consumer_new_epochs_total',
      help: 'Epochs seen for the first time (counted against the new-epoch budget).',
      registers,
    })
    this.sinkLatency = new Histogram({
      name: 'sealwire_consumer_sink_write_seconds',
      help: 'Time of one successful sink write.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
      collect,
    })
    this.sinkFailures = new Counter({
      name: 'sealwire_consumer_sink_failures_total',
      help: 'Sink writes that failed (retried with backoff, acknowledgement held).',
      registers,
    })
    this.stateFailures = new Counter({
      name: 'sealwire_consumer_state_failures_total',
      help: 'State or dead-letter store calls that failed (retried with backoff, acknowledgement held).',
      registers,
    })
    const lookups = this.#lookups
    new Gauge({
      name: 'sealwire_consumer_epoch_cache_hit_ratio',
      help: 'Share of epoch key lookups answered from memory since start.',
      registers,
      collect() {
        collect()
        this.set(lookups.all === 0 ? 1 : lookups.hit / lookups.all)
      },
    })
    const gauge = (name: string, help: string, pick: (s: MetricsSnapshot) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(read()))
        },
      })
    }
    gauge('sealwire_consumer_parked_messages', 'Messages parked now.', (s) => s.parked)
    gauge(
      'sealwire_consumer_in_flight_messages',
      'Messages received and not yet acknowledged.',
      (s) => s.inFlight,
    )
    gauge(
      'sealwire_consumer_epoch_cache_entries',
      'Epoch keys held in memory.',
      (s) => s.cachedEpochs,
    )
    gauge(
      'sealwire_consumer_kms_rate_limit_per_second',
      'The client-side KMS Decrypt rate limit now (halved on throttling).',
      (s) => s.kmsRatePerSecond,
    )
  }

  /** Counts one epoch key lookup. */
  lookup(result: 'hit' | 'recovered' | 'miss'): void {
    if (result === 'hit') {
      this.hot.lookupHits++
      return
    }
    this.epochLookups.inc({ result })
    this.#lookups.all++
  }

  /** Counts one received message by topic kind (a hot count). */
  countReceived(kind: 'data' | 'key' | undefined): void {
    if (kind === 'data') this.hot.receivedData++
    else if (kind === 'key') this.hot.receivedKey++
    else this.hot.receivedOther++
  }

  /** Counts one successful sink write: readings newly stored, and its time in seconds. */
  sinkWritten(inserted: number, duplicates: number, seconds: number): void {
    this.hot.readings += inserted
    if (duplicates > 0) this.sinkDuplicateReadings.inc(duplicates)
    if (this.#latencyCount === LATENCIES_KEPT) this.#observeLatencies()
    this.#latencies[this.#latencyCount++] = seconds
  }

  #observeLatencies(): void {
    for (let i = 0; i < this.#latencyCount; i++) this.sinkLatency.observe(this.#latencies[i]!)
    this.#latencyCount = 0
  }

  /** Adds the hot counts to their counters (called whenever the registry is read). */
  flush(): void {
    if (this.#latencyCount > 0) this.#observeLatencies()
    const h = this.hot
    if (h.receivedData > 0) this.received.inc({ topic: 'data' }, h.receivedData)
    if (h.receivedKey > 0) this.received.inc({ topic: 'key' }, h.receivedKey)
    if (h.receivedOther > 0) this.received.inc({ topic: 'other' }, h.receivedOther)
    if (h.openedCompactData > 0) {
      this.opened.inc({ form: 'compact', topic: 'data' }, h.openedCompactData)
    }
    if (h.delivered > 0) this.messagesDelivered.inc(h.delivered)
    if (h.readings > 0) this.readingsDelivered.inc(h.readings)
    if (h.lookupHits > 0) {
      this.epochLookups.inc({ result: 'hit' }, h.lookupHits)
      this.#lookups.all += h.lookupHits
      this.#lookups.hit += h.lookupHits
    }
    h.receivedData = h.receivedKey = h.receivedOther = 0
    h.openedCompactData = h.delivered = h.lookupHits = h.readings = 0
  }
}
