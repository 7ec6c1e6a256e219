/**
 * One fleet run, start to verdict:
 *
 * 1. **KMS**: kms-local in process on a free port (or `--kms-endpoint`); a key made with
 *    `sealwire-provision create-key` (or `--key-id`).
 * 2. **Provisioning**: `sealwire-provision batch` writes N device folders (one GetPublicKey).
 * 3. **Broker**: the embedded aedes on a free port (or `--broker`); a wire tap subscribes to every
 *    topic of the run, independent of the consumer.
 * 4. **Consumer**: `sealwire-consumer run` with a JSONL sink (its own process).
 * 5. **Devices**: one flaky link (TCP proxy) per device in front of the broker; host processes each
 *    running `devicesPerHost` real agents on emulated hardware.
 * 6. **Load and faults** for `durationSec`: readings POSTed to every agent's ingest API at `rate`
 *    per device per second, the planned faults applied on time (fault_plan.ts).
 * 7. **Drain**: links healthy, every device powered; wait until every confirmed reading is in the
 *    sink and every outbox is empty (at most `drainSec`); stop devices and consumer cleanly.
 * 8. **Verdict**: the verifier over confirmed readings, the sink, the wire and KMS's counter; the
 *    summary and the HTML report.
 *
 * @example
 * ```ts
 * const result = await runFleet({ ...fleetDefaults, devices: 10, durationSec: 20 }, { progress: process.stderr })
 * result.verdict.lost // 0
 * ```
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { deadLettersFromSpec } from '../../../consumer/src/index.ts'
import { startKmsLocal } from '../../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../../kms-local/src/index.ts'
import type { WritableLike } from '../../../platform/src/index.ts'
import { describeLinkMode, startFlakyLink } from '../link/index.ts'
import type { FlakyLink } from '../link/index.ts'
import { latencyFromDelivered, renderFleetReport } from '../report/index.ts'
import type { FleetFault, FleetRun, FleetSample } from '../report/index.ts'
import { readJsonlSink, verifyFleet, WireTap } from '../verify/index.ts'
import type { FleetVerdict } from '../verify/index.ts'
import { clearRetained, openFleetBroker } from './broker.ts'
import type { FaultKind } from './defaults.ts'
import { FleetError } from './errors.ts'
import { planFaults } from './fault_plan.ts'
import type { PlannedFault } from './fault_plan.ts'
import { HostProcess } from './host_process.ts'
import type { HostEvent, HostSpec } from './host_protocol.ts'
import { LoadGenerator } from './load_generator.ts'
import type { LoadCounts } from './load_generator.ts'
import { ProgressLine } from './progress_line.ts'
import type { ChildEnv } from './programs.ts'
import { runProgram, startProgram } from './programs.ts'
import { SinkTail } from './sink_tail.ts'
import { UsageTracker } from './process_usage.ts'
import type { GroupUsage } from './process_usage.ts'

/** Everything a run is given (the CLI's flags, resolved against `fleetDefaults`). */
export interface FleetOptions {
  readonly devices: number
  readonly durationSec: number
  readonly rate: number
  readonly faults: readonly FaultKind[]
  readonly seed: number
  readonly devicesPerHost: number
  readonly drainSec: number
  readonly epochMessages: number
  readonly tickMs: number
  readonly sampleMs: number
  readonly rtclessShare: number
  /** External broker (mqtt://); undefined: the embedded aedes. */
  readonly brokerUrl?: string | undefined
  /** External KMS endpoint; undefined: kms-local in process. */
  readonly kmsEndpoint?: string | undefined
  /** An existing KMS key to use; undefined: `create-key` makes one. */
  readonly keyId?: string | undefined
  /** The consumer's sink, `jsonl:PATH`; undefined: `jsonl:<work dir>/sink.jsonl`. */
  readonly sinkPath?: string | undefined
  /** Keep everything here (created); undefined: a temporary folder, removed at the end. */
  readonly workDir?: string | undefined
  /** The HTML report's path; undefined: no report. */
  readonly report?: string | undefined
}

/** What a run produced. */
export interface FleetResult {
  readonly verdict: FleetVerdict
  readonly run: FleetRun
  readonly load: LoadCounts
  readonly reportPath: string | undefined
  readonly workDir: string | undefined
  readonly broker: string
  readonly kms: string
  /** KMS calls by operation, when kms-local ran in process. */
  readonly kmsCalls: Readonly<Record<string, number>> | undefined
  /** Seconds the drain took, and whether it completed. */
  readonly drain: { readonly seconds: number; readonly complete: boolean }
  /** CPU and peak memory of the device hosts and the consumer (Linux; undefined elsewhere). */
  readonly usage:
    | {
        readonly hosts: GroupUsage
        readonly consumer: GroupUsage
        /** This process: the links, the load, the wire tap, and kms-local and aedes when embedded. */
        readonly runner: GroupUsage
        readonly seconds: number
      }
    | undefined
}

/** Where a run reports progress. */
export interface FleetIo {
  readonly progress: WritableLike
  /** Aborting ends the load early (the drain and the verdict still run). */
  readonly signal?: AbortSignal | undefined
}

const STATUS_MS = 1_000
const HOST_STOP_MS = 20_000
const CONSUMER_STOP_MS = 20_000
const LATENCY_WINDOW_MS = 5_000

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs a fleet; see the module doc. */
export async function runFleet(options: FleetOptions, io: FleetIo): Promise<FleetResult> {
  const runId = `${options.seed}-${randomBytes(3).toString('hex')}`
  const workDir =
    options.workDir !== undefined
      ? resolve(options.workDir)
      : await mkdtemp(join(tmpdir(), 'sealwire-fleet-'))
  const keep = options.workDir !== undefined
  if (keep && (await readdir(workDir).catch(() => [])).length > 0) {
    throw new FleetError(
      'ERR_FLEET_WORK_DIR',
      `--work-dir ${workDir} is not empty (a previous run?): give a new or empty folder`,
    )
  }
  await mkdir(join(workDir, 'logs'), { recursive: true })
  await mkdir(join(workDir, 'config'), { recursive: true })
  await mkdir(join(workDir, 'state'), { recursive: true })
  await mkdir(join(workDir, 'hosts'), { recursive: true })
  const progress = new ProgressLine(io.progress)
  const cleanups: (() => Promise<unknown>)[] = []
  const cleanup = async (): Promise<void> => {
    for (const f of cleanups.reverse()) await f().catch(() => {})
  }
  try {
    // 1. KMS
    let kms: KmsLocalServer | undefined
    let endpoint = options.kmsEndpoint
    let env: ChildEnv = process.env
    if (endpoint === undefined) {
      kms = await startKmsLocal({ port: 0, log: (line) => progress.note(`kms-local: ${line}`) })
      cleanups.push(() => kms!.close())
      endpoint = kms.endpoint
      env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'sealwire-fleet',
        AWS_SECRET_ACCESS_KEY: 'sealwire-fleet',
        AWS_REGION: kms.region,
        AWS_PROFILE: undefined,
      }
    }
    const kmsFlags = ['--endpoint', endpoint]
    progress.note(`kms: ${kms !== undefined ? `kms-local at ${endpoint} (in process)` : endpoint}`)
    let keyId = options.keyId
    if (keyId === undefined) {
      const out = await runProgram(
        'provisioning',
        ['create-key', '--alias', `sealwire-fleet-${runId}`, ...kmsFlags],
        env,
      )
      keyId = /^keyArn: (\S+)$/m.exec(out)?.[1]
      if (keyId === undefined) {
        throw new FleetError('ERR_FLEET_PROVISION', `create-key printed no keyArn: ${out.trim()}`)
      }
    }

    // 2. Provisioning
    const ids = Array.from(
      { length: options.devices },
      (_, i) => `dev-${String(i + 1).padStart(4, '0')}`,
    )
    const topicPrefix = `sealwire-fleet/${runId}`
    const csv = join(workDir, 'devices.csv')
    await writeFile(csv, `device_id\n${ids.join('\n')}\n`)
    const devicesDir = join(workDir, 'devices')
    const t0 = Date.now()
    await runProgram(
      'provisioning',
      [
        'batch',
        '--devices',
        csv,
        '--key-id',
        keyId,
        '--out',
        devicesDir,
        '--topic-prefix',
        topicPrefix,
        ...kmsFlags,
      ],
      env,
    )
    progress.note(
      `provisioned ${ids.length} devices with sealwire-provision batch (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    )

    // 3. Broker and wire tap
    const broker = await openFleetBroker(options.brokerUrl)
    cleanups.push(() => broker.close())
    progress.note(`broker: ${broker.describe}`)
    const tap = await WireTap.start({
      brokerUrl: broker.url,
      topicPrefix,
      protocolVersion: broker.protocolVersion,
    })
    cleanups.push(() => tap.stop())

    // 4. Consumer
    const sinkPath = options.sinkPath ?? join(workDir, 'sink.jsonl')
    const deadLetters = join(workDir, 'dead-letters')
    const metricsPort = await freePort()
    const consumer = startProgram(
      'consumer',
      [
        'run',
        '--broker',
        broker.url,
        '--key-id',
        keyId,
        '--sink',
        `jsonl:${sinkPath}`,
        '--dead-letters',
        deadLetters,
        '--topic-prefix',
        topicPrefix,
        '--client-id',
        `fleet-consumer-${runId.replace(/[^A-Za-z0-9._-]/g, '')}`,
        '--metrics',
        `127.0.0.1:${metricsPort}`,
        ...kmsFlags,
      ],
      env,
      join(workDir, 'logs', 'consumer.log'),
    )
    cleanups.push(() => consumer.stop(CONSUMER_STOP_MS))
    await waitForConsumer(join(workDir, 'logs', 'consumer.log'), consumer.exited, workDir)

    // 5. Links and device hosts
    const plan = planFaults({
      seed: options.seed,
      durationMs: options.durationSec * 1000,
      devices: ids,
      hosts: Math.ceil(ids.length / options.devicesPerHost),
      hostOf: (i) => Math.floor(i / options.devicesPerHost),
      kinds: options.faults,
      rtclessShare: options.rtclessShare,
    })
    const links = new Map<string, FlakyLink>()
    for (const id of ids) {
      links.set(id, await startFlakyLink({ target: { host: broker.host, port: broker.port } }))
    }
    cleanups.push(async () => {
      for (const l of links.values()) await l.close()
    })
    for (const id of ids) {
      const rtcless = plan.rtcless.has(id)
      const config = {
        broker: {
          url: `mqtt://127.0.0.1:${links.get(id)!.port}`,
          protocolVersion: broker.protocolVersion,
        },
        http: { listen: '127.0.0.1:0' },
        state: join(workDir, 'state', id),
        epoch: { maxMessages: options.epochMessages },
        clock: { trust: rtcless ? 'ntp' : 'system' },
        log: { level: 'info' },
      }
      await writeFile(join(workDir, 'config', `${id}.json`), `${JSON.stringify(config, null, 2)}\n`)
    }
    const load = new LoadGenerator({ rate: options.rate, tickMs: options.tickMs })
    for (const id of ids) load.setUrl(id, undefined)
    const hosts: HostProcess[] = []
    const hostOfDevice = new Map<string, number>()
    const up = new Set<string>()
    const statusOf = new Map<number, Map<string, { outbox: number; up: boolean }>>()
    const faults: FleetFault[] = []
    /** Entropy faults waiting for the agent's health test to catch them. */
    const entropyWatch = new Map<
      string,
      { since: number; detectedAt?: number; onDetected: () => void; repair: () => void }
    >()
    let loadStart = 0
    const tNow = (): number => (loadStart === 0 ? 0 : Date.now() - loadStart)
    const hostDown: string[] = []
    const onEvent = (host: number, e: HostEvent): void => {
      if (e.type === 'up') {
        up.add(e.id)
        load.setUrl(e.id, e.url)
      } else if (e.type === 'down') {
        up.delete(e.id)
        load.setUrl(e.id, undefined)
        hostDown.push(`${e.id}: ${e.code}: ${e.message}`)
        faults.push({ t: tNow(), kind: 'device-down', target: e.id, detail: e.code })
      } else if (e.type === 'status') {
        const m = new Map<string, { outbox: number; up: boolean }>()
        for (const d of e.devices) {
          m.set(d.id, { outbox: d.outbox, up: d.up })
          const w = entropyWatch.get(d.id)
          if (w !== undefined && w.detectedAt === undefined && d.up && !d.entropyOk) {
            w.detectedAt = Date.now()
            faults.push({
              t: tNow(),
              kind: 'entropy-detected',
              target: d.id,
              detail: `health test failed ${((w.detectedAt - w.since) / 1000).toFixed(1)} s after the fault; readings refused`,
            })
            w.onDetected()
          }
        }
        statusOf.set(host, m)
      }
    }
    const expectedExit = new Set<number>()
    const onExit = (host: number, code: number | null, signal: string | null): void => {
      for (const [id, h] of hostOfDevice) {
        if (h === host) {
          up.delete(id)
          load.setUrl(id, undefined)
        }
      }
      statusOf.delete(host)
      if (!expectedExit.has(host)) {
        faults.push({
          t: tNow(),
          kind: 'host-crash',
          target: `host ${host}`,
          detail: `exit ${code ?? signal}`,
        })
      }
    }
    for (let h = 0; h * options.devicesPerHost < ids.length; h++) {
      const devices = ids.slice(h * options.devicesPerHost, (h + 1) * options.devicesPerHost)
      const spec: HostSpec = {
        host: h,
        logFile: join(workDir, 'logs', `host-${h}.log`),
        logLevel: 'info',
        statusMs: STATUS_MS,
        devices: devices.map((id, k) => ({
          id,
          dir: join(devicesDir, id),
          config: join(workDir, 'config', `${id}.json`),
          seed: options.seed * 100_003 + h * options.devicesPerHost + k,
          ...(plan.rtcless.has(id) && { syncAfterMs: plan.rtcless.get(id)! }),
        })),
      }
      const specPath = join(workDir, 'hosts', `host-${h}.json`)
      await writeFile(specPath, `${JSON.stringify(spec, null, 2)}\n`)
      for (const id of devices) hostOfDevice.set(id, h)
      hosts.push(
        new HostProcess(h, specPath, join(workDir, 'logs', `host-${h}.stderr`), onEvent, onExit),
      )
    }
    cleanups.push(async () => {
      for (const h of hosts) {
        expectedExit.add(h.index)
        await h.stop(HOST_STOP_MS)
        await h.close()
      }
    })
    for (const h of hosts) h.start()
    const bootDeadline = Date.now() + 60_000 + ids.length * 100
    while (up.size < ids.length) {
      if (hostDown.length > 0) {
        throw new FleetError(
          'ERR_FLEET_HOST',
          `a device did not start: ${hostDown[0]} (logs in ${workDir}/logs)`,
        )
      }
      if (Date.now() > bootDeadline) {
        throw new FleetError(
          'ERR_FLEET_HOST',
          `${ids.length - up.size} devices did not start within ${Math.round((bootDeadline - t0) / 1000)} s (logs in ${workDir}/logs)`,
        )
      }
      progress.status(`starting devices: ${up.size}/${ids.length} up`)
      await sleep(200)
    }
    progress.note(
      `${ids.length} devices up in ${hosts.length} host processes (${options.devicesPerHost} per host), each with its own link, state folder and MQTT connection`,
    )

    // 6. Load and faults
    const tail = new SinkTail(sinkPath)
    cleanups.push(() => tail.close())
    const samples: FleetSample[] = []
    const outboxDepth = (): number => {
      let n = 0
      for (const m of statusOf.values()) for (const s of m.values()) n += s.outbox
      return n
    }
    loadStart = Date.now()
    const timers = new Set<ReturnType<typeof setTimeout>>()
    const later = (ms: number, f: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t)
        f()
      }, ms)
      timers.add(t)
    }
    const apply = (f: PlannedFault): void => {
      if (f.kind === 'link') {
        const link = links.get(f.device)!
        link.set(f.mode)
        faults.push({
          t: tNow(),
          kind: 'link',
          target: f.device,
          detail:
            describeLinkMode(f.mode) + (f.forMs > 0 ? ` for ${(f.forMs / 1000).toFixed(1)} s` : ''),
        })
        if (f.forMs > 0) later(f.forMs, () => link.set({ kind: 'pass' }))
      } else if (f.kind === 'power') {
        const host = hosts[f.host]!
        expectedExit.add(f.host)
        faults.push({
          t: tNow(),
          kind: 'power',
          target: `host ${f.host}`,
          detail: `power cut (SIGKILL) of ${[...hostOfDevice].filter(([, h]) => h === f.host).length} devices, back after ${f.offForMs / 1000} s`,
        })
        void host.powerCut().then(() =>
          later(f.offForMs, () => {
            expectedExit.delete(f.host)
            host.start()
          }),
        )
      } else {
        const host = hosts[hostOfDevice.get(f.device)!]!
        host.send({ cmd: 'fault', id: f.device, fault: f.fault })
        faults.push({
          t: tNow(),
          kind: 'entropy',
          target: f.device,
          detail: `noise source stuck at 0x${(f.fault as { value: number }).value.toString(16).padStart(2, '0')}`,
        })
        // The agent reads its noise source when its pool needs refilling (each new epoch), so
        // the fault is caught at the next epoch; the board is repaired once it has been.
        const repair = (): void => {
          if (!entropyWatch.delete(f.device)) return
          load.setUrl(f.device, undefined)
          up.delete(f.device)
          host.send({ cmd: 'reboot', id: f.device, repair: true })
          faults.push({
            t: tNow(),
            kind: 'repair',
            target: f.device,
            detail: 'noise source repaired, device rebooted',
          })
        }
        entropyWatch.set(f.device, {
          since: Date.now(),
          onDetected: () => later(f.repairAfterMs, repair),
          repair,
        })
      }
    }
    for (const f of plan.timed) later(f.at, () => apply(f))
    const tick = setInterval(() => load.tick(), options.tickMs)
    const usage = new UsageTracker()
    const sampleUsage = (): void => {
      for (const h of hosts) usage.sample('hosts', h.pid)
      usage.sample('consumer', consumer.child.pid)
      usage.sample('runner', process.pid)
    }
    const sample = async (): Promise<void> => {
      sampleUsage()
      await tail.poll()
      const s: FleetSample = {
        t: tNow(),
        devicesUp: up.size,
        confirmed: load.counts.confirmed,
        delivered: tail.delivered,
        outboxDepth: outboxDepth(),
      }
      samples.push(s)
      progress.status(
        `[${Math.round(s.t / 1000)}/${options.durationSec} s] devices ${s.devicesUp}/${ids.length} up · confirmed ${s.confirmed} · delivered ${s.delivered} · outbox ${s.outboxDepth} · faults ${faults.length}`,
      )
    }
    let sampling = Promise.resolve()
    const sampler = setInterval(() => {
      sampling = sampling.then(sample, sample)
    }, options.sampleMs)
    await Promise.race([
      sleep(options.durationSec * 1000),
      new Promise<void>((r) => io.signal?.addEventListener('abort', () => r(), { once: true })),
    ])
    clearInterval(tick)
    await load.stop()

    // 7. Drain: every link healthy, every device powered and repaired
    const drainStart = Date.now()
    const restoreDeadline = drainStart + 15_000
    while (timers.size > 0 && Date.now() < restoreDeadline) await sleep(100) // pending repairs and reboots
    for (const t of timers) clearTimeout(t)
    for (const [id, w] of entropyWatch) {
      faults.push({
        t: tNow(),
        kind: 'entropy-undetected',
        target: id,
        detail: 'no epoch started while the noise source was stuck: nothing read it',
      })
      w.repair()
    }
    for (const l of links.values()) l.set({ kind: 'pass' })
    for (const h of hosts) {
      if (!h.running) {
        expectedExit.delete(h.index)
        h.start()
      }
    }
    let complete = false
    while (Date.now() - drainStart < options.drainSec * 1000) {
      await tail.poll()
      const missing = load.confirmed.some((c) => !tail.has(c.deviceId, c.value))
      if (!missing && outboxDepth() === 0 && up.size === ids.length) {
        complete = true
        break
      }
      await sleep(500)
    }
    const drainSeconds = (Date.now() - drainStart) / 1000
    clearInterval(sampler)
    await sampling
    await sample()
    progress.note(
      complete
        ? `drained in ${drainSeconds.toFixed(1)} s`
        : `drain incomplete after ${drainSeconds.toFixed(1)} s`,
    )

    // stop devices, then the consumer, then the tap
    sampleUsage()
    const usageSeconds = (Date.now() - loadStart) / 1000
    for (const h of hosts) {
      expectedExit.add(h.index)
      await h.stop(HOST_STOP_MS)
    }
    const metricsText = await consumerMetrics(metricsPort).catch(() => '')
    await consumer.stop(CONSUMER_STOP_MS)
    await tail.close()
    await tap.stop()

    // 8. Verdict
    const letters: { reason: string; topic: string; bytes: Uint8Array }[] = []
    const store = await deadLettersFromSpec(deadLetters)
    for await (const l of store.list())
      letters.push({ reason: l.reason, topic: l.topic, bytes: l.bytes })
    await store.close()
    const delivered = []
    for await (const r of readJsonlSink(sinkPath)) delivered.push(r)
    const decryptCalls =
      kms?.callCount('Decrypt') ??
      counterSum(metricsText, 'sealwire_consumer_kms_decrypt_requests_total')
    const verdict = verifyFleet({
      confirmed: load.confirmed,
      delivered,
      wire: tap.messages,
      kms: { decryptCalls },
      deadLetters: letters,
    })
    const latency = latencyFromDelivered(delivered, loadStart, LATENCY_WINDOW_MS)
    const run: FleetRun = {
      title: `sealwire fleet run ${runId}`,
      startedAt: loadStart,
      durationMs: options.durationSec * 1000,
      settings: {
        devices: options.devices,
        'duration (s)': options.durationSec,
        'rate (readings/device/s)': options.rate,
        faults: options.faults.join(',') || 'none',
        seed: options.seed,
        'devices per host': options.devicesPerHost,
        broker: broker.describe,
        kms: kms !== undefined ? 'kms-local (in process)' : endpoint,
        runtime:
          typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
            ? 'bun'
            : `node ${process.version}`,
      },
      samples,
      faults,
      ...latency,
      verdict,
    }
    let reportPath: string | undefined
    if (options.report !== undefined) {
      reportPath = resolve(options.report)
      await writeFile(reportPath, renderFleetReport(run))
    }
    if (!broker.embedded) {
      await clearRetained(
        broker,
        ids.map((id) => `${topicPrefix}/${id}/key`),
      )
    }
    return {
      verdict,
      run,
      load: load.counts,
      reportPath,
      workDir: keep ? workDir : undefined,
      broker: broker.describe,
      kms: kms !== undefined ? `kms-local at ${endpoint} (in process)` : endpoint,
      kmsCalls: kms?.calls(),
      drain: { seconds: drainSeconds, complete },
      usage: usage.available
        ? {
            hosts: usage.total('hosts'),
            consumer: usage.total('consumer'),
            runner: usage.total('runner'),
            seconds: usageSeconds,
          }
        : undefined,
    }
  } finally {
    progress.done()
    await cleanup()
    if (!keep) await rm(workDir, { recursive: true, force: true })
  }
}

/** Waits for the consumer's `running` log event: its subscriptions are in place. */
async function waitForConsumer(
  logFile: string,
  exited: Promise<number | string>,
  workDir: string,
): Promise<void> {
  let gone: number | string | undefined
  void exited.then((how) => (gone = how))
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (gone !== undefined) {
      throw new FleetError(
        'ERR_FLEET_CONSUMER',
        `sealwire-consumer exited (${gone}) at start; see ${workDir}/logs/consumer.log`,
      )
    }
    const text = await readFile(logFile, 'utf8').catch(() => '')
    if (text.includes('"event":"running"')) return
    await sleep(200)
  }
  throw new FleetError(
    'ERR_FLEET_CONSUMER',
    `sealwire-consumer did not start within 60 s; see ${workDir}/logs/consumer.log`,
  )
}

async function consumerMetrics(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  return await res.text()
}

/** The sum of a Prometheus counter's samples in `text` (0 when absent). */
function counterSum(text: string, name: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0
    }
  }
  return sum
}
