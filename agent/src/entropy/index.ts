/**
 * The agent's entropy feature: the {@link EntropySource} contract, the OS CSPRNG default, and a
 * hardware source with SP 800-90B start-up and continuous health tests, conditioning and OS
 * mixing. The contract and the formulas are in this folder's README.md.
 *
 * @example
 * ```ts
 * import { HardwareEntropySource, OsEntropySource } from './entropy/index.ts'
 * const entropy = config.hwrng ? new HardwareEntropySource({ input: { path: config.hwrng } }) : new OsEntropySource()
 * entropy.onFailure((err) => stopSealing(err))
 * await entropy.start()
 * ```
 */
export { EntropyError } from './errors.ts'
export type { EntropyErrorCode } from './errors.ts'
export type {
  EntropyFailure,
  EntropyFailureListener,
  EntropyHealth,
  EntropyPoolStats,
  EntropySource,
  EntropyState,
} from './entropy_source.ts'
export { entropyDefaults } from './defaults.ts'
export type { EntropyDefaults } from './defaults.ts'
export { aptCutoff, rctCutoff } from './cutoffs.ts'
export { HealthTester } from './health_tester.ts'
export type {
  HealthTestFailure,
  HealthTestName,
  HealthTestStats,
  HealthTesterOptions,
} from './health_tester.ts'
export { samplesPerBlock } from './conditioning.ts'
export { OsEntropySource } from './os_entropy_source.ts'
export type { OsEntropyOptions } from './os_entropy_source.ts'
export { HardwareEntropySource } from './hardware_entropy_source.ts'
export type { HardwareEntropyOptions } from './hardware_entropy_source.ts'
export type { SampleInput } from './sample_feed.ts'
