/**
 * KMS `Decrypt` as the envelope's `Unwrap`: the consumer's way from a full-form message's wrapped
 * data key to its CEK, with the envelope's error contract.
 *
 * - The recipient `kid` (the 8-byte pin id of the key the device sealed to) picks the KMS key
 *   from `keys` (kid hex → key id, ARN or alias). A kid that is not there, or a wrapped key whose
 *   length is no RSA-2048/3072/4096 ciphertext, is the opaque `DecryptionFailedError` at once, with
 *   no KMS call: junk messages cost no quota.
 * - `Decrypt` with `EncryptionAlgorithm: RSAES_OAEP_SHA_256` (COSE alg −41, unchanged bytes).
 * - KMS's `InvalidCiphertextException` and `IncorrectKeyException`, and a plaintext that is not
 *   32 bytes, are the opaque `DecryptionFailedError` (no cause, one message: nothing about why).
 * - Throttling, network errors and timeouts are retried by the session's policy; what is left is a
 *   `KmsError` (or `KeyRejectedError` `ERR_KEY_STATE` for a disabled key), which the `Opener`
 *   reports as `ERR_UNWRAP_UNAVAILABLE`: retry the message later.
 *
 * Nothing here logs, and no error or event holds key bytes (the wrapped key, the CEK).
 *
 * @example
 * ```ts
 * const unwrap = kmsUnwrap({ session: kms, keys: { [checked.pinId]: checked.keyArn } })
 * const opener = new Opener({ unwrap, pinIds: [checked.key.pinId] })
 * unwrap.stats().decryptRequests // KMS Decrypt requests so far
 * ```
 */
import { DecryptCommand } from '@aws-sdk/client-kms'
import { DecryptionFailedError, toHex } from '../../envelope/src/index.ts'
import type { Unwrap } from '../../envelope/src/index.ts'
import { systemClock } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import { KmsError } from './errors.ts'
import { REQUIRED_ALGORITHM } from './key_policy.ts'
import type { KmsSession } from './session.ts'

/** Bytes of a recipient kid: the pin id. */
const KID_BYTES = 8
/** Bytes of the CEK that a recipient wraps. */
const CEK_BYTES = 32
/** RSA-OAEP ciphertexts are exactly the modulus size: 2048, 3072 or 4096 bits. */
const WRAPPED_BYTES: ReadonlySet<number> = new Set([256, 384, 512])
/** KMS's answers that mean "this ciphertext does not open under this key". */
const OPAQUE_AWS_CODES: ReadonlySet<string> = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
])

/**
 * True when a failed KMS `Decrypt` means the ciphertext does not open under the key (a wrong key
 * or damaged bytes: the caller's opaque error), false for anything transient or unexpected.
 *
 * @example
 * ```ts
 * catch (err) { if (isDecryptRefusal(err)) throw new DecryptionFailedError(); throw err }
 * ```
 */
export function isDecryptRefusal(err: unknown): boolean {
  return err instanceof KmsError && err.awsCode !== undefined && OPAQUE_AWS_CODES.has(err.awsCode)
}

/** How one unwrap ended. */
export type KmsUnwrapOutcome = 'unwrapped' | 'unknown-kid' | 'decryption-failed' | 'unavailable'

/** One unwrap, for metrics: no key bytes. */
export interface KmsUnwrapEvent {
  readonly outcome: KmsUnwrapOutcome
  /** The recipient kid as 16 hex digits (public: the pin id), or `''` when it was not 8 bytes. */
  readonly kid: string
  /** KMS `Decrypt` requests this unwrap sent (retries included; 0 when none was needed). */
  readonly requests: number
  /** Time from call to outcome, in milliseconds of the injected clock. */
  readonly durationMs: number
  /** For `unavailable`: the error thrown (a `KmsError` or `KeyRejectedError`). */
  readonly error?: unknown
}

/** Counters since the unwrap was made. */
export interface KmsUnwrapStats {
  /** KMS `Decrypt` requests sent, retries included (what counts against the quota). */
  readonly decryptRequests: number
  readonly unwrapped: number
  /** Kids not in `keys`: refused without a KMS call. */
  readonly unknownKid: number
  /** Opaque failures: KMS refused the ciphertext, a wrong-length plaintext or wrapped key. */
  readonly decryptionFailed: number
  /** Failures left after the retry policy (KMS unavailable, denied, key not usable). */
  readonly unavailable: number
}

/** Options of {@link kmsUnwrap}. */
export interface KmsUnwrapOptions {
  /** The session every `Decrypt` goes through (its retry policy and timeouts apply). */
  readonly session: KmsSession
  /**
   * Recipient kid (pin id, 16 hex digits, any case) → the KMS key id, key ARN or alias to decrypt
   * with.
   */
  readonly keys: ReadonlyMap<string, string> | Readonly<Record<string, string>>
  /** Called once per unwrap with its outcome; an exception it throws is ignored. */
  readonly onUnwrap?: ((event: KmsUnwrapEvent) => void) | undefined
  /** For `durationMs`; default the system clock. */
  readonly clock?: Clock | undefined
}

/** The envelope's `Unwrap`, with its counters. */
export type KmsUnwrap = ((wrapped: Uint8Array, kid: Uint8Array) => Promise<Uint8Array>) & {
  /** A snapshot of the counters. */
  stats(): KmsUnwrapStats
}

function keyTable(keys: KmsUnwrapOptions['keys']): ReadonlyMap<string, string> {
  if (typeof keys !== 'object' || keys === null) {
    throw new TypeError('kmsUnwrap: keys must be a Map or an object of kid hex → KMS key id')
  }
  const entries = keys instanceof Map ? [...keys.entries()] : Object.entries(keys)
  const table = new Map<string, string>()
  for (const [kid, keyId] of entries as Array<[unknown, unknown]>) {
    if (typeof kid !== 'string' || !/^[0-9a-fA-F]{16}$/.test(kid)) {
      throw new RangeError('kmsUnwrap: every kid must be 16 hex digits (an 8-byte pin id)')
    }
    if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 2048) {
      throw new RangeError(`kmsUnwrap: the KMS key id for kid ${kid} must be a non-empty string`)
    }
    table.set(kid.toLowerCase(), keyId)
  }
  if (table.size === 0) throw new RangeError('kmsUnwrap: keys is empty')
  return table
}

/**
 * Makes the envelope's `Unwrap` over KMS `Decrypt` (see the module doc for the contract).
 *
 * @throws {TypeError | RangeError} for malformed `keys`.
 * @example
 * ```ts
 * const unwrap = kmsUnwrap({
 *   session: new KmsSession({ region: 'eu-west-1', env: process.env }),
 *   keys: new Map([['3f9a0c1d2e4b5a69', 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c']]),
 *   onUnwrap: (e) => metrics.count(`kms_unwrap_${e.outcome}`),
 * })
 * ```
 */
export function kmsUnwrap(options: KmsUnwrapOptions): KmsUnwrap {
  const { session, onUnwrap } = options
  const table = keyTable(options.keys)
  const clock = options.clock ?? systemClock
  const counts = {
    decryptRequests: 0,
    unwrapped: 0,
    unknownKid: 0,
    decryptionFailed: 0,
    unavailable: 0,
  }

  async function unwrap(wrapped: Uint8Array, kid: Uint8Array): Promise<Uint8Array> {
    if (!(wrapped instanceof Uint8Array) || !(kid instanceof Uint8Array)) {
      throw new TypeError('kmsUnwrap: wrapped and kid must be Uint8Array')
    }
    const started = clock.monotonic()
    const kidHex = kid.length === KID_BYTES ? toHex(kid) : ''
    let requests = 0
    const end = (outcome: KmsUnwrapOutcome, error?: unknown): void => {
      if (onUnwrap === undefined) return
      const durationMs = clock.monotonic() - started
      const event = error === undefined ? {} : { error }
      try {
        onUnwrap({ outcome, kid: kidHex, requests, durationMs, ...event })
      } catch {
        // A metrics hook must not change what the opener sees.
      }
    }
    const keyId = table.get(kidHex)
    if (keyId === undefined) {
      counts.unknownKid++
      end('unknown-kid')
      throw new DecryptionFailedError()
    }
    if (!WRAPPED_BYTES.has(wrapped.length)) {
      counts.decryptionFailed++
      end('decryption-failed')
      throw new DecryptionFailedError()
    }
    let plaintext: Uint8Array | undefined
    try {
      const out = await session.call('Decrypt', (client, abortSignal) => {
        requests++
        counts.decryptRequests++
        return client.send(
          new DecryptCommand({
            KeyId: keyId,
            CiphertextBlob: wrapped,
            EncryptionAlgorithm: REQUIRED_ALGORITHM,
          }),
          { abortSignal },
        )
      })
      plaintext = out.Plaintext
    } catch (err) {
      if (isDecryptRefusal(err)) {
        counts.decryptionFailed++
        end('decryption-failed')
        throw new DecryptionFailedError()
      }
      counts.unavailable++
      end('unavailable', err)
      throw err
    }
    if (!(plaintext instanceof Uint8Array) || plaintext.length !== CEK_BYTES) {
      if (plaintext instanceof Uint8Array) plaintext.fill(0)
      counts.decryptionFailed++
      end('decryption-failed')
      throw new DecryptionFailedError()
    }
    counts.unwrapped++
    end('unwrapped')
    return plaintext
  }

  return Object.assign(unwrap satisfies Unwrap, {
    stats: (): KmsUnwrapStats => Object.freeze({ ...counts }),
  })
}
