/**
 * The fleet run's defaults, in one typed object: what `npm start` does with no flags (README
 * "Flags"). Sized for this project's reference machine (2 cores): 50 devices for a minute.
 *
 * @example
 * ```ts
 * const devices = options.devices ?? fleetDefaults.devices // 50
 * ```
 */

/** Fault kinds a run can inject (`--faults`). */
export const FAULT_KINDS = ['link', 'power', 'entropy', 'clock'] as const

/** One fault kind. */
export type FaultKind = (typeof FAULT_KINDS)[number]

/** The defaults of every fleet setting. */
export interface FleetDefaults {
  readonly devices: number
  readonly durationSec: number
  /** Readings per device per second. */
  readonly rate: number
  readonly faults: readonly FaultKind[]
  readonly seed: number
  /** Devices one host process runs (each with its own state folder and MQTT connection). */
  readonly devicesPerHost: number
  /** Report file. */
  readonly report: string
  /** After the load stops: how long to wait for every confirmed reading to be delivered. */
  readonly drainSec: number
  /** Messages per data-key epoch on each agent (small, so a run rotates epochs). */
  readonly epochMessages: number
  /** How often the load generator sends each device's due readings, ms. */
  readonly tickMs: number
  /** How often the timeline is sampled, ms. */
  readonly sampleMs: number
  /** Share of devices that boot without a real-time clock (1970) under the `clock` fault. */
  readonly rtclessShare: number
}

export const fleetDefaults: FleetDefaults = Object.freeze({
  devices: 50,
  durationSec: 60,
  rate: 2,
  faults: Object.freeze([...FAULT_KINDS]),
  seed: 1,
  devicesPerHost: 5,
  report: 'fleet-report.html',
  drainSec: 90,
  epochMessages: 40,
  tickMs: 250,
  sampleMs: 1_000,
  rtclessShare: 0.2,
})
