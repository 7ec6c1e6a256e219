/**
 * The broker of a fleet run: the embedded aedes on a free port (the default: offline, nothing to
 * install; MQTT 3.1.1 only, so agents and consumer speak 3.1.1 and the consumer runs as a single
 * instance), or an external one given with `--broker` (Mosquitto, AWS IoT Core), probed for
 * MQTT 5 first.
 *
 * @example
 * ```ts
 * const broker = await openFleetBroker(undefined) // embedded aedes
 * broker.url // 'mqtt://127.0.0.1:40321'
 * await broker.close()
 * ```
 */
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { withoutUserinfo } from '../../../platform/src/index.ts'
import { FleetError } from './errors.ts'

/** The broker a run uses. */
export interface FleetBroker {
  readonly url: string
  readonly host: string
  readonly port: number
  readonly protocolVersion: 4 | 5
  /** For the summary, e.g. `embedded aedes at 127.0.0.1:40321 (MQTT 3.1.1)`. */
  readonly describe: string
  readonly embedded: boolean
  /** Stops the embedded broker (nothing for an external one). */
  close(): Promise<void>
}

async function answers(url: string, protocolVersion: 4 | 5): Promise<boolean> {
  try {
    const client = await mqtt.connectAsync(url, {
      protocolVersion,
      clientId: `sealwire-fleet-probe-${process.pid}`,
      connectTimeout: 3_000,
      reconnectPeriod: 0,
    })
    await client.endAsync(true)
    return true
  } catch {
    return false
  }
}

/**
 * `url` (an external broker, MQTT 5 when it answers a v5 CONNECT, else 3.1.1), or a new embedded
 * aedes when `url` is undefined.
 *
 * @throws {FleetError} `ERR_FLEET_BROKER` when `url` answers neither.
 */
export async function openFleetBroker(url: string | undefined): Promise<FleetBroker> {
  if (url !== undefined) {
    const parsed = new URL(url)
    if (parsed.protocol !== 'mqtt:') {
      throw new FleetError(
        'ERR_FLEET_BROKER',
        `--broker ${withoutUserinfo(url)}: only mqtt:// is supported (the run puts a TCP link emulator in front of it)`,
      )
    }
    const version = (await answers(url, 5)) ? 5 : (await answers(url, 4)) ? 4 : undefined
    if (version === undefined) {
      throw new FleetError('ERR_FLEET_BROKER', `no MQTT broker answers at ${withoutUserinfo(url)}`)
    }
    const port = Number(parsed.port || 1883)
    return {
      url,
      host: parsed.hostname,
      port,
      protocolVersion: version,
      describe: `${withoutUserinfo(url)} (MQTT ${version === 5 ? '5' : '3.1.1'})`,
      embedded: false,
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
    host: '127.0.0.1',
    port,
    protocolVersion: 4,
    describe: `embedded aedes at 127.0.0.1:${port} (MQTT 3.1.1)`,
    embedded: true,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    },
  }
}

/**
 * Removes retained messages (an empty retained PUBLISH each): an external broker keeps the
 * agents' retained key announcements after the run. Best effort; returns how many were cleared.
 */
export async function clearRetained(
  broker: FleetBroker,
  topics: readonly string[],
): Promise<number> {
  let cleared = 0
  try {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: broker.protocolVersion,
      clientId: `sealwire-fleet-clean-${process.pid}`,
      connectTimeout: 5_000,
      reconnectPeriod: 0,
    })
    for (const topic of topics) {
      await client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true })
      cleared++
    }
    await client.endAsync()
  } catch {
    // best effort
  }
  return cleared
}
