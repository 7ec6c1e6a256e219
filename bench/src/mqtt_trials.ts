/**
 * The MQTT row: the agent's whole path (readings → record clock → seal → durable outbox with
 * group commit → `MqttPublisher`, QoS 1 over its sliding window of 64 → PUBACK → delete from the
 * outbox) against a bare mqtt.js QoS 1 publisher with a sliding window of 64 (the next PUBLISH on
 * each PUBACK), publishing payloads of the same size to the same broker. Each side is a `trial`
 * step: it publishes for the segment's time, then waits for the PUBACKs still due, and returns
 * PUBACK-acknowledged data messages per second over the whole segment.
 *
 * - **agent**: `Agent.start` in process, with the agent's defaults (one reading per message,
 *   durability full, window 64), a real store in a temporary folder, the OS entropy source and a
 *   silent logger, connected once before timing. A producer `submit`s readings in calls of
 *   {@link SUBMIT_CHUNK}, keeping at most {@link AGENT_BACKLOG} readings submitted and not yet
 *   acknowledged (so the window never starves and the end of a segment drains quickly).
 * - **bare**: one mqtt.js client; {@link WINDOW} PUBLISHes out at once, each PUBACK sends the next.
 *
 * Both keep at most the broker's Receive Maximum in flight when its CONNACK sets one (MQTT 5
 * requires it; the agent does it by itself; the machine's Mosquitto says 20), so both sides have
 * the same window.
 *
 * Before timing, a subscriber on the run's topic prefix checks that the agent's announcement and
 * data message open (with the device's private key) to exactly the submitted reading, and that
 * the bare publisher's payload arrives unchanged; it disconnects before any trial.
 *
 * @example
 * ```ts
 * const mqttRow = await mqttTrials(broker, device)
 * await runRounds(mqttRow.timed, plan)
 * await mqttRow.close()
 * ```
 */
import { randomBytes } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { pino } from 'pino'
import { agentDefaults, checkAgentSettings, startAgent } from '../../agent/src/index.ts'
import type { AgentSettings } from '../../agent/src/index.ts'
import type { JsonValue, TelemetryRecord } from '../../envelope/src/index.ts'
import {
  Opener,
  Sealer,
  createKeyWrapper,
  createLocalUnwrap,
  decodeRecords,
  encodeRecords,
  parseRecipientKey,
} from '../../envelope/src/index.ts'
import type { BenchBroker } from './bench_broker.ts'
import { clearRetained } from './bench_broker.ts'
import type { BenchDevice } from './agent_device.ts'
import { assertSameBytes } from './bench_context.ts'
import type { Timed } from './measure.ts'

/** QoS 1 messages in flight: the agent's default window, and the bare publisher's. */
export const WINDOW = 64

/** Readings per `submit` call of the agent side. */
const SUBMIT_CHUNK = 50

/** Readings the agent side keeps submitted and not yet acknowledged, at most. */
const AGENT_BACKLOG = 500

/** Sealed size of one data message (compact form, 2-byte Partial IV), bytes. */
export const SEALED_MESSAGE_BYTES = 300

/** A trial that sees no PUBACK for this long fails (the row reads n/a). */
const STALL_MS = 30_000

/** A reading as the ingest API takes it. */
export interface BenchReading {
  readonly stream: string
  readonly value: JsonValue
}

/**
 * A telemetry reading whose sealed message (one record, compact form, sequence number below
 * 65,536) is exactly `sealedBytes` long: the record's bytes plus the 40-byte compact overhead.
 */
export function benchReading(sealedBytes = SEALED_MESSAGE_BYTES): BenchReading {
  const base = { t: 21.53, rh: 48.2, p: 1013.25, co2: 612, vbat: 3.31, rssi: -67 }
  const recordBytes = (note: string): number =>
    encodeRecords([{ stream: 'env', time: Date.now(), clock: 0, value: { ...base, note } }]).length
  let n = 0
  while (recordBytes('x'.repeat(n)) + 40 < sealedBytes) n++
  if (recordBytes('x'.repeat(n)) + 40 !== sealedBytes) {
    throw new Error(`no reading seals to exactly ${sealedBytes} bytes`)
  }
  return { stream: 'env', value: { ...base, note: 'x'.repeat(n) } }
}

function stallGuard(what: string, progress: () => number, reject: (e: Error) => void): () => void {
  let last = progress()
  const timer = setInterval(() => {
    const now = progress()
    if (now === last) reject(new Error(`${what}: no PUBACK for ${STALL_MS / 1000} s`))
    last = now
  }, STALL_MS)
  return () => clearInterval(timer)
}

/** What the MQTT row hands to the rounds, and what it learnt. */
export interface MqttTrials {
  readonly timed: readonly Timed[]
  /** Smallest and largest data message the agent published while timed, bytes. */
  agentSizes(): { min: number; max: number } | undefined
  /** Payload size of the bare publisher, bytes. */
  readonly bareBytes: number
  /** Messages in flight at most: the agent's window and the bare one, after the CONNACK. */
  readonly window: {
    readonly agent: number | undefined
    readonly bare: number | undefined
    readonly receiveMaximum: number | undefined
  }
  readonly failed: ReadonlyMap<string, unknown>
  close(): Promise<void>
}

/** Keys of the MQTT row's timed trials. */
export const MQTT_KEYS = { agent: 'mqtt-agent', bare: 'mqtt-bare' } as const

async function connectClient(broker: BenchBroker, clientId: string): Promise<MqttClient> {
  return (await connectWithConnack(broker, clientId)).client
}

/** Connects; also returns the broker's Receive Maximum from the CONNACK (MQTT 5), if sent. */
function connectWithConnack(
  broker: BenchBroker,
  clientId: string,
): Promise<{ client: MqttClient; receiveMaximum: number | undefined }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(broker.url, {
      protocolVersion: broker.protocolVersion,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    })
    const fail = (err: Error): void => {
      client.end(true)
      reject(err)
    }
    client.once('error', fail)
    client.once('close', () => fail(new Error(`${clientId}: connection closed before CONNACK`)))
    client.once('connect', (connack) => {
      client.removeListener('error', fail)
      client.removeAllListeners('close')
      client.on('error', () => {})
      resolve({ client, receiveMaximum: connack.properties?.receiveMaximum })
    })
  })
}

/** A subscriber on the run's prefix, for the checks before timing. */
async function checker(broker: BenchBroker, device: BenchDevice) {
  const client = await connectClient(broker, `${device.deviceId}-check`)
  const waiting = new Map<string, (payload: Uint8Array) => void>()
  client.on('message', (topic, payload) => {
    const take = waiting.get(topic)
    if (take) {
      waiting.delete(topic)
      take(new Uint8Array(payload))
    }
  })
  await client.subscribeAsync(`${device.prefix}/#`, { qos: 1 })
  return {
    next(topic: string): Promise<Uint8Array> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`nothing arrived on ${topic}`)), 10_000)
        waiting.set(topic, (p) => {
          clearTimeout(timer)
          resolve(p)
        })
      })
    },
    close: () => client.endAsync(true),
  }
}

async function agentSide(broker: BenchBroker, device: BenchDevice, reading: BenchReading) {
  const settings: AgentSettings = {
    ...agentDefaults,
    device: device.dir,
    state: device.stateDir('agent-state'),
    broker: { ...agentDefaults.broker, url: broker.url, protocolVersion: broker.protocolVersion },
    http: { ...agentDefaults.http, enabled: false },
    log: { level: 'error' },
  }
  const agent = await startAgent(await checkAgentSettings(settings), pino({ level: 'silent' }))
  let dataAcked = 0
  let waiter: { target: number; resolve: () => void } | undefined
  let sizes: { min: number; max: number } | undefined
  let sizing = false
  agent.publisher.on('acknowledged', ({ topic }) => {
    if (topic !== device.topics.data) return
    dataAcked++
    if (waiter && dataAcked >= waiter.target) {
      const w = waiter
      waiter = undefined
      w.resolve()
    }
  })
  agent.publisher.on('published', ({ topic, bytes }) => {
    if (!sizing || topic !== device.topics.data) return
    sizes = { min: Math.min(sizes?.min ?? bytes, bytes), max: Math.max(sizes?.max ?? bytes, bytes) }
  })
  const untilAcked = (target: number): Promise<void> =>
    dataAcked >= target
      ? Promise.resolve()
      : new Promise((resolve) => {
          waiter = { target, resolve }
        })

  const chunk = Array.from({ length: SUBMIT_CHUNK }, () => reading)
  const run = async (ms: number): Promise<number> => {
    sizing = true
    const base = dataAcked
    let submitted = 0
    let rejectStall: (e: Error) => void = () => {}
    const stall = new Promise<never>((_, reject) => (rejectStall = reject))
    stall.catch(() => {})
    const within = <T>(p: Promise<T>): Promise<T> => Promise.race([p, stall])
    const stopGuard = stallGuard('agent', () => dataAcked, rejectStall)
    const t0 = performance.now()
    const deadline = t0 + ms
    try {
      while (performance.now() < deadline) {
        const open = submitted - (dataAcked - base)
        if (open + SUBMIT_CHUNK > AGENT_BACKLOG) {
          await within(untilAcked(base + submitted + SUBMIT_CHUNK - AGENT_BACKLOG))
          continue
        }
        await within(agent.submit(chunk))
        submitted += SUBMIT_CHUNK
      }
      await within(untilAcked(base + submitted))
    } finally {
      stopGuard()
      waiter = undefined
    }
    return ((dataAcked - base) * 1000) / (performance.now() - t0)
  }

  // Connected, and what reaches the broker opens to the reading.
  const check = await checker(broker, device)
  try {
    const announcement = check.next(device.topics.key)
    const data = check.next(device.topics.data)
    await agent.submit(reading)
    const opener = new Opener({ unwrap: createLocalUnwrap(device.privateKey) })
    await opener.openAnnouncement(await announcement, device.deviceId)
    const opened = await opener.open(await data, device.deviceId)
    const records = decodeRecords(opened.plaintext)
    if (
      records.length !== 1 ||
      records[0]!.stream !== reading.stream ||
      !isDeepStrictEqual(records[0]!.value, reading.value)
    ) {
      throw new Error('agent: the published message does not open to the submitted reading')
    }
    await untilAcked(1)
  } catch (err) {
    await check.close()
    await agent.stop({ drainMs: 0 })
    throw err
  }
  await check.close()
  return {
    run,
    sizes: () => sizes,
    window: agent.publisher.stats().window,
    close: async () => {
      await agent.stop({ drainMs: 5_000 })
    },
  }
}

async function bareSide(broker: BenchBroker, device: BenchDevice, payload: Uint8Array) {
  const topic = `${device.prefix}/bare-${device.deviceId}/data`
  const { client, receiveMaximum } = await connectWithConnack(broker, `${device.deviceId}-bare`)
  // As the agent does (and MQTT 5 requires): no more in flight than the broker's Receive Maximum.
  const window = Math.min(WINDOW, receiveMaximum ?? Infinity)
  const check = await checker(broker, device)
  try {
    const arrived = check.next(topic)
    await client.publishAsync(topic, Buffer.from(payload), { qos: 1 })
    assertSameBytes(await arrived, payload, 'bare mqtt.js publish')
  } catch (err) {
    await client.endAsync(true)
    throw err
  } finally {
    await check.close()
  }
  const body = Buffer.from(payload)
  const run = (ms: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now()
      const deadline = t0 + ms
      let sent = 0
      let acked = 0
      let failed = false
      const stopGuard = stallGuard(
        'bare',
        () => acked,
        (e) => fail(e),
      )
      const fail = (err: Error): void => {
        if (failed) return
        failed = true
        stopGuard()
        reject(err)
      }
      const publishOne = (): void => {
        sent++
        client.publish(topic, body, { qos: 1 }, (err) => {
          if (failed) return
          if (err) return fail(err)
          acked++
          if (performance.now() < deadline) publishOne()
          else if (acked === sent) {
            stopGuard()
            resolve((acked * 1000) / (performance.now() - t0))
          }
        })
      }
      for (let i = 0; i < window; i++) publishOne()
    })
  return { run, window, receiveMaximum, close: () => client.endAsync() }
}

/**
 * Starts the agent and the bare publisher against `broker` for `device`, checks both, and
 * returns their trials (agent first). A side that cannot start or fails its check is left out
 * and named in `failed`.
 */
export async function mqttTrials(broker: BenchBroker, device: BenchDevice): Promise<MqttTrials> {
  const reading = benchReading()
  // The bare payload: the same reading sealed the same way (same key, compact form, same size).
  const sealer = new Sealer({
    wrapper: createKeyWrapper(parseRecipientKey(device.spkiDer)),
    deviceId: device.deviceId,
    random: (n) => randomBytes(n),
  })
  const record: TelemetryRecord = { ...reading, time: Date.now(), clock: 0 }
  let seq = 998
  const payload = sealer.seal(encodeRecords([record]), () => ++seq).message.bytes
  sealer.close()
  if (payload.length !== SEALED_MESSAGE_BYTES) {
    throw new Error(`bare payload is ${payload.length} bytes, not ${SEALED_MESSAGE_BYTES}`)
  }
  const timed: Timed[] = []
  const failed = new Map<string, unknown>()
  const closers: (() => Promise<unknown>)[] = []
  let sizes: () => { min: number; max: number } | undefined = () => undefined
  const window: { agent?: number; bare?: number; receiveMaximum?: number } = {}
  try {
    const a = await agentSide(broker, device, reading)
    closers.push(a.close)
    sizes = a.sizes
    window.agent = a.window
    timed.push({ key: MQTT_KEYS.agent, step: { kind: 'trial', run: a.run } })
  } catch (err) {
    failed.set(MQTT_KEYS.agent, err)
  }
  try {
    const b = await bareSide(broker, device, payload)
    closers.push(b.close)
    window.bare = b.window
    window.receiveMaximum = b.receiveMaximum
    timed.push({ key: MQTT_KEYS.bare, step: { kind: 'trial', run: b.run } })
  } catch (err) {
    failed.set(MQTT_KEYS.bare, err)
  }
  return {
    timed,
    failed,
    agentSizes: () => sizes(),
    bareBytes: payload.length,
    window: {
      agent: window.agent,
      bare: window.bare,
      receiveMaximum: window.receiveMaximum,
    },
    close: async () => {
      for (const c of closers) await c().catch(() => {})
      // The agent's announcement is retained: leave nothing behind on the broker.
      await clearRetained(broker, device.topics.key)
    },
  }
}
