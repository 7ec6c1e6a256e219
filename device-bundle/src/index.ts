/**
 * `device-bundle/`: the contract between the factory and the device. A device folder holds the
 * pinned KMS public key (`public_key.der`), the record of the pin (`manifest.json`) and what the
 * agent needs besides the key (`agent.json`); this component reads, writes and verifies them, and
 * owns the device-id rule and the topic layout. The normative description is `../README.md`.
 *
 * @example
 * ```ts
 * import { verifyDeviceFolder } from '../../device-bundle/src/index.ts'
 * const { config, bundle } = await verifyDeviceFolder('/var/lib/sealwire/device')
 * config.deviceId // 'dev-0001'
 * config.topics // { data: 'sealwire/dev-0001/data', key: 'sealwire/dev-0001/key' }
 * bundle.key // the envelope's RecipientKey, for createKeyWrapper
 * ```
 */
export {
  AGENT_CONFIG_FORMAT,
  AGENT_CONFIG_VERSION,
  BUNDLE_FILES,
  bundleLimits,
  FILE_MODES,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
} from './defaults.ts'
export type { BundleLimits } from './defaults.ts'
export { BundleError, DeviceBundleError, PinMismatchError } from './errors.ts'
export type { AnyDeviceBundleError, BundleErrorCode, DeviceBundleErrorCode } from './errors.ts'
export { deviceIdProblem, isDeviceId, MAX_DEVICE_ID_LENGTH } from './device_id.ts'
export {
  deviceIdFromTopic,
  MAX_TOPIC_BYTES,
  MAX_TOPIC_PREFIX_LENGTH,
  MAX_TOPIC_PREFIX_LEVELS,
  MAX_TOPIC_SLASHES,
  topicFiltersFor,
  topicPrefixProblem,
  topicsFor,
} from './topics.ts'
export type { DeviceTopics } from './topics.ts'
export { assertPin, isPinHex, parseExpectedPin } from './pin.ts'
export { isKeyArn, isRsaKeySpec, KEY_ALGORITHM, RSA_KEY_SPECS } from './key_spec.ts'
export type { RsaKeySpec, RsaKeySpecInfo } from './key_spec.ts'
export { createManifest, encodeManifest, parseManifest } from './manifest.ts'
export type { BundleManifest, ManifestSource, PinnedKey } from './manifest.ts'
export { createAgentConfig, encodeAgentConfig, parseAgentConfig } from './agent_config.ts'
export type { AgentConfig } from './agent_config.ts'
export { verifyBundle } from './verify_bundle.ts'
export type { VerifiedBundle, VerifyBundleOptions } from './verify_bundle.ts'
export { readAgentConfig, verifyDeviceFolder } from './device_folder.ts'
export type { VerifiedDevice } from './device_folder.ts'
export { writeAgentConfig, writeBundle } from './write_bundle.ts'
