/**
 * The memory row: peak resident memory of a real `sealwire-agent run` process that seals and
 * publishes a given number of readings. The agent runs as a child (`node
 * dist/agent/src/cli.js run …` on Node, `bun agent/src/cli.ts run …` on Bun) with its defaults
 * (one reading per message, durability full, window 64), a device folder made as
 * `sealwire-provision batch` makes one, a fresh state folder, the ingest API on `127.0.0.1:0`,
 * and the bench's broker. The readings (the MQTT row's ~300-byte sealed reading) are POSTed in
 * JSON arrays of {@link POST_BATCH}, one request at a time, each answered 200 only once durably
 * queued; then `/metrics` is polled until every sealed message has been acknowledged. The peak
 * is the kernel's high-water mark (`VmHWM` in `/proc/<pid>/status`), read just before SIGTERM;
 * `VmRSS` is also sampled every 100 ms as a cross-check.
 *
 * @example
 * ```ts
 * const result = await measureAgentRss({ runtime: 'Node', command: [process.execPath, cli], … })
 * result.peakRssBytes // e.g. 58_000_000
 * ```
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import type { BenchBroker } from './bench_broker.ts'
import { clearRetained } from './bench_broker.ts'
import { makeBenchDevice } from './agent_device.ts'
import { benchReading } from './mqtt_trials.ts'
import { reason } from './measure.ts'
import type { MemoryResult } from './report.ts'

/** Readings per POST. */
const POST_BATCH = 1_000

/** How long the whole row may take before it is abandoned (n/a). */
const ROW_TIMEOUT_MS = 10 * 60 * 1000

/** How to run one agent. */
export interface RssRun {
  readonly runtime: string
  /** The executable and its leading arguments (the CLI script). */
  readonly command: readonly string[]
  readonly broker: BenchBroker
  readonly readings: number
  readonly log?: (line: string) => void
}

/** A kB field of `/proc/<pid>/status` in bytes, or undefined. */
export function procStatusBytes(status: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
  return m ? Number(m[1]) * 1024 : undefined
}

function readStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return undefined
  }
}

/** The value of an unlabelled-by-us counter in Prometheus text (sums over label sets). */
export function metricValue(text: string, name: string, labels?: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    if (labels !== undefined && !line.includes(labels)) continue
    sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/**
 * One HTTP request on a connection of its own (`agent: false`): no keep-alive socket that the
 * agent's server may be closing just as it is reused (undici's `fetch` then says "fetch failed").
 */
function httpRequest(
  url: string,
  options: { method?: string; body?: string; contentType?: string } = {},
): Promise<{
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: options.contentType === undefined ? {} : { 'content-type': options.contentType },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The environment of the child: without SEALWIRE_* (the agent refuses unknown ones). */
function childEnv(broker: BenchBroker): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEALWIRE_')) env[k] = v
  env.SEALWIRE_LOG_LEVEL = 'warn'
  env.SEALWIRE_BROKER_PROTOCOL_VERSION = String(broker.protocolVersion)
  return env
}

/** Runs one agent child through `readings` readings and returns its peak RSS. */
export async function measureAgentRss(run: RssRun): Promise<MemoryResult> {
  const { runtime, broker, readings } = run
  const device = await makeBenchDevice('bench-rss')
  const [exe, ...head] = run.command
  const child = spawn(
    exe!,
    [
      ...head,
      'run',
      '--device',
      device.dir,
      '--state',
      device.stateDir('state'),
      '--http',
      '127.0.0.1:0',
      '--broker',
      broker.url,
    ],
    { env: childEnv(broker), stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)))
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exit = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      exited = { code, signal }
      resolve()
    }),
  )
  let sampledPeak = 0
  const sampler = setInterval(() => {
    const rss = procStatusBytes(readStatus(child.pid ?? -1) ?? '', 'VmRSS')
    if (rss !== undefined && rss > sampledPeak) sampledPeak = rss
  }, 100)
  const deadline = Date.now() + ROW_TIMEOUT_MS
  const alive = (what: string): void => {
    if (exited) {
      const last = stderr.trim().split('\n').at(-1) ?? ''
      throw new Error(
        `the agent exited (${exited.signal ?? `code ${exited.code}`}) ${what}: ${last}`,
      )
    }
    if (Date.now() > deadline) throw new Error(`timed out ${what}`)
  }
  try {
    let url: string | undefined
    while (url === undefined) {
      alive('before its ingest API was up')
      url = /ingest (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
      if (url === undefined) await delay(50)
    }
    const reading = benchReading()
    const body = JSON.stringify(Array.from({ length: POST_BATCH }, () => reading))
    const t0 = performance.now()
    for (let sent = 0; sent < readings;) {
      alive('while readings were posted')
      const n = Math.min(POST_BATCH, readings - sent)
      const res = await httpRequest(`${url}/v1/readings`, {
        method: 'POST',
        contentType: 'application/json',
        body: n === POST_BATCH ? body : JSON.stringify(Array.from({ length: n }, () => reading)),
      })
      if (res.status === 503) {
        await delay(1000 * Number(res.headers['retry-after'] ?? '1'))
        continue
      }
      if (res.status !== 200) throw new Error(`POST /v1/readings: ${res.status} ${res.text}`)
      sent += n
    }
    run.log?.(`${runtime} agent: ${readings} readings queued; waiting for the PUBACKs`)
    for (;;) {
      alive('while waiting for PUBACKs')
      const { status, text } = await httpRequest(`${url}/metrics`)
      if (status !== 200) throw new Error(`GET /metrics: ${status}`)
      const sealed = metricValue(text, 'sealwire_agent_messages_sealed_total')
      const acked = metricValue(text, 'sealwire_agent_messages_acknowledged_total')
      const data = metricValue(text, 'sealwire_agent_messages_sealed_total', 'kind="data"')
      if (data >= readings && acked >= sealed) break
      await delay(250)
    }
    const elapsedMs = performance.now() - t0
    const status = readStatus(child.pid ?? -1)
    const peak = status === undefined ? undefined : procStatusBytes(status, 'VmHWM')
    if (peak === undefined) throw new Error('no /proc/<pid>/status to read VmHWM from')
    return {
      runtime,
      readings,
      peakRssBytes: peak,
      sampledPeakBytes: sampledPeak || undefined,
      readingsPerSecond: (readings * 1000) / elapsedMs,
      elapsedMs,
    }
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause
    const why = cause === undefined ? reason(err) : `${reason(err)}: ${reason(cause)}`
    return { runtime, readings, error: why }
  } finally {
    clearInterval(sampler)
    if (!exited) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exit
      clearTimeout(timer)
    }
    await clearRetained(broker, device.topics.key)
    await device.remove()
  }
}
