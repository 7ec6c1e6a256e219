/**
 * The MQTT topic layout of a device: `<prefix>/<deviceId>/data` for sealed readings and
 * `<prefix>/<deviceId>/key` for key announcements (published retained). The device id is the
 * topic level right before the last one, which the consumer reads back as the envelope's
 * `external_aad`, so a message moved to another device's topic fails to open.
 *
 * Limits, so that every topic works on AWS IoT Core as well as Mosquitto:
 * - a prefix is 1 to {@link MAX_TOPIC_PREFIX_LEVELS} levels of `A-Z a-z 0-9 . _ -` separated by
 *   `/`: no empty level, no wildcard (`+`, `#`), no leading `$` (reserved for the broker);
 * - AWS IoT Core allows at most 7 slashes in a topic: the layout adds 2, so a prefix has at most
 *   5 slashes ({@link MAX_TOPIC_PREFIX_LEVELS} = 6 levels);
 * - AWS IoT Core allows at most 256 bytes per topic: the layout adds `/` + the device id (at most
 *   128 bytes) + `/data` (5 bytes), so a prefix has at most {@link MAX_TOPIC_PREFIX_LENGTH} = 122
 *   bytes, and every valid device id fits under every valid prefix.
 *
 * @example
 * ```ts
 * topicsFor('sealwire', 'dev-1') // { data: 'sealwire/dev-1/data', key: 'sealwire/dev-1/key' }
 * deviceIdFromTopic('sealwire/dev-1/data', 'sealwire') // { deviceId: 'dev-1', kind: 'data' }
 * ```
 */
import { shown } from '../../platform/src/index.ts'
import { deviceIdProblem, MAX_DEVICE_ID_LENGTH } from './device_id.ts'

/** AWS IoT Core's limit on a topic's length in UTF-8 bytes. */
export const MAX_TOPIC_BYTES = 256
/** AWS IoT Core's limit on the slashes in a topic. */
export const MAX_TOPIC_SLASHES = 7

const DATA_SUFFIX = 'data'
const KEY_SUFFIX = 'key'

/** The longest prefix: 256 − `/` − 128-byte id − `/data`. */
export const MAX_TOPIC_PREFIX_LENGTH = MAX_TOPIC_BYTES - 1 - MAX_DEVICE_ID_LENGTH - 1 - 4
/** The most levels a prefix may have: 7 slashes − the 2 the layout adds, plus one. */
export const MAX_TOPIC_PREFIX_LEVELS = MAX_TOPIC_SLASHES - 2 + 1

const PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/

/** The two topics of one device. */
export interface DeviceTopics {
  /** Sealed readings (compact form), published without retain. */
  readonly data: string
  /** Key announcements (full form), published **retained**. */
  readonly key: string
}

/**
 * Why `prefix` is not a valid topic prefix (a phrase that reads after it), or `undefined`.
 *
 * @example
 * ```ts
 * topicPrefixProblem('acme/#') // 'must be topic levels of A-Z a-z 0-9 . _ - separated by /'
 * ```
 */
export function topicPrefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    return 'must be topic levels of A-Z a-z 0-9 . _ - separated by /'
  }
  if (prefix.length > MAX_TOPIC_PREFIX_LENGTH) {
    return (
      `is ${prefix.length} bytes; at most ${MAX_TOPIC_PREFIX_LENGTH}, so that every topic ` +
      `stays within AWS IoT Core's ${MAX_TOPIC_BYTES} bytes`
    )
  }
  if (prefix.split('/').length > MAX_TOPIC_PREFIX_LEVELS) {
    return (
      `has ${prefix.split('/').length} levels; at most ${MAX_TOPIC_PREFIX_LEVELS}, so that every ` +
      `topic stays within AWS IoT Core's ${MAX_TOPIC_SLASHES} slashes`
    )
  }
  return undefined
}

/**
 * The data and key topics of `deviceId` under `prefix`.
 *
 * @throws {RangeError} when `prefix` or `deviceId` breaks its rule (a caller bug: check input
 *   with {@link topicPrefixProblem} and `deviceIdProblem` first).
 * @example
 * ```ts
 * topicsFor('acme/line7', 'gw-1').key // 'acme/line7/gw-1/key'
 * ```
 */
export function topicsFor(prefix: string, deviceId: string): DeviceTopics {
  const problem = topicPrefixProblem(prefix)
  if (problem !== undefined) throw new RangeError(`topicsFor: prefix ${shown(prefix)} ${problem}`)
  const idProblem = deviceIdProblem(deviceId)
  if (idProblem !== undefined) {
    throw new RangeError(`topicsFor: device id ${shown(deviceId)} ${idProblem}`)
  }
  return Object.freeze({
    data: `${prefix}/${deviceId}/${DATA_SUFFIX}`,
    key: `${prefix}/${deviceId}/${KEY_SUFFIX}`,
  })
}

/**
 * The subscription filters that match every device's topics under `prefix` (for a consumer:
 * share the data filter among instances, subscribe to the key filter unshared).
 *
 * @throws {RangeError} when `prefix` breaks its rule.
 * @example
 * ```ts
 * topicFiltersFor('sealwire') // { data: 'sealwire/+/data', key: 'sealwire/+/key' }
 * ```
 */
export function topicFiltersFor(prefix: string): DeviceTopics {
  const problem = topicPrefixProblem(prefix)
  if (problem !== undefined) {
    throw new RangeError(`topicFiltersFor: prefix ${shown(prefix)} ${problem}`)
  }
  return Object.freeze({ data: `${prefix}/+/${DATA_SUFFIX}`, key: `${prefix}/+/${KEY_SUFFIX}` })
}

/**
 * The device id and kind of a topic of the layout under `prefix`, or `undefined` for any other
 * topic (another prefix, another depth, an invalid device id, another last level).
 *
 * @example
 * ```ts
 * deviceIdFromTopic('sealwire/gw-1/key', 'sealwire') // { deviceId: 'gw-1', kind: 'key' }
 * deviceIdFromTopic('sealwire/a/b/data', 'sealwire') // undefined
 * ```
 */
export function deviceIdFromTopic(
  topic: string,
  prefix: string,
): { readonly deviceId: string; readonly kind: 'data' | 'key' } | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined
  const rest = topic.slice(prefix.length + 1).split('/')
  if (rest.length !== 2) return undefined
  const [deviceId, last] = rest as [string, string]
  if (deviceIdProblem(deviceId) !== undefined) return undefined
  if (last === DATA_SUFFIX) return { deviceId, kind: 'data' }
  if (last === KEY_SUFFIX) return { deviceId, kind: 'key' }
  return undefined
}
