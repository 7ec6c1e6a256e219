/**
 * sealwire provisioning: fetch, check and pin the KMS public key, and write device key bundles.
 * {@link verifyBundle} is the offline check of a bundle; its key check is the envelope's
 * `parseRecipientKey`, which the device agent runs too (the agent may not import this folder, per
 * DESIGN.md's import rules: when the agent lands, the bundle reader moves where both can reach it).
 *
 * @example
 * ```ts
 * import { verifyBundle } from './index.ts'
 * const bundle = await verifyBundle('/var/lib/sealwire/gw-0001', { expectSha256: pin })
 * console.log(bundle.manifest.keyArn)
 * ```
 */
export { main } from './main.ts'
export type { CliIo, WritableLike } from './cli/cli_io.ts'
export { verifyBundle } from './bundle/verify_bundle.ts'
export type { VerifiedBundle, VerifyBundleOptions } from './bundle/verify_bundle.ts'
export { inspectBundle } from './bundle/inspect_bundle.ts'
export type { BundleStatus, WantedKey } from './bundle/inspect_bundle.ts'
export { writeBundle } from './bundle/write_bundle.ts'
export { writeFileAtomic, ensureKeyDir } from './bundle/atomic_write.ts'
export { createManifest, encodeManifest, parseManifest } from './bundle/manifest.ts'
export type { BundleManifest, ManifestSource } from './bundle/manifest.ts'
export { checkPublicKeyResponse, isKeyArn } from './key/check_public_key.ts'
export type { CheckedPublicKey, PublicKeyResponse } from './key/check_public_key.ts'
export { checkKeyMetadata } from './key/check_key_metadata.ts'
export type { KeyMetadataLike } from './key/check_key_metadata.ts'
export {
  checkEncryptionAlgorithms,
  checkKeySpec,
  checkKeyUsage,
  isRsaKeySpec,
  REQUIRED_ALGORITHM,
  REQUIRED_KEY_USAGE,
  RSA_KEY_SPECS,
} from './key/key_policy.ts'
export type { RsaKeySpecInfo } from './key/key_policy.ts'
export { checkRecipientSpki } from './key/recipient.ts'
export { assertPin, isPinHex, parseExpectedPin } from './key/pin.ts'
export { parseDevicesCsv, deviceIdProblem } from './batch/devices_csv.ts'
export type { DeviceRow, DevicesCsvOptions } from './batch/devices_csv.ts'
export { checkTopicPrefix, createAgentConfig, encodeAgentConfig } from './batch/agent_config.ts'
export type { AgentConfig } from './batch/agent_config.ts'
export { provisionDevices } from './batch/provision_devices.ts'
export type {
  DeviceOutcome,
  ProvisionDevicesOptions,
  ProvisionDevicesResult,
  RefusedDevice,
} from './batch/provision_devices.ts'
export { KmsSession, checkEndpoint } from './kms/kms_session.ts'
export type { KmsSessionOptions } from './kms/kms_session.ts'
export { fetchPublicKey } from './kms/fetch_public_key.ts'
export type { FetchedPublicKey } from './kms/fetch_public_key.ts'
export { withRetry, backoffMs, RetryExhausted } from './kms/retry.ts'
export type { RetryConfig } from './kms/retry.ts'
export { isRetryableKmsError, toProvisioningError } from './kms/kms_errors.ts'
export {
  defaults,
  FILE_MODES,
  BUNDLE_FILES,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  AGENT_CONFIG_FORMAT,
  AGENT_CONFIG_VERSION,
} from './defaults.ts'
export type { ProvisioningDefaults, RsaKeySpec } from './defaults.ts'
export {
  ProvisioningError,
  UsageError,
  KeyRefusedError,
  PinMismatchError,
  BundleError,
  CsvError,
  KmsError,
  IoError,
} from './errors.ts'
export type {
  AnyProvisioningError,
  BundleErrorCode,
  KeyRefusedCode,
  KmsErrorCode,
  ProvisioningErrorCode,
} from './errors.ts'
export { EXIT_CODES, exitCodeOf } from './exit_codes.ts'
export type { ExitClass } from './exit_codes.ts'
