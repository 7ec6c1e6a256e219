/**
 * The broker of the agent rows: the machine's Mosquitto at 127.0.0.1:1883 when it answers an
 * MQTT 5 CONNECT, otherwise an in-process aedes on a free port (MQTT 3.1.1 only, DESIGN.md), used
 * by both sides of every comparison so they meet the same broker. Nobody subscribes.
 *
 * @example
 * ```ts
 * const broker = await openBenchBroker()
 * broker.describe // 'Mosquitto at 127.0.0.1:1883 (MQTT 5)'
 * await broker.close()
 * ```
 */
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'

/** The Mosquitto the bench prefers. */
const MOSQUITTO_URL = 'mqtt://127.0.0.1:1883'

/** A broker to publish to. */
export interface BenchBroker {
  readonly url: string
  readonly protocolVersion: 4 | 5
  readonly kind: 'mosquitto' | 'aedes'
  /** For the report, e.g. `Mosquitto at 127.0.0.1:1883 (MQTT 5)`. */
  readonly describe: string
  /** Stops the in-process broker (nothing to do for Mosquitto). */
  close(): Promise<void>
}

/** True when an MQTT 5 CONNECT to `url` gets its CONNACK within `timeoutMs`. */
async function mqtt5Answers(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      clientId: `sealwire-bench-probe-${process.pid}`,
      connectTimeout: timeoutMs,
      reconnectPeriod: 0,
    })
    await client.endAsync(true)
    return true
  } catch {
    return false
  }
}

/** Which broker to use: Mosquitto when it answers (`auto`), or always the in-process aedes. */
export type BrokerChoice = 'auto' | 'aedes'

/**
 * Mosquitto when it answers (MQTT 5) and `choice` is `auto`, else a new in-process aedes
 * (MQTT 3.1.1).
 */
export async function openBenchBroker(choice: BrokerChoice = 'auto'): Promise<BenchBroker> {
  if (choice === 'auto' && (await mqtt5Answers(MOSQUITTO_URL))) {
    return {
      url: MOSQUITTO_URL,
      protocolVersion: 5,
      kind: 'mosquitto',
      describe: 'Mosquitto at 127.0.0.1:1883 (MQTT 5)',
      close: async () => {},
    }
  }
  const broker = await Aedes.createBroker({ maxClientsIdLength: 128 })
  const server = createServer(broker.handle)
  const sockets = new Set<Socket>()
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `mqtt://127.0.0.1:${port}`,
    protocolVersion: 4,
    kind: 'aedes',
    describe:
      `in-process aedes at 127.0.0.1:${port} (MQTT 3.1.1; ` +
      (choice === 'aedes'
        ? 'chosen with SEALWIRE_BENCH_BROKER=aedes)'
        : 'Mosquitto did not answer at 127.0.0.1:1883)'),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    },
  }
}

/**
 * Removes a retained message (an empty retained PUBLISH): Mosquitto keeps the agent's retained
 * key announcements, also across its restarts. Errors are ignored (best effort).
 */
export async function clearRetained(broker: BenchBroker, topic: string): Promise<void> {
  try {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: broker.protocolVersion,
      clientId: `sealwire-bench-clean-${process.pid}`,
      connectTimeout: 5_000,
      reconnectPeriod: 0,
    })
    await client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true })
    await client.endAsync()
  } catch {
    // best effort
  }
}
