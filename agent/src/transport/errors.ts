/**
 * Typed errors of the MQTT transport: one class, {@link TransportError}, on the project's
 * {@link CodedError} base, whose `code` is one of {@link TransportErrorCode}. A refused setting
 * names the setting; a refusal by the broker carries its MQTT reason code (MQTT 5 §2.4), like
 * mqtt.js's `ErrorWithReasonCode` (STYLE §3.4). Messages never contain payload bytes, passwords
 * or key material.
 *
 * @example
 * ```ts
 * try {
 *   await loadBrokerSettings(input)
 * } catch (err) {
 *   if (err instanceof TransportError && err.code === 'ERR_TRANSPORT_KEY_PERMISSIONS') exit(78)
 *   throw err
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/**
 * Every code a {@link TransportError} can carry.
 *
 * - `ERR_TRANSPORT_CONFIG`: a setting is malformed or breaks an AWS IoT Core limit; a TLS file
 *   cannot be read (`setting` names it).
 * - `ERR_TRANSPORT_KEY_PERMISSIONS`: the TLS private key file is readable by group or others.
 * - `ERR_TRANSPORT_CONNECT`: the connection or the MQTT CONNECT failed (CONNACK refusal: `reasonCode`).
 * - `ERR_TRANSPORT_CONNECTION_LOST`: an established connection closed or failed.
 * - `ERR_TRANSPORT_PUBLISH_REFUSED`: the broker answered a PUBLISH with a failure reason code.
 * - `ERR_TRANSPORT_WATCHDOG`: messages were in flight and no PUBACK came for `watchdogMs`.
 * - `ERR_TRANSPORT_MESSAGE_INVALID`: a queued message breaks a limit and was dropped.
 * - `ERR_TRANSPORT_SOURCE`: the outbox source failed (peek, ack or announcementFor).
 */
export type TransportErrorCode =
  | 'ERR_TRANSPORT_CONFIG'
  | 'ERR_TRANSPORT_KEY_PERMISSIONS'
  | 'ERR_TRANSPORT_CONNECT'
  | 'ERR_TRANSPORT_CONNECTION_LOST'
  | 'ERR_TRANSPORT_PUBLISH_REFUSED'
  | 'ERR_TRANSPORT_WATCHDOG'
  | 'ERR_TRANSPORT_MESSAGE_INVALID'
  | 'ERR_TRANSPORT_SOURCE'

/** Details a {@link TransportError} may carry besides its message. */
export interface TransportErrorDetails {
  /** The setting at fault (`url`, `tls.keyFile`, `keepaliveSec`…), for configuration errors. */
  readonly setting?: string
  /** The file at fault, for TLS file errors. */
  readonly path?: string
  /** The broker's MQTT reason code (CONNACK, PUBACK or DISCONNECT), when it sent one. */
  readonly reasonCode?: number
  readonly cause?: unknown
}

/**
 * The one error class of the transport.
 *
 * @example
 * ```ts
 * throw new TransportError('ERR_TRANSPORT_CONFIG', 'keepaliveSec -1 is not 0..65535', {
 *   setting: 'keepaliveSec',
 * })
 * ```
 */
export class TransportError extends CodedError<TransportErrorCode> {
  /** The setting at fault, for `ERR_TRANSPORT_CONFIG`. */
  readonly setting: string | undefined
  /** The file at fault, for TLS file errors. */
  readonly path: string | undefined
  /** The broker's MQTT reason code, when it sent one. */
  readonly reasonCode: number | undefined

  constructor(code: TransportErrorCode, message: string, details: TransportErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause })
    this.setting = details.setting
    this.path = details.path
    this.reasonCode = details.reasonCode
  }
}

/**
 * A configuration refusal: `ERR_TRANSPORT_CONFIG` naming `setting` first in the message.
 *
 * @example
 * ```ts
 * throw configError('url', 'scheme must be mqtt:// or mqtts://')
 * ```
 */
export function configError(setting: string, why: string, cause?: unknown): TransportError {
  return new TransportError('ERR_TRANSPORT_CONFIG', `${setting}: ${why}`, { setting, cause })
}
