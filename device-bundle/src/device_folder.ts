/**
 * A device folder, as `sealwire-provision batch` writes it and the device agent starts from: a
 * key bundle (`public_key.der`, `manifest.json`) plus `agent.json`.
 *
 * {@link verifyDeviceFolder} is the agent's start-up check and what `sealwire-provision verify`
 * runs on a folder holding `agent.json`: the bundle checks of `verifyBundle`, then `agent.json`
 * well-formed (`ERR_BUNDLE_MISSING`, `ERR_BUNDLE_CORRUPT`), then `agent.json` naming the key the
 * bundle holds: its pin (`ERR_KEY_PIN_MISMATCH`), its key ARN (`ERR_BUNDLE_CONFLICT`) and its key
 * spec (`ERR_BUNDLE_CORRUPT`).
 *
 * @example
 * ```ts
 * const { config, bundle } = await verifyDeviceFolder('/var/lib/sealwire/device')
 * const sealer = new Sealer({ wrapper: createKeyWrapper(bundle.key), deviceId: config.deviceId, random })
 * publish(config.topics.key, announcement, { retain: true })
 * ```
 */
import { join } from 'node:path'
import { shown } from '../../platform/src/index.ts'
import { BUNDLE_FILES, bundleLimits } from './defaults.ts'
import { readBundleFile, utf8Text } from './_document.ts'
import { BundleError, PinMismatchError } from './errors.ts'
import type { AgentConfig } from './agent_config.ts'
import { parseAgentConfig } from './agent_config.ts'
import type { VerifiedBundle, VerifyBundleOptions } from './verify_bundle.ts'
import { verifyBundle } from './verify_bundle.ts'

/** A device folder that passed every check. */
export interface VerifiedDevice {
  /** The parsed `agent.json`: device id, topics, key. */
  readonly config: AgentConfig
  /** The verified bundle: the key to seal to, its pin, warnings. */
  readonly bundle: VerifiedBundle
}

/**
 * Reads and parses `agent.json` in `dir`; `text` is the file as it is on disk.
 *
 * @throws {BundleError} `ERR_BUNDLE_MISSING`, `ERR_BUNDLE_CORRUPT`.
 * @throws {IoError} `ERR_IO` when the file exists but cannot be read.
 * @example
 * ```ts
 * const { config } = await readAgentConfig('/out/dev-1')
 * ```
 */
export async function readAgentConfig(
  dir: string,
): Promise<{ readonly config: AgentConfig; readonly text: string }> {
  const bytes = await readBundleFile(
    join(dir, BUNDLE_FILES.agentConfig),
    bundleLimits.maxAgentConfigBytes,
  )
  const text = utf8Text(bytes, BUNDLE_FILES.agentConfig)
  return Object.freeze({ config: parseAgentConfig(text), text })
}

/**
 * Verifies the device folder `dir`: the bundle, `agent.json`, and that both name one key.
 * `options` add expectations from a second channel, as for `verifyBundle`.
 *
 * @throws {BundleError} `ERR_BUNDLE_MISSING`, `ERR_BUNDLE_CORRUPT`, `ERR_BUNDLE_CONFLICT`.
 * @throws {KeyRejectedError} `ERR_KEY_UNSUPPORTED`, `ERR_KEY_SIZE`, `ERR_KEY_EXPONENT`.
 * @throws {PinMismatchError} `ERR_KEY_PIN_MISMATCH`.
 * @throws {UsageError} `ERR_USAGE` for a malformed expectation; {IoError} `ERR_IO`.
 * @example
 * ```ts
 * const device = await verifyDeviceFolder(dir) // ERR_KEY_PIN_MISMATCH if the key was swapped
 * ```
 */
export async function verifyDeviceFolder(
  dir: string,
  options: VerifyBundleOptions = {},
): Promise<VerifiedDevice> {
  const bundle = await verifyBundle(dir, options)
  const { config } = await readAgentConfig(dir)
  const where = `${BUNDLE_FILES.agentConfig} in ${shown(dir, 200)}`
  if (config.key.pinSha256 !== bundle.pinSha256) {
    throw new PinMismatchError(
      `${where} pins sha256:${config.key.pinSha256}, but the bundle holds sha256:${bundle.pinSha256}`,
    )
  }
  if (config.key.arn !== bundle.manifest.keyArn) {
    throw new BundleError(
      'ERR_BUNDLE_CONFLICT',
      `${where} names key ${shown(config.key.arn, 200)}, but the bundle records ` +
        shown(bundle.manifest.keyArn, 200),
    )
  }
  if (config.key.keySpec !== bundle.manifest.keySpec) {
    throw new BundleError(
      'ERR_BUNDLE_CORRUPT',
      `${where} says ${config.key.keySpec}, but the bundle holds ${bundle.manifest.keySpec}`,
    )
  }
  return Object.freeze({ config, bundle })
}
