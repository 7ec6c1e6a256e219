/**
 * Typed errors of the `sealwire/1` envelope.
 *
 * The project's one error convention (the same shape as `platform/`'s `CodedError`, which the
 * envelope may not import): one base class, {@link EnvelopeError}, whose instances carry a stable
 * string `code`, whose `name` is the concrete class name and which pass `cause` through. The base
 * class has no class-level code. A concrete class with exactly one code has it as
 * `static readonly code`; a class with several has `static readonly codes`. {@link
 * EnvelopeErrorCode} is the union of every code, so a `switch` over `err.code` can be exhaustive.
 *
 * Caller bugs (wrong argument type or length) are plain `TypeError`/`RangeError` with a titled
 * message and never wrapped. Every failure that involves secret material (bad tag, bad OAEP
 * padding, wrong key, bad CEK length) is one {@link DecryptionFailedError} with one fixed message,
 * so nothing about the cause leaks (RFC 7516 §11.5, Manger's attack on OAEP).
 *
 * @example
 * ```ts
 * try {
 *   await opener.open(bytes, deviceId)
 * } catch (err) {
 *   if (!(err instanceof EnvelopeError)) throw err
 *   switch (err.code) {
 *     case 'ERR_EPOCH_UNKNOWN': park(bytes); break
 *     case 'ERR_UNWRAP_UNAVAILABLE': case 'ERR_KEY_STORE_UNAVAILABLE': retryLater(bytes); break
 *     default: deadLetter(bytes, err.code)
 *   }
 * }
 * ```
 */
import type { RecordsError } from './records/records.ts'

const KEY_REJECTED_CODES = Object.freeze([
  'ERR_KEY_UNSUPPORTED',
  'ERR_KEY_SIZE',
  'ERR_KEY_EXPONENT',
  'ERR_KEY_SPEC',
  'ERR_KEY_USAGE',
  'ERR_KEY_ALGORITHM',
  'ERR_KEY_STATE',
] as const)

/** Codes of {@link KeyRejectedError}: why a key may not be a `sealwire/1` recipient. */
export type KeyRejectedCode = (typeof KEY_REJECTED_CODES)[number]

const SEAL_REFUSED_CODES = Object.freeze([
  'ERR_SEQUENCE_NOT_INCREASING',
  'ERR_KEY_USAGE_LIMIT',
  'ERR_ENTROPY_SOURCE',
  'ERR_SYNC_WRAP_UNAVAILABLE',
  'ERR_SEALER_CLOSED',
  'ERR_PLAINTEXT_LENGTH',
] as const)

/** Codes of {@link SealRefusedError}: why the sealer refuses to seal. */
export type SealRefusedCode = (typeof SEAL_REFUSED_CODES)[number]

/** Every code an {@link EnvelopeError} can carry; a `switch` over it can be exhaustive. */
export type EnvelopeErrorCode =
  | 'ERR_ENVELOPE_MALFORMED'
  | 'ERR_ENVELOPE_LIMIT'
  | 'ERR_ENVELOPE_INVALID'
  | 'ERR_ENVELOPE_UNSUPPORTED_ALG'
  | 'ERR_DECRYPTION_FAILED'
  | 'ERR_EPOCH_UNKNOWN'
  | 'ERR_UNWRAP_UNAVAILABLE'
  | 'ERR_KEY_STORE_UNAVAILABLE'
  | 'ERR_NODE_CRYPTO_UNAVAILABLE'
  | 'ERR_RECORDS_INVALID'
  | KeyRejectedCode
  | SealRefusedCode

/**
 * Base class of every envelope error. It has no class-level code: each instance carries its own.
 *
 * @example
 * ```ts
 * if (err instanceof EnvelopeError) console.error(`error ${err.code}: ${err.message}`)
 * ```
 */
export class EnvelopeError<C extends EnvelopeErrorCode = EnvelopeErrorCode> extends Error {
  /** A stable code; see {@link EnvelopeErrorCode}. */
  readonly code: C

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/**
 * The input is not well-formed, deterministically encoded CBOR. Messages start with
 * `CBOR decode error:` (as cborg's do).
 *
 * @example
 * ```ts
 * decodeCbor(Uint8Array.of(0x18), defaultDecodeLimits)
 * // throws EnvelopeMalformedError: 'CBOR decode error: truncated head'
 * ```
 */
export class EnvelopeMalformedError extends EnvelopeError<'ERR_ENVELOPE_MALFORMED'> {
  static readonly code = 'ERR_ENVELOPE_MALFORMED' as const
  constructor(detail: string) {
    super(EnvelopeMalformedError.code, `CBOR decode error: ${detail}`)
  }
}

/**
 * The input exceeds a per-call decode limit (bytes, items or nesting depth).
 *
 * @example
 * ```ts
 * decodeCbor(new Uint8Array(2048), { ...defaultDecodeLimits, maxBytes: 1024 })
 * // throws EnvelopeLimitError: 'CBOR decode error: input of 2048 bytes exceeds maxBytes 1024'
 * ```
 */
export class EnvelopeLimitError extends EnvelopeError<'ERR_ENVELOPE_LIMIT'> {
  static readonly code = 'ERR_ENVELOPE_LIMIT' as const
  constructor(detail: string) {
    super(EnvelopeLimitError.code, `CBOR decode error: ${detail}`)
  }
}

/**
 * Well-formed CBOR that is not a `sealwire/1` message (wrong tag, header or layout), or a key
 * announcement whose payload is not the epoch's metadata. Messages start with `sealwire/1:`.
 *
 * @example
 * ```ts
 * new EnvelopeInvalidError('epoch id must be 8 bytes').message // 'sealwire/1: epoch id must be 8 bytes'
 * ```
 */
export class EnvelopeInvalidError extends EnvelopeError<'ERR_ENVELOPE_INVALID'> {
  static readonly code = 'ERR_ENVELOPE_INVALID' as const
  constructor(detail: string, options?: { cause?: unknown }) {
    super(EnvelopeInvalidError.code, `sealwire/1: ${detail}`, options)
  }
}

/**
 * An algorithm other than the profile's (A256GCM content, RSA-OAEP-256 key wrap). Nothing is
 * negotiated, so this is also the downgrade guard.
 *
 * @example
 * ```ts
 * new UnsupportedAlgorithmError('recipient', -40).message
 * // 'sealwire/1: unsupported recipient algorithm -40'
 * ```
 */
export class UnsupportedAlgorithmError extends EnvelopeError<'ERR_ENVELOPE_UNSUPPORTED_ALG'> {
  static readonly code = 'ERR_ENVELOPE_UNSUPPORTED_ALG' as const
  constructor(layer: 'content' | 'recipient', alg: unknown) {
    const shown = typeof alg === 'number' ? String(alg) : typeof alg
    super(UnsupportedAlgorithmError.code, `sealwire/1: unsupported ${layer} algorithm ${shown}`)
  }
}

/** The one fixed message of every decryption failure: `decryption failed`. */
export const DECRYPTION_FAILED_MESSAGE = 'decryption failed'

/**
 * The opaque decryption failure: bad tag, bad padding, wrong key or bad length all look the same.
 * It never has a `cause`.
 *
 * @example
 * ```ts
 * const err = new DecryptionFailedError()
 * ;[err.code, err.message] // ['ERR_DECRYPTION_FAILED', 'decryption failed']
 * ```
 */
export class DecryptionFailedError extends EnvelopeError<'ERR_DECRYPTION_FAILED'> {
  static readonly code = 'ERR_DECRYPTION_FAILED' as const
  constructor() {
    super(DecryptionFailedError.code, DECRYPTION_FAILED_MESSAGE)
  }
}

/**
 * A compact message whose epoch key is not in the opener's epoch-key store: the consumer
 * parks it until the epoch's key announcement arrives.
 *
 * @example
 * ```ts
 * if (err instanceof EpochUnknownError) park(bytes)
 * ```
 */
export class EpochUnknownError extends EnvelopeError<'ERR_EPOCH_UNKNOWN'> {
  static readonly code = 'ERR_EPOCH_UNKNOWN' as const
  constructor(epochIdHex: string) {
    super(EpochUnknownError.code, `sealwire/1: no key for epoch ${epochIdHex}`)
  }
}

/**
 * The unwrap callback failed for a reason other than a bad ciphertext (network, throttling,
 * permissions): retry later. The callback's error is the `cause`.
 *
 * @example
 * ```ts
 * if (err instanceof UnwrapUnavailableError) retryLater(bytes, err.cause)
 * ```
 */
export class UnwrapUnavailableError extends EnvelopeError<'ERR_UNWRAP_UNAVAILABLE'> {
  static readonly code = 'ERR_UNWRAP_UNAVAILABLE' as const
  constructor(cause: unknown) {
    super(UnwrapUnavailableError.code, 'sealwire/1: the key unwrap service failed; retry later', {
      cause,
    })
  }
}

/**
 * The opener's epoch-key store failed (a shared store's network or server): retry later. The
 * store's error is the `cause`.
 *
 * @example
 * ```ts
 * if (err instanceof KeyStoreUnavailableError) retryLater(bytes, err.cause)
 * ```
 */
export class KeyStoreUnavailableError extends EnvelopeError<'ERR_KEY_STORE_UNAVAILABLE'> {
  static readonly code = 'ERR_KEY_STORE_UNAVAILABLE' as const
  constructor(operation: 'get' | 'put', cause: unknown) {
    super(
      KeyStoreUnavailableError.code,
      `sealwire/1: the epoch key store failed (${operation}); retry later`,
      { cause },
    )
  }
}

/**
 * A function that needs `node:crypto` (a synchronous backend, a local private key, a fixed OAEP
 * seed) was asked for on a runtime without it.
 *
 * @example
 * ```ts
 * selectAead('node') // on a runtime without node:crypto: throws NodeCryptoUnavailableError
 * ```
 */
export class NodeCryptoUnavailableError extends EnvelopeError<'ERR_NODE_CRYPTO_UNAVAILABLE'> {
  static readonly code = 'ERR_NODE_CRYPTO_UNAVAILABLE' as const
  constructor(what: string) {
    super(
      NodeCryptoUnavailableError.code,
      `${what} needs node:crypto, which this runtime does not have`,
    )
  }
}

/**
 * The one refusal of a key that may not be a `sealwire/1` recipient, whoever checks it:
 * `parseRecipientKey` on the public key's bytes (`ERR_KEY_UNSUPPORTED`: not a canonical DER RSA
 * SubjectPublicKeyInfo, or RSA-PSS; `ERR_KEY_SIZE`: modulus not 2048, 3072 or 4096 bits;
 * `ERR_KEY_EXPONENT`: e ≠ 65537), and the KMS key-metadata check on `DescribeKey`
 * (`ERR_KEY_SPEC`: `KeySpec` not RSA_2048/3072/4096; `ERR_KEY_USAGE`: `KeyUsage` not
 * ENCRYPT_DECRYPT; `ERR_KEY_ALGORITHM`: no `RSAES_OAEP_SHA_256` among `EncryptionAlgorithms`;
 * `ERR_KEY_STATE`: the key is not `Enabled`).
 *
 * @example
 * ```ts
 * throw new KeyRejectedError('ERR_KEY_USAGE', 'KeyUsage is SIGN_VERIFY; sealing needs ENCRYPT_DECRYPT')
 * ```
 */
export class KeyRejectedError extends EnvelopeError<KeyRejectedCode> {
  static readonly codes: readonly KeyRejectedCode[] = KEY_REJECTED_CODES
  constructor(code: KeyRejectedCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * The sealer refuses to seal: a sequence number that does not increase, more messages than one key
 * may seal (NIST SP 800-38D §8.3), an entropy source that fails, a runtime that cannot wrap
 * synchronously for `seal` (use `sealAsync`), or a closed sealer.
 *
 * @example
 * ```ts
 * let seq = 0
 * sealer.seal(data, () => ++seq) // seq 1 (announcement), 2
 * sealer.seal(data, () => 2) // throws SealRefusedError ERR_SEQUENCE_NOT_INCREASING
 * ```
 */
export class SealRefusedError extends EnvelopeError<SealRefusedCode> {
  static readonly codes: readonly SealRefusedCode[] = SEAL_REFUSED_CODES
  constructor(code: SealRefusedCode, message: string) {
    super(code, message)
  }
}

/** Every concrete error class this module throws; `err.code` tells them apart. */
export type AnyEnvelopeError =
  | EnvelopeMalformedError
  | EnvelopeLimitError
  | EnvelopeInvalidError
  | UnsupportedAlgorithmError
  | DecryptionFailedError
  | EpochUnknownError
  | UnwrapUnavailableError
  | KeyStoreUnavailableError
  | NodeCryptoUnavailableError
  | KeyRejectedError
  | SealRefusedError
  | RecordsError
