/**
 * `agent.json`: what a device's agent needs besides its key bundle: its id, its MQTT topics, and
 * the key it must find when it verifies the bundle at start.
 *
 * Topics follow the layout of `topics.ts` (`<prefix>/<deviceId>/data`, `<prefix>/<deviceId>/key`);
 * a parsed file is checked against it, so an agent never publishes where the consumer would read
 * another device id. Bundle file names are the fixed ones, relative to the folder holding
 * `agent.json`, so the folder can be copied anywhere on the device and no path is ever taken from
 * the file. No timestamps: the same inputs give the same bytes, so a rerun can compare them.
 *
 * @example
 * ```ts
 * const text = encodeAgentConfig(createAgentConfig('dev-1', 'sealwire', manifest))
 * parseAgentConfig(text).topics.key // 'sealwire/dev-1/key'
 * ```
 */
import { Type } from '@sinclair/typebox'
import { compileSchema, shown } from '../../platform/src/index.ts'
import { AGENT_CONFIG_FORMAT, AGENT_CONFIG_VERSION, BUNDLE_FILES } from './defaults.ts'
import { deviceIdProblem } from './device_id.ts'
import type { FieldMessages } from './_document.ts'
import { corrupt, parseDocument } from './_document.ts'
import type { RsaKeySpec } from './key_spec.ts'
import { KEY_ALGORITHM, KEY_ARN_PATTERN } from './key_spec.ts'
import type { BundleManifest } from './manifest.ts'
import type { DeviceTopics } from './topics.ts'
import { topicPrefixProblem, topicsFor } from './topics.ts'

/** The contents of `agent.json`. */
export interface AgentConfig {
  readonly format: typeof AGENT_CONFIG_FORMAT
  readonly formatVersion: typeof AGENT_CONFIG_VERSION
  /** The device id: the envelope's `external_aad` and the device's topic level. */
  readonly deviceId: string
  /** Where the agent publishes: data without retain, key announcements retained. */
  readonly topics: DeviceTopics
  /** The key the bundle must hold (the same values as its manifest). */
  readonly key: {
    readonly arn: string
    readonly keySpec: RsaKeySpec
    readonly algorithm: typeof KEY_ALGORITHM
    /** SHA-256 of `public_key.der`: the pin the agent checks at every start. */
    readonly pinSha256: string
    readonly pinId: string
  }
  /** The bundle's file names, relative to the folder of `agent.json` (always the fixed names). */
  readonly bundle: {
    readonly publicKey: typeof BUNDLE_FILES.publicKey
    readonly manifest: typeof BUNDLE_FILES.manifest
  }
}

const strict = { additionalProperties: false } as const

const AGENT_CONFIG_SCHEMA = compileSchema(
  Type.Object(
    {
      format: Type.Literal(AGENT_CONFIG_FORMAT),
      formatVersion: Type.Literal(AGENT_CONFIG_VERSION),
      deviceId: Type.String(),
      topics: Type.Object({ data: Type.String(), key: Type.String() }, strict),
      key: Type.Object(
        {
          arn: Type.String({ pattern: KEY_ARN_PATTERN }),
          keySpec: Type.Union([
            Type.Literal('RSA_2048'),
            Type.Literal('RSA_3072'),
            Type.Literal('RSA_4096'),
          ]),
          algorithm: Type.Literal(KEY_ALGORITHM),
          pinSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
          pinId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
        },
        strict,
      ),
      bundle: Type.Object(
        {
          publicKey: Type.Literal(BUNDLE_FILES.publicKey),
          manifest: Type.Literal(BUNDLE_FILES.manifest),
        },
        strict,
      ),
    },
    strict,
  ),
)

const MESSAGES: FieldMessages = Object.freeze({
  '/format': (v) => `format is ${shown(v)}, not ${AGENT_CONFIG_FORMAT}`,
  '/formatVersion': (v) =>
    `formatVersion ${shown(v)} is not supported (this reader supports ${AGENT_CONFIG_VERSION})`,
  '/deviceId': (v) => `deviceId ${shown(v)} is not a string`,
  '/topics': () => 'topics is not an object',
  '/topics/data': (v) => `topics.data ${shown(v)} is not a string`,
  '/topics/key': (v) => `topics.key ${shown(v)} is not a string`,
  '/key': () => 'key is not an object',
  '/key/arn': (v) => `key.arn ${shown(v)} is not a KMS key ARN`,
  '/key/keySpec': (v) => `key.keySpec ${shown(v)} is not an RSA key spec`,
  '/key/algorithm': (v) => `key.algorithm ${shown(v)} is not ${KEY_ALGORITHM}`,
  '/key/pinSha256': () => 'key.pinSha256 is not 64 lower-case hex digits',
  '/key/pinId': () => 'key.pinId is not 16 lower-case hex digits',
  '/bundle': () => 'bundle is not an object',
  '/bundle/publicKey': (v) => `bundle.publicKey ${shown(v)}, expected ${BUNDLE_FILES.publicKey}`,
  '/bundle/manifest': (v) => `bundle.manifest ${shown(v)}, expected ${BUNDLE_FILES.manifest}`,
})

/**
 * Builds the `agent.json` of one device from the manifest of its bundle.
 *
 * @throws {RangeError} when `deviceId` or `topicPrefix` breaks its rule (check input first).
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
  return Object.freeze({
    format: AGENT_CONFIG_FORMAT,
    formatVersion: AGENT_CONFIG_VERSION,
    deviceId,
    topics: topicsFor(topicPrefix, deviceId),
    key: Object.freeze({
      arn: manifest.keyArn,
      keySpec: manifest.keySpec,
      algorithm: KEY_ALGORITHM,
      pinSha256: manifest.pinSha256,
      pinId: manifest.pinId,
    }),
    bundle: Object.freeze({ publicKey: BUNDLE_FILES.publicKey, manifest: BUNDLE_FILES.manifest }),
  })
}

/**
 * Serializes an agent config deterministically (fixed key order, two-space indent, final newline).
 *
 * @example
 * ```ts
 * await writeAgentConfig(dir, config) // writes encodeAgentConfig(config) atomically
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

/**
 * The topic prefix of a data topic `<prefix>/<deviceId>/data`, or `undefined` when it has
 * another shape.
 */
function prefixOf(dataTopic: string, deviceId: string): string | undefined {
  const suffix = `/${deviceId}/data`
  if (!dataTopic.endsWith(suffix)) return undefined
  const prefix = dataTopic.slice(0, -suffix.length)
  return topicPrefixProblem(prefix) === undefined ? prefix : undefined
}

/**
 * Parses and checks `agent.json` text: strict JSON, the exact fields (a TypeBox schema), a valid
 * device id, topics of the layout for that id under one valid prefix, and a pin id that is the
 * pin's first 8 bytes.
 *
 * @throws {BundleError} `ERR_BUNDLE_CORRUPT` naming the first problem.
 * @example
 * ```ts
 * parseAgentConfig(await readFile(join(dir, BUNDLE_FILES.agentConfig), 'utf8')).deviceId
 * ```
 */
export function parseAgentConfig(text: string): AgentConfig {
  const file = BUNDLE_FILES.agentConfig
  const v = parseDocument(text, file, AGENT_CONFIG_SCHEMA, MESSAGES)
  const idProblem = deviceIdProblem(v.deviceId)
  if (idProblem !== undefined) corrupt(file, `deviceId ${shown(v.deviceId)} ${idProblem}`)
  const prefix = prefixOf(v.topics.data, v.deviceId)
  if (prefix === undefined) {
    corrupt(
      file,
      `topics.data ${shown(v.topics.data, 200)} is not <prefix>/${v.deviceId}/data ` +
        'under a valid topic prefix',
    )
  }
  const expected = topicsFor(prefix, v.deviceId)
  if (v.topics.key !== expected.key) {
    corrupt(file, `topics.key ${shown(v.topics.key, 200)} is not ${shown(expected.key, 200)}`)
  }
  if (v.key.pinId !== v.key.pinSha256.slice(0, 16)) {
    corrupt(file, 'key.pinId is not the first 8 bytes of key.pinSha256')
  }
  return Object.freeze({
    format: v.format,
    formatVersion: v.formatVersion,
    deviceId: v.deviceId,
    topics: expected,
    key: Object.freeze({ ...v.key }),
    bundle: Object.freeze({ ...v.bundle }),
  })
}
