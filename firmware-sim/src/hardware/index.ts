/**
 * Emulated device hardware: a hardware RNG with a seeded noise model and injectable faults,
 * read by the agent's real hardware-entropy path in process or through a FIFO, and a clock
 * without RTC. The contract is `firmware-sim/HARDWARE.md`.
 *
 * @example
 * ```ts
 * import { NoiseSource, RtclessClock, serveNoiseFifo } from './hardware/index.ts'
 * const noise = new NoiseSource({ seed: 42 })
 * const entropy = new HardwareEntropySource({ input: noise.sampleInput() })
 * const clock = new RtclessClock()
 * noise.setFault({ kind: 'stuck', value: 0 }) // mid-run
 * ```
 */
export { hardwareDefaults } from './defaults.ts'
export type { HardwareDefaults } from './defaults.ts'
export { HardwareSimError } from './errors.ts'
export type { HardwareSimErrorCode } from './errors.ts'
export { NoiseFaultSchema, checkNoiseFault, parseNoiseFault } from './noise_fault.ts'
export type { NoiseFault } from './noise_fault.ts'
export { NoiseSource } from './noise_source.ts'
export type { FaultListener, NoiseSourceOptions } from './noise_source.ts'
export { serveNoiseFifo } from './noise_fifo.ts'
export type { NoiseFifo } from './noise_fifo.ts'
export { RtclessClock } from './rtcless_clock.ts'
export type { RtclessClockOptions } from './rtcless_clock.ts'
