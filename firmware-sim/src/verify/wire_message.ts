/**
 * Reads one MQTT message of the sealwire topic layout without any key: the device and kind from
 * the topic, the form, epoch id and sequence number from the envelope's header (its strict codec,
 * `parseEnvelope`), and the payload's SHA-256. A full-form message carries no epoch id; it is
 * computed as the envelope defines it, SHA-256(wrapped CEK)[:8] (envelope/README.md §2).
 *
 * @example
 * ```ts
 * describeWireMessage('sealwire/dev-1/data', payload, { prefix: 'sealwire', at: Date.now() })
 * // { deviceId: 'dev-1', kind: 'data', form: 'compact', epochId: '…', seq: 43, … }
 * ```
 */
import { createHash } from 'node:crypto'
import { deviceIdFromTopic } from '../../../device-bundle/src/index.ts'
import { epochIdOf, parseEnvelope, toHex } from '../../../envelope/src/index.ts'
import { verifyDefaults } from './defaults.ts'
import type { WireMessage } from './evidence.ts'

/** Options of {@link describeWireMessage}. */
export interface DescribeOptions {
  /** The topic prefix of the fleet (`<prefix>/<device>/data|key`). */
  readonly prefix: string
  /** Receive time, ms since 1970. */
  readonly at: number
  readonly retain?: boolean
}

/**
 * The {@link WireMessage} of one message, or `undefined` for a topic outside the layout.
 *
 * @example
 * ```ts
 * const m = describeWireMessage(topic, payload, { prefix, at: Date.now(), retain: packet.retain })
 * ```
 */
export function describeWireMessage(
  topic: string,
  payload: Uint8Array,
  options: DescribeOptions,
): WireMessage | undefined {
  const where = deviceIdFromTopic(topic, options.prefix)
  if (where === undefined) return undefined
  const base = {
    deviceId: where.deviceId,
    topic,
    kind: where.kind,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
    size: payload.length,
    retain: options.retain ?? false,
    at: options.at,
  }
  try {
    const parsed = parseEnvelope(payload, verifyDefaults.wireDecodeLimits)
    const epochId = toHex(parsed.form === 'compact' ? parsed.epochId : epochIdOf(parsed.wrapped))
    return { ...base, form: parsed.form, epochId, seq: parsed.seq }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    return { ...base, problem: typeof code === 'string' ? code : 'ERR_ENVELOPE_MALFORMED' }
  }
}

/**
 * The sequence number in a message's header, without a key; `undefined` when it does not parse.
 *
 * @example
 * ```ts
 * sequenceOf(letter.bytes) // 43
 * ```
 */
export function sequenceOf(payload: Uint8Array): number | undefined {
  try {
    return parseEnvelope(payload, verifyDefaults.wireDecodeLimits).seq
  } catch {
    return undefined
  }
}
