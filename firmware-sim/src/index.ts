/**
 * `firmware-sim/`: emulated device hardware and the simulated fleet behind `npm start`. README.md
 * (the fleet run), HARDWARE.md (the emulated hardware), VERIFY.md (the verifier and the report)
 * and `src/link/README.md` (the flaky link) are normative.
 *
 * @example
 * ```ts
 * import { fleetDefaults, runFleet } from './index.ts'
 * const result = await runFleet({ ...fleetDefaults, devices: 10, durationSec: 20 }, { progress: process.stderr })
 * ```
 */
export { runFleet } from './fleet/fleet_runner.ts'
export type { FleetIo, FleetOptions, FleetResult } from './fleet/fleet_runner.ts'
export { fleetDefaults, FAULT_KINDS } from './fleet/defaults.ts'
export type { FaultKind, FleetDefaults } from './fleet/defaults.ts'
export { main, FLEET_EXIT, parseFleetArgs } from './fleet/main.ts'
export { FleetError } from './fleet/errors.ts'
export type { FleetErrorCode } from './fleet/errors.ts'
export { clearRetained, openFleetBroker } from './fleet/broker.ts'
export type { FleetBroker } from './fleet/broker.ts'
export { planFaults } from './fleet/fault_plan.ts'
export type { FaultPlan, PlannedFault } from './fleet/fault_plan.ts'
export { seededRandom } from './seeded_random.ts'
export * from './hardware/index.ts'
export * from './link/index.ts'
