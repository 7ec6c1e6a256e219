/**
 * The verifier's defaults, in one object.
 *
 * @example
 * ```ts
 * verifyDefaults.examples // 5
 * ```
 */
import { defaultDecodeLimits } from '../../../envelope/src/index.ts'
import type { DecodeLimits } from '../../../envelope/src/index.ts'

/** Defaults of the verifier and the wire tap. */
export const verifyDefaults = Object.freeze({
  /** Examples kept per finding, for the person reading the verdict. */
  examples: 5,
  /** KMS `Decrypt` calls allowed per epoch (one consumer instance: 1). */
  maxDecryptPerEpoch: 1,
  /** The wire tap's MQTT version: 3.1.1 (aedes speaks nothing else; Mosquitto takes it too). */
  tapProtocolVersion: 4 as 4 | 5,
  /** The wire tap's reconnect period after a lost connection, ms. */
  tapReconnectMs: 500,
  /** The wire tap's connect timeout, ms. */
  tapConnectTimeoutMs: 10_000,
  /**
   * Header parsing limits on the wire: the envelope's, but messages up to 256 KiB (the agent keeps
   * every message under AWS IoT Core's 128 KiB; a bigger one is still recorded, as malformed).
   */
  wireDecodeLimits: Object.freeze({
    ...defaultDecodeLimits,
    maxBytes: 256 * 1024,
  }) satisfies DecodeLimits as DecodeLimits,
  /** Longest sink line read, characters (a record is far smaller). */
  maxSinkLineChars: 1024 * 1024,
})
