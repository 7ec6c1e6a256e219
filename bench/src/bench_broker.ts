/**
 * The broker of the agent rows: the machine's Mosquitto at 127.0.0.1:1883 when it answers an
 * MQTT 5 CONNECT, otherwise an in-process aedes on a free port (MQTT 3.1.1 only, DESIGN.md), used
 * by both sides of every comparison so they meet the same broker. Nobody subscribes. The brokers
 * themselves are the fleet simulator's (`firmware-sim`: `openFleetBroker`, `clearRetained`).
 *
 * @example
 * ```ts
 * const broker = await openBenchBroker()
 * broker.describe // 'Mosquitto at 127.0.0.1:1883 (MQTT 5)'
 * await broker.close()
 * ```
 */
import {
  clearRetained as clearFleetRetained,
  openFleetBroker,
} from '../../firmware-sim/src/index.ts'
import type { FleetBroker } from '../../firmware-sim/src/index.ts'

/** The Mosquitto the bench prefers. */
const MOSQUITTO_URL = 'mqtt://127.0.0.1:1883'

/** A broker to publish to. */
export interface BenchBroker extends FleetBroker {
  readonly kind: 'mosquitto' | 'aedes'
}

/** Which broker to use: Mosquitto when it answers (`auto`), or always the in-process aedes. */
export type BrokerChoice = 'auto' | 'aedes'

/**
 * Mosquitto when it answers (MQTT 5) and `choice` is `auto`, else a new in-process aedes
 * (MQTT 3.1.1).
 */
export async function openBenchBroker(choice: BrokerChoice = 'auto'): Promise<BenchBroker> {
  if (choice === 'auto') {
    const mosquitto = await openFleetBroker(MOSQUITTO_URL).catch(() => undefined)
    if (mosquitto?.protocolVersion === 5) {
      return { ...mosquitto, kind: 'mosquitto', describe: 'Mosquitto at 127.0.0.1:1883 (MQTT 5)' }
    }
  }
  const aedes = await openFleetBroker(undefined)
  return {
    ...aedes,
    kind: 'aedes',
    describe:
      `in-process aedes at 127.0.0.1:${aedes.port} (MQTT 3.1.1; ` +
      (choice === 'aedes'
        ? 'chosen with SEALWIRE_BENCH_BROKER=aedes)'
        : 'Mosquitto did not answer at 127.0.0.1:1883)'),
  }
}

/**
 * Removes a retained message (an empty retained PUBLISH): Mosquitto keeps the agent's retained
 * key announcements, also across its restarts. Best effort.
 */
export async function clearRetained(broker: BenchBroker, topic: string): Promise<void> {
  await clearFleetRetained(broker, [topic])
}
