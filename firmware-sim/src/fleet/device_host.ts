/**
 * A device host: one process running many simulated devices, each the real agent (`serveAgent`:
 * the same code `sealwire-agent run` runs) with its own device folder, state folder, MQTT
 * connection and ingest API, fed by emulated hardware: a seeded noise source read through the
 * agent's hardware-entropy code path, and — for devices without an RTC — a clock that boots in
 * 1970 and syncs later. A power cut is the runner killing this process with SIGKILL: every device
 * in it loses power at once, mid-write; the runner then starts a new host on the same folders.
 *
 * Talks to the runner over `host_protocol.ts`: commands on stdin, events on stdout.
 *
 * @example
 * ```ts
 * await runDeviceHost(parseHostSpec(readFileSync(specPath, 'utf8')), process.stdin, process.stdout)
 * ```
 */
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { ServedAgent } from '../../../agent/src/index.ts'
import {
  HardwareEntropySource,
  checkAgentSettings,
  loadSettings,
  serveAgent,
} from '../../../agent/src/index.ts'
import { NoiseSource, RtclessClock } from '../hardware/index.ts'
import type { DeviceSpec, DeviceStatus, HostCommand, HostEvent, HostSpec } from './host_protocol.ts'
import { parseHostCommand } from './host_protocol.ts'

/**
 * Samples the emulated noise device hands out per read, like a small hardware FIFO: the agent
 * reads only to refill its pool, so what a read returned before a fault is still used after it;
 * small reads make a fault visible at the next refill (the next epoch) rather than thousands of
 * samples later.
 */
const NOISE_CHUNK_SAMPLES = 64

/** Devices started at once when a host boots (start-up is CPU-bound: key parsing, SQLite). */
const START_CONCURRENCY = 8

interface Slot {
  readonly spec: DeviceSpec
  readonly noise: NoiseSource
  served: ServedAgent | undefined
  boot: number
  syncTimer: ReturnType<typeof setTimeout> | undefined
  busy: Promise<void>
}

/** Anything with `write(string)`. */
interface LineSink {
  write(chunk: string): unknown
}

/**
 * Runs the devices of `spec` until a `stop` command (or the end of `commands`), reporting events
 * to `events`. Resolves once every device has stopped cleanly.
 */
export async function runDeviceHost(
  spec: HostSpec,
  commands: Readable,
  events: LineSink,
): Promise<void> {
  const log = pino(
    { level: spec.logLevel, base: { host: spec.host } },
    pino.destination({ dest: spec.logFile, append: true, sync: false, mkdir: true }),
  )
  const emit = (e: HostEvent): void => void events.write(`${JSON.stringify(e)}\n`)
  const slots = new Map<string, Slot>()
  for (const d of spec.devices) {
    slots.set(d.id, {
      spec: d,
      noise: new NoiseSource({ seed: d.seed, chunkSamples: NOISE_CHUNK_SAMPLES }),
      served: undefined,
      boot: 0,
      syncTimer: undefined,
      busy: Promise.resolve(),
    })
  }

  const start = async (slot: Slot): Promise<void> => {
    slot.boot++
    try {
      const loaded = await loadSettings({
        flags: { device: slot.spec.dir, config: slot.spec.config },
        env: {},
      })
      const checked = await checkAgentSettings(loaded.settings, loaded.sources)
      const { entropy } = checked.settings
      const source = new HardwareEntropySource({
        input: slot.noise.sampleInput(),
        minEntropyPerSample: entropy.minEntropyPerSample,
        starvationTimeoutMs: entropy.starvationTimeoutMs,
      })
      let clock: RtclessClock | undefined
      if (slot.spec.syncAfterMs !== undefined) {
        clock = new RtclessClock()
        const synced = clock
        slot.syncTimer = setTimeout(() => synced.sync(), slot.spec.syncAfterMs)
      }
      const deviceLog: Logger = log.child({ device: slot.spec.id })
      slot.served = await serveAgent(checked, deviceLog, {
        entropy: source,
        ...(clock !== undefined && { clock, ntpSynchronized: () => clock.synced() }),
      })
      emit({ type: 'up', id: slot.spec.id, url: slot.served.server!.url, boot: slot.boot })
    } catch (err) {
      clearTimeout(slot.syncTimer)
      const code = String((err as { code?: unknown }).code ?? 'ERR_INTERNAL')
      emit({ type: 'down', id: slot.spec.id, code, message: (err as Error).message })
    }
  }

  const stopSlot = async (slot: Slot): Promise<void> => {
    clearTimeout(slot.syncTimer)
    const served = slot.served
    slot.served = undefined
    await served?.stop()
  }

  /** Runs `task` after the slot's previous task (a reboot never overlaps a stop). */
  const queue = (slot: Slot, task: () => Promise<void>): Promise<void> => {
    slot.busy = slot.busy.then(task, task)
    return slot.busy
  }

  await inParallel([...slots.values()], START_CONCURRENCY, (slot) => queue(slot, () => start(slot)))

  const status = setInterval(() => {
    const devices: DeviceStatus[] = []
    for (const slot of slots.values()) {
      const agent = slot.served?.agent
      if (agent === undefined) {
        devices.push({
          id: slot.spec.id,
          up: false,
          outbox: 0,
          entropyOk: false,
          clockSynced: false,
        })
        continue
      }
      const s = agent.snapshot()
      devices.push({
        id: slot.spec.id,
        up: true,
        // Messages still to be acknowledged (the retained key announcement the outbox keeps for
        // re-publishing is not one).
        outbox: agent.store.outbox.depth().pending,
        entropyOk: s.entropyHealthy === 1,
        clockSynced: s.clockSynced === 1,
      })
    }
    emit({ type: 'status', devices })
  }, spec.statusMs)

  const handle = async (cmd: HostCommand): Promise<boolean> => {
    if (cmd.cmd === 'stop') return true
    const slot = slots.get(cmd.id)
    if (slot === undefined) {
      log.warn(
        { event: 'unknown-device', id: cmd.id },
        'command for a device this host does not run',
      )
      return false
    }
    if (cmd.cmd === 'fault') {
      slot.noise.setFault(cmd.fault)
      log.info({ event: 'fault', device: cmd.id, fault: cmd.fault.kind }, 'noise source fault')
      return false
    }
    void queue(slot, async () => {
      await stopSlot(slot)
      if (cmd.repair) slot.noise.setFault({ kind: 'none' })
      await start(slot)
    })
    return false
  }

  const lines = createInterface({ input: commands, crlfDelay: Infinity })
  for await (const line of lines) {
    if (line.trim() === '') continue
    let cmd: HostCommand
    try {
      cmd = parseHostCommand(line)
    } catch (err) {
      log.error({ event: 'bad-command', detail: (err as Error).message }, 'command refused')
      continue
    }
    if (await handle(cmd)) break
  }
  clearInterval(status)
  await inParallel([...slots.values()], START_CONCURRENCY, (slot) =>
    queue(slot, () => stopSlot(slot)),
  )
  emit({ type: 'stopped' })
  await new Promise<void>((resolve) => log.flush(() => resolve()))
}

/** Runs `task` over `items`, at most `limit` at once. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
