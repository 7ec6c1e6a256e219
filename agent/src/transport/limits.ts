/**
 * AWS IoT Core's limits on what a device publishes, checked here so that a setting or a message
 * that would work on Mosquitto but fail on AWS IoT Core is refused at start, not in the field.
 * Source: AWS IoT Core endpoints and quotas, "Message broker and protocol limits" (payload
 * 128 KB, topic 256 bytes UTF-8, at most 7 forward slashes, client id 128 bytes). MQTT 3.1.1
 * §4.7.1 / MQTT 5 §4.7.1 forbid the wildcards `+` and `#` in a PUBLISH topic, and §1.5.4 the
 * character U+0000.
 *
 * @example
 * ```ts
 * checkPublishTopic('sealwire/dev-1/data')  // ok
 * checkPayloadSize(bytes.length)            // throws ERR_TRANSPORT_CONFIG past 128 KiB
 * ```
 */
import { shown } from '../../../platform/src/index.ts'
import { TransportError } from './errors.ts'

/**
 * AWS IoT Core's limits, in one table.
 *
 * @example
 * ```ts
 * if (bytes.length > AWS_IOT_LIMITS.maxPayloadBytes) refuse()
 * ```
 */
export const AWS_IOT_LIMITS = Object.freeze({
  /** Largest PUBLISH payload, in bytes (128 KiB). */
  maxPayloadBytes: 128 * 1024,
  /** Longest topic, in UTF-8 bytes. */
  maxTopicBytes: 256,
  /** Most `/` characters in a topic (that is, at most 8 levels). */
  maxTopicSlashes: 7,
  /** Longest client id, in UTF-8 bytes. */
  maxClientIdBytes: 128,
})

const encoder = new TextEncoder()

/** Why `topic` cannot be a PUBLISH topic on AWS IoT Core, or `undefined` when it can. */
export function publishTopicProblem(topic: string): string | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return 'is empty'
  const bytes = encoder.encode(topic).length
  if (bytes > AWS_IOT_LIMITS.maxTopicBytes) {
    return `is ${bytes} bytes of UTF-8, over AWS IoT Core's ${AWS_IOT_LIMITS.maxTopicBytes}`
  }
  const slashes = topic.split('/').length - 1
  if (slashes > AWS_IOT_LIMITS.maxTopicSlashes) {
    return `has ${slashes} '/', over AWS IoT Core's ${AWS_IOT_LIMITS.maxTopicSlashes}`
  }
  if (/[+#]/.test(topic)) return 'contains a wildcard (+ or #), not allowed in a publish topic'
  if (topic.includes('\u0000')) return 'contains U+0000'
  return undefined
}

/**
 * Throws unless `topic` is a valid PUBLISH topic within AWS IoT Core's limits.
 *
 * @param setting the setting or field named in the error (default `topic`).
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG`.
 * @example
 * ```ts
 * checkPublishTopic('a/b/c/d/e/f/g/h/i') // throws: has 8 '/', over AWS IoT Core's 7
 * ```
 */
export function checkPublishTopic(topic: string, setting = 'topic'): void {
  const problem = publishTopicProblem(topic)
  if (problem !== undefined) {
    throw new TransportError('ERR_TRANSPORT_CONFIG', `${setting} ${shown(topic)} ${problem}`, {
      setting,
    })
  }
}

/**
 * Throws unless a payload of `bytes` bytes fits `maxBytes` (default AWS IoT Core's 128 KiB).
 *
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG`.
 * @example
 * ```ts
 * checkPayloadSize(131_073) // throws: payload is 131073 bytes, over the 131072-byte limit
 * ```
 */
export function checkPayloadSize(
  bytes: number,
  maxBytes: number = AWS_IOT_LIMITS.maxPayloadBytes,
  setting = 'payload',
): void {
  if (bytes > maxBytes) {
    throw new TransportError(
      'ERR_TRANSPORT_CONFIG',
      `${setting} is ${bytes} bytes, over the ${maxBytes}-byte limit`,
      { setting },
    )
  }
}

/** UTF-8 length of `s`, for the client-id check. */
export function utf8Length(s: string): number {
  return encoder.encode(s).length
}
