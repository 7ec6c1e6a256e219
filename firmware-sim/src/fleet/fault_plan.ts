/**
 * The faults of a fleet run, placed from its seed (the same seed, devices and duration give the
 * same plan):
 *
 * - `link`: flaps on random devices' links — a one-shot `cut`, or `blackhole`, `refuse` or a
 *   `delay` of 200–1,500 ms for 2–8 s, then `pass` again. One flap per 300 device-seconds, at
 *   least 3, between 5 % and 80 % of the run.
 * - `power`: one power cut (SIGKILL of one host process, so every device it runs loses power
 *   mid-write) between 35 % and 55 % of the run; the host boots again 3 s later on the same
 *   folders.
 * - `entropy`: one device's noise source gets stuck (every sample the same byte) between 15 % and
 *   30 % of the run, outside the host of the power cut; the agent's health test must catch it and
 *   refuse readings (503) until the board is "repaired" (the fault cleared, the device rebooted)
 *   3 s after the agent caught it.
 * - `clock`: a share of the devices boot without an RTC (1970) and sync at a random moment
 *   between 10 % and 50 % of the run, after every boot.
 *
 * @example
 * ```ts
 * const plan = planFaults({ seed: 1, durationMs: 60_000, devices: ids, hostOf: (i) => i % 10, hosts: 10, kinds: ['link'] })
 * ```
 */
import type { LinkMode } from '../link/index.ts'
import { seededRandom } from '../seeded_random.ts'
import type { FaultKind } from './defaults.ts'
import type { NoiseFault } from '../hardware/index.ts'

/** One timed fault. `at` is ms after the load starts. */
export type PlannedFault =
  | {
      readonly at: number
      readonly kind: 'link'
      readonly device: string
      readonly mode: LinkMode
      readonly forMs: number
    }
  | {
      readonly at: number
      readonly kind: 'power'
      readonly host: number
      readonly offForMs: number
    }
  | {
      readonly at: number
      readonly kind: 'entropy'
      readonly device: string
      readonly fault: NoiseFault
      readonly repairAfterMs: number
    }

/** A run's faults. */
export interface FaultPlan {
  readonly timed: readonly PlannedFault[]
  /** Devices without an RTC, with the ms after each boot at which their clock syncs. */
  readonly rtcless: ReadonlyMap<string, number>
}

/** What the plan is made from. */
export interface FaultPlanInput {
  readonly seed: number
  readonly durationMs: number
  readonly devices: readonly string[]
  /** The host process of device number `i`. */
  readonly hostOf: (i: number) => number
  readonly hosts: number
  readonly kinds: readonly FaultKind[]
  readonly rtclessShare: number
}

const POWER_OFF_MS = 3_000
/** The board is repaired this long after the agent caught the fault. */
const ENTROPY_REPAIR_MS = 3_000

/** Places the faults of a run. */
export function planFaults(input: FaultPlanInput): FaultPlan {
  const random = seededRandom(input.seed)
  const { durationMs, devices } = input
  const between = (lo: number, hi: number): number =>
    Math.round(durationMs * (lo + random() * (hi - lo)))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const kinds = new Set(input.kinds)
  const timed: PlannedFault[] = []
  const rtcless = new Map<string, number>()

  let powerHost: number | undefined
  if (kinds.has('power')) {
    powerHost = Math.floor(random() * input.hosts)
    timed.push({ at: between(0.35, 0.55), kind: 'power', host: powerHost, offForMs: POWER_OFF_MS })
  }
  if (kinds.has('entropy')) {
    const candidates = devices.filter((_, i) => input.hostOf(i) !== powerHost)
    const device = pick(candidates.length > 0 ? candidates : devices)
    timed.push({
      at: between(0.15, 0.3),
      kind: 'entropy',
      device,
      fault: { kind: 'stuck', value: Math.floor(random() * 256) },
      repairAfterMs: ENTROPY_REPAIR_MS,
    })
  }
  if (kinds.has('link')) {
    const flaps = Math.max(3, Math.round((devices.length * durationMs) / 1000 / 300))
    for (let i = 0; i < flaps; i++) {
      const device = pick(devices)
      const r = random()
      const mode: LinkMode =
        r < 0.25
          ? { kind: 'cut' }
          : r < 0.5
            ? { kind: 'blackhole' }
            : r < 0.75
              ? { kind: 'refuse' }
              : { kind: 'delay', ms: 200 + Math.round(random() * 1_300) }
      const forMs = mode.kind === 'cut' ? 0 : 2_000 + Math.round(random() * 6_000)
      timed.push({ at: between(0.05, 0.8), kind: 'link', device, mode, forMs })
    }
  }
  if (kinds.has('clock')) {
    for (const id of devices) {
      if (random() < input.rtclessShare) rtcless.set(id, between(0.1, 0.5))
    }
  }
  timed.sort((a, b) => a.at - b.at)
  return { timed, rtcless }
}
