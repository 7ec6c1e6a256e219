/**
 * `provisioning/`: the manufacture-station CLI `sealwire-provision` and its batch logic. The
 * bundle contract it writes (manifest, `agent.json`, verify, file names and modes, topics, the
 * device-id rule) is `device-bundle/`; KMS access is `kms-client/`. Nothing else imports this
 * folder: the device agent reads device folders through `device-bundle/`.
 *
 * @example
 * ```ts
 * import { main } from './index.ts'
 * process.exitCode = await main(['verify', '/out/dev-1'])
 * ```
 */
export { main } from './main.ts'
export type { MainOptions } from './main.ts'
export { defaults } from './defaults.ts'
export type { ProvisioningDefaults } from './defaults.ts'
export { CsvError, ProvisioningError } from './errors.ts'
export type { AnyProvisioningError, ProvisioningErrorCode } from './errors.ts'
export { EXIT_CODES, exitCodeOf } from './exit_codes.ts'
export type { ExitClass, StationErrorCode } from './exit_codes.ts'
export { parseDevicesCsv } from './batch/devices_csv.ts'
export type { DeviceRow, DevicesCsvOptions } from './batch/devices_csv.ts'
export { provisionDevices } from './batch/provision_devices.ts'
export type {
  DeviceOutcome,
  ProvisionDevicesOptions,
  ProvisionDevicesResult,
  RefusalError,
  RefusedDevice,
} from './batch/provision_devices.ts'
export { inspectBundle } from './output/inspect_bundle.ts'
export type { BundleStatus, WantedKey } from './output/inspect_bundle.ts'
export { isBundleTempName } from './output/bundle_temps.ts'
