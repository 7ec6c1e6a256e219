/**
 * `agent.json`: what a device's agent needs besides its key bundle: its id, its MQTT topics, and
 * the pin it must find when it verifies the bundle at start.
 *
 * Topics are `<prefix>/<deviceId>/data` and `<prefix>/<deviceId>/key` (DESIGN: data on a shared
 * topic, key announcements on their own). Bundle paths are relative to the folder holding
 * `agent.json`, so the folder can be copied to any place on the device. Deterministic bytes (no
 * timestamps), so a rerun can compare them.
 *
 * @example
 * ```ts
 * const text = encodeAgentConfig(createAgentConfig('dev-1', 'sealwire', manifest))
 * ```
 */
import type { RsaKeySpec } from '../defaults.ts'
import { AGENT_CONFIG_FORMAT, AGENT_CONFIG_VERSION, BUNDLE_FILES } from '../defaults.ts'
import { UsageError } from '../errors.ts'
import type { BundleManifest } from '../bundle/manifest.ts'
import { REQUIRED_ALGORITHM } from '../key/key_policy.ts'
import { shown } from '../_sanitize.ts'

/** The contents of `agent.json`. */
export interface AgentConfig {
  readonly format: typeof AGENT_CONFIG_FORMAT
  readonly formatVersion: typeof AGENT_CONFIG_VERSION
  readonly deviceId: string
  readonly topics: { readonly data: string; readonly key: string }
  readonly key: {
    readonly arn: string
    readonly keySpec: RsaKeySpec
    readonly algorithm: typeof REQUIRED_ALGORITHM
    readonly pinSha256: string
    readonly pinId: string
  }
  /** Paths relative to the folder of `agent.json`. */
  readonly bundle: { readonly publicKey: string; readonly manifest: string }
}

/**
 * Checks an MQTT topic prefix: one or more levels of `[A-Za-z0-9._-]`, separated by `/`, no
 * wildcards (`+`, `#`), no leading `$` (reserved for the broker), no empty level.
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * checkTopicPrefix('acme/sealwire') // 'acme/sealwire'
 * checkTopicPrefix('acme/#') // throws ERR_USAGE
 * ```
 */
export function checkTopicPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix) || prefix.length > 128) {
    throw new UsageError(
      `--topic-prefix ${shown(prefix)} must be topic levels of A-Z a-z 0-9 . _ - separated by /`,
    )
  }
  return prefix
}

/**
 * Builds the agent config of one device.
 *
 * @example
 * ```ts
 * createAgentConfig('dev-1', 'sealwire', manifest).topics.data // 'sealwire/dev-1/data'
 * ```
 */
export function createAgentConfig(
  deviceId: string,
  topicPrefix: string,
  manifest: BundleManifest,
): AgentConfig {
  return {
    format: AGENT_CONFIG_FORMAT,
    formatVersion: AGENT_CONFIG_VERSION,
    deviceId,
    topics: { data: `${topicPrefix}/${deviceId}/data`, key: `${topicPrefix}/${deviceId}/key` },
    key: {
      arn: manifest.keyArn,
      keySpec: manifest.keySpec,
      algorithm: REQUIRED_ALGORITHM,
      pinSha256: manifest.pinSha256,
      pinId: manifest.pinId,
    },
    bundle: { publicKey: BUNDLE_FILES.publicKey, manifest: BUNDLE_FILES.manifest },
  }
}

/**
 * Serializes an agent config deterministically (fixed key order, final newline).
 *
 * @example
 * ```ts
 * await writeFileAtomic(join(dir, 'agent.json'), encodeAgentConfig(config), FILE_MODES.agentConfig)
 * ```
 */
export function encodeAgentConfig(c: AgentConfig): string {
  const ordered = {
    format: c.format,
    formatVersion: c.formatVersion,
    deviceId: c.deviceId,
    topics: { data: c.topics.data, key: c.topics.key },
    key: {
      arn: c.key.arn,
      keySpec: c.key.keySpec,
      algorithm: c.key.algorithm,
      pinSha256: c.key.pinSha256,
      pinId: c.key.pinId,
    },
    bundle: { publicKey: c.bundle.publicKey, manifest: c.bundle.manifest },
  }
  return `${JSON.stringify(ordered, null, 2)}\n`
}
