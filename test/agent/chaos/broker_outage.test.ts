/**
 * Broker outages under load (issue 8, "Tests"): 10,000 readings POSTed to a running agent's
 * ingest API, 100 per request, while the broker is stopped and started again twice. A subscriber
 * opens what arrives with the device's private key: 10,000 distinct readings, each in exactly one
 * distinct message, data sequence numbers strictly increasing in first-arrival order once
 * duplicates (QoS 1 re-sends) are left out, no sequence number carried by two distinct messages.
 *
 * Two brokers: the in-process aedes (MQTT 3.1.1; a fresh broker on the same port after each stop)
 * and a Mosquitto of the test's own (MQTT 5; killed with SIGKILL and started again on its port),
 * reached through a TCP gate so the subscriber is back before the agent (see `_mosquitto.ts`).
 * The Mosquitto case is skipped only when the machine has no `mosquitto` binary.
 */
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../../agent/src/main.ts'
import { capture, cleanupTempDirs, tempDir, skipWithout } from '../../helpers/index.ts'
import { makeDevice } from '../_device.ts'
import { AedesHarness } from '../transport/_aedes.ts'
import { uniquePrefix, until } from '../transport/_fixtures.ts'
import { getText, metric, postReadings, runArgs, startInProcess } from './_agent.ts'
import { OwnMosquitto, TcpGate, mosquittoBinary } from './_mosquitto.ts'
import { WireLog } from './_wire.ts'

const TOTAL = 10_000
const PER_REQUEST = 100
/** Accepted readings at which the broker goes down and comes back, twice. */
const OUTAGES: readonly (readonly [down: number, up: number])[] = [
  [2_500, 4_000],
  [6_000, 7_500],
]
/** Requests in flight at once. */
const POSTERS = 4
/** Shortest outage, so the agent meets refused reconnects, not only a dropped connection. */
const MIN_OUTAGE_MS = 400

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  await cleanupTempDirs()
})

/** A broker the test can take down and bring back, with a subscriber feeding `wire`. */
interface Outageable {
  readonly url: string
  readonly env: Record<string, string>
  /** Connections the agent made that got through to a live broker. */
  connections(): number
  down(): Promise<void>
  up(): Promise<void>
}

async function aedesBroker(wire: WireLog, prefix: string): Promise<Outageable> {
  const broker = new AedesHarness()
  // Broker-side, kept across restarts and registered before the port listens again.
  broker.subscribe(`${prefix}/#`, (p) => wire.take(p.topic, p.payload))
  await broker.start()
  cleanups.push(() => broker.stop())
  return {
    url: broker.url,
    env: { SEALWIRE_BROKER_PROTOCOL_VERSION: '4' },
    connections: () => broker.connections,
    down: () => broker.stop(),
    up: () => broker.start(),
  }
}

async function mosquittoBroker(
  binary: string,
  dir: string,
  wire: WireLog,
  prefix: string,
): Promise<Outageable> {
  const broker = new OwnMosquitto(binary, dir)
  await broker.start()
  cleanups.push(() => broker.kill9())
  const gate = new TcpGate(broker.port)
  await gate.listen()
  cleanups.push(() => gate.stop())
  let sub: MqttClient | undefined
  const subscribe = async (): Promise<void> => {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `chaos-sub-${prefix.slice(-12)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    })
    client.on('message', (topic, payload) => wire.take(topic, payload))
    client.on('error', () => undefined)
    await client.subscribeAsync(`${prefix}/#`, { qos: 1 })
    sub = client
  }
  await subscribe()
  gate.open()
  cleanups.push(async () => sub?.endAsync(true))
  return {
    url: gate.url,
    env: {},
    connections: () => gate.relayed,
    down: async () => {
      gate.close()
      await broker.kill9()
      await sub?.endAsync(true)
      sub = undefined
    },
    up: async () => {
      await broker.start()
      await subscribe()
      gate.open()
    },
  }
}

async function outageRun(
  makeBroker: (wire: WireLog, prefix: string, dir: string) => Promise<Outageable>,
): Promise<void> {
  const root = await tempDir('sealwire-chaos-outage-')
  const prefix = uniquePrefix()
  const device = await makeDevice(join(root, 'dev-1'), 'dev-1', prefix)
  const wire = new WireLog(device)
  const broker = await makeBroker(wire, prefix, root)
  const state = join(root, 'state')
  const agent = await startInProcess(runArgs(device.dir, broker.url, state), broker.env)
  let stopped = false
  cleanups.push(async () => (stopped ? undefined : agent.stop()))

  const t0 = Date.now()
  let accepted = 0
  let nextRequest = 0
  /** Readings the posters may have sent so far: the chaos below moves it. */
  let limit = 0
  const failures: string[] = []
  const poster = async (): Promise<void> => {
    for (let r = nextRequest++; r < TOTAL / PER_REQUEST; r = nextRequest++) {
      await until(
        () => (r + 1) * PER_REQUEST <= limit || failures.length > 0,
        `request ${r} to be allowed`,
        60_000,
      )
      const readings = Array.from({ length: PER_REQUEST }, (_, i) => {
        const id = r * PER_REQUEST + i
        return { stream: `s${id % 3}`, value: { id } }
      })
      const res = await postReadings(agent.url, readings)
      if (res.status !== 200 || res.body?.accepted !== PER_REQUEST) {
        failures.push(`request ${r}: ${res.status} ${JSON.stringify(res.body)}`)
      } else {
        accepted += PER_REQUEST
      }
    }
  }
  // The broker goes down once `down` readings are in, stays down while the next ones are
  // submitted, and comes back (while the posters keep going); the next outage waits until the
  // agent is connected again.
  const chaos = async (): Promise<void> => {
    // On a loaded machine the agent's first connection can come late: count from it.
    await until(() => broker.connections() >= 1, 'the agent to connect', 30_000)
    for (const [down, up] of OUTAGES) {
      const connected = broker.connections()
      limit = down
      await until(() => accepted >= down || failures.length > 0, `${down} accepted`, 60_000)
      await broker.down()
      const downAt = Date.now()
      limit = up
      await until(() => accepted >= up || failures.length > 0, `${up} accepted`, 60_000)
      await new Promise((res) => setTimeout(res, Math.max(0, downAt + MIN_OUTAGE_MS - Date.now())))
      await broker.up()
      limit = TOTAL
      await until(() => broker.connections() > connected, 'the agent to connect again', 30_000)
    }
  }
  await Promise.all([...Array.from({ length: POSTERS }, poster), chaos()])
  expect(failures).toEqual([])
  expect(accepted).toBe(TOTAL)
  const postedMs = Date.now() - t0

  try {
    await until(() => wire.readings.size >= TOTAL, `${TOTAL} distinct readings`, 60_000)
  } catch (err) {
    const m = (await getText(agent.url, '/metrics')).text
    const h = (await getText(agent.url, '/healthz')).text
    throw new Error(
      `${(err as Error).message}: ${wire.readings.size} distinct readings, ${wire.received} messages, ` +
        `errors ${JSON.stringify(wire.errors.slice(0, 3))}; healthz ${h}; ` +
        m
          .split('\n')
          .filter((l) => l.startsWith('sealwire_agent_'))
          .join('; '),
      { cause: err },
    )
  }
  await wire.settled()
  const metrics = (await getText(agent.url, '/metrics')).text
  stopped = true
  expect(await agent.stop(), agent.err()).toBe(0)
  await wire.settled()

  expect(wire.errors).toEqual([])
  expect(wire.readings.size).toBe(TOTAL)
  expect([...wire.readings.keys()].sort((a, b) => a - b)).toEqual(
    Array.from({ length: TOTAL }, (_, i) => i),
  )
  // Each reading in exactly one distinct message (one reading per message by default).
  expect([...wire.readings.values()].filter((n) => n !== 1)).toEqual([])
  expect(wire.dataMessages).toBe(TOTAL)
  expect(wire.seqOrderBreaks()).toEqual([])
  expect(wire.reusedSeqs()).toEqual([])
  expect(wire.repeatedEpochSeqs()).toEqual([])
  // Both outages were felt: three connections at least (before, between and after them).
  expect(broker.connections()).toBeGreaterThanOrEqual(3)
  // Both outages were felt: the connection was lost and made again at least twice.
  expect(metric(metrics, 'sealwire_agent_reconnects_total')).toBeGreaterThanOrEqual(2)
  expect(metric(metrics, 'sealwire_agent_readings_accepted_total')).toBe(TOTAL)

  const s = capture()
  expect(await main(['status', '--state', state, '--json'], s.io)).toBe(0)
  const status = JSON.parse(s.out()) as { outbox: { pending: number } }
  expect(status.outbox.pending).toBe(0)
  console.info(
    `broker outage: ${TOTAL} readings posted in ${postedMs} ms, all received after ${Date.now() - t0} ms; ` +
      `${wire.received} messages arrived (${wire.duplicates} duplicates), ${wire.epochs.size} epoch(s), ` +
      `${broker.connections()} connections`,
  )
}

const MOSQUITTO = mosquittoBinary()

describe('10,000 readings through two broker outages', () => {
  it('aedes (MQTT 3.1.1), stopped and restarted twice: all delivered once, in order', async () => {
    await outageRun((wire, prefix) => aedesBroker(wire, prefix))
  }, 90_000)

  it.skipIf(skipWithout(MOSQUITTO !== undefined, 'the mosquitto binary'))(
    'own Mosquitto (MQTT 5), killed with SIGKILL and restarted twice: all delivered once, in order',
    async () => {
      await outageRun((wire, prefix, dir) => mosquittoBroker(MOSQUITTO!, dir, wire, prefix))
    },
    90_000,
  )
})
