/**
 * Typed errors of the `sealwire/1` envelope.
 *
 * Every domain failure is an {@link EnvelopeError} with a stable string `code`. Caller bugs (wrong
 * argument type or length) are plain `TypeError`/`RangeError` and never wrapped. Every failure that
 * involves secret material (bad tag, bad OAEP padding, wrong key, bad CEK length) is one
 * {@link DecryptionFailedError} with one fixed message, so nothing about the cause leaks (RFC 7516
 * §11.5, Manger's attack on OAEP).
 *
 * @example
 * ```ts
 * try {
 *   await opener.open(bytes, deviceId)
 * } catch (err) {
 *   if (err instanceof EnvelopeError && err.code === 'ERR_DECRYPTION_FAILED') deadLetter(bytes)
 *   else throw err
 * }
 * ```
 */

/** Every code an {@link EnvelopeError} can carry; a `switch` over it can be exhaustive. */
export type EnvelopeErrorCode =
  | 'ERR_ENVELOPE_MALFORMED'
  | 'ERR_ENVELOPE_LIMIT'
  | 'ERR_ENVELOPE_INVALID'
  | 'ERR_ENVELOPE_UNSUPPORTED_ALG'
  | 'ERR_DECRYPTION_FAILED'
  | 'ERR_EPOCH_UNKNOWN'
  | 'ERR_UNWRAP_UNAVAILABLE'
  | 'ERR_KEY_UNSUPPORTED'
  | 'ERR_KEY_SIZE'
  | 'ERR_KEY_EXPONENT'
  | 'ERR_SEQUENCE_NOT_INCREASING'
  | 'ERR_KEY_USAGE_LIMIT'
  | 'ERR_ENTROPY_SOURCE'
  | 'ERR_SYNC_WRAP_UNAVAILABLE'

/**
 * Base class of every envelope error.
 *
 * @example
 * ```ts
 * if (err instanceof EnvelopeError) console.error(err.code)
 * ```
 */
export class EnvelopeError extends Error {
  /** A stable code; see {@link EnvelopeErrorCode}. */
  static code: EnvelopeErrorCode = 'ERR_ENVELOPE_INVALID'
  readonly code: EnvelopeErrorCode

  constructor(code: EnvelopeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = this.constructor.name
  }
}

/**
 * The input is not well-formed, deterministically encoded CBOR. Messages start with
 * `CBOR decode error:` (as cborg's do).
 *
 * @example
 * ```ts
 * expect(() => decodeCbor(Uint8Array.of(0x18), defaultDecodeLimits)).toThrow(EnvelopeMalformedError)
 * ```
 */
export class EnvelopeMalformedError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_ENVELOPE_MALFORMED'
  constructor(detail: string) {
    super('ERR_ENVELOPE_MALFORMED', `CBOR decode error: ${detail}`)
  }
}

/**
 * The input exceeds a per-call decode limit (bytes, items or nesting depth).
 *
 * @example
 * ```ts
 * decodeCbor(big, { ...defaultDecodeLimits, maxBytes: 1024 }) // throws ERR_ENVELOPE_LIMIT
 * ```
 */
export class EnvelopeLimitError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_ENVELOPE_LIMIT'
  constructor(detail: string) {
    super('ERR_ENVELOPE_LIMIT', `CBOR decode error: ${detail}`)
  }
}

/**
 * Well-formed CBOR that is not a `sealwire/1` message (wrong tag, header or layout).
 *
 * @example
 * ```ts
 * throw new EnvelopeInvalidError('protected header must be {1: 3}')
 * ```
 */
export class EnvelopeInvalidError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_ENVELOPE_INVALID'
  constructor(detail: string) {
    super('ERR_ENVELOPE_INVALID', `sealwire/1: ${detail}`)
  }
}

/**
 * An algorithm other than the profile's (A256GCM content, RSA-OAEP-256 key wrap). Nothing is
 * negotiated, so this is also the downgrade guard.
 *
 * @example
 * ```ts
 * throw new UnsupportedAlgorithmError('content', -999)
 * ```
 */
export class UnsupportedAlgorithmError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_ENVELOPE_UNSUPPORTED_ALG'
  constructor(layer: 'content' | 'recipient', alg: unknown) {
    const shown = typeof alg === 'number' ? String(alg) : typeof alg
    super('ERR_ENVELOPE_UNSUPPORTED_ALG', `sealwire/1: unsupported ${layer} algorithm ${shown}`)
  }
}

/**
 * The one fixed message of every decryption failure.
 *
 * @example
 * ```ts
 * new DecryptionFailedError().message // 'decryption failed'
 * ```
 */
export const DECRYPTION_FAILED_MESSAGE = 'decryption failed'

/**
 * The opaque decryption failure: bad tag, bad padding, wrong key or bad length all look the same.
 * It never has a `cause`.
 *
 * @example
 * ```ts
 * expect(err).toMatchObject({ code: 'ERR_DECRYPTION_FAILED', message: 'decryption failed' })
 * ```
 */
export class DecryptionFailedError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_DECRYPTION_FAILED'
  constructor() {
    super('ERR_DECRYPTION_FAILED', DECRYPTION_FAILED_MESSAGE)
  }
}

/**
 * A compact message whose epoch key is not in the cache: the consumer parks it until the epoch's
 * key announcement arrives.
 *
 * @example
 * ```ts
 * if (err.code === 'ERR_EPOCH_UNKNOWN') park(bytes)
 * ```
 */
export class EpochUnknownError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_EPOCH_UNKNOWN'
  constructor(epochIdHex: string) {
    super('ERR_EPOCH_UNKNOWN', `sealwire/1: no key for epoch ${epochIdHex}`)
  }
}

/**
 * The unwrap callback failed for a reason other than a bad ciphertext (network, throttling,
 * permissions): retry later. The callback's error is the `cause`.
 *
 * @example
 * ```ts
 * if (err.code === 'ERR_UNWRAP_UNAVAILABLE') retryLater(bytes)
 * ```
 */
export class UnwrapUnavailableError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_UNWRAP_UNAVAILABLE'
  constructor(cause: unknown) {
    super('ERR_UNWRAP_UNAVAILABLE', 'sealwire/1: the key unwrap service failed; retry later', {
      cause,
    })
  }
}

/**
 * A recipient public key that the profile refuses.
 *
 * @example
 * ```ts
 * parseRecipientKey(rsa1024Spki) // throws KeyRejectedError with code ERR_KEY_SIZE
 * ```
 */
export class KeyRejectedError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_KEY_UNSUPPORTED'
  constructor(code: 'ERR_KEY_UNSUPPORTED' | 'ERR_KEY_SIZE' | 'ERR_KEY_EXPONENT', message: string) {
    super(code, message)
  }
}

/**
 * A sealing request that would break the nonce rules: a sequence number that does not increase
 * within an epoch, or more messages than one key may seal.
 *
 * @example
 * ```ts
 * sealer.seal(data, () => 5); sealer.seal(data, () => 5) // throws ERR_SEQUENCE_NOT_INCREASING
 * ```
 */
export class SealRefusedError extends EnvelopeError {
  static override code: EnvelopeErrorCode = 'ERR_SEQUENCE_NOT_INCREASING'
  constructor(
    code:
      | 'ERR_SEQUENCE_NOT_INCREASING'
      | 'ERR_KEY_USAGE_LIMIT'
      | 'ERR_ENTROPY_SOURCE'
      | 'ERR_SYNC_WRAP_UNAVAILABLE',
    message: string,
  ) {
    super(code, message)
  }
}

/** Every error class this module throws. */
export type AnyEnvelopeError =
  | EnvelopeMalformedError
  | EnvelopeLimitError
  | EnvelopeInvalidError
  | UnsupportedAlgorithmError
  | DecryptionFailedError
  | EpochUnknownError
  | UnwrapUnavailableError
  | KeyRejectedError
  | SealRefusedError
