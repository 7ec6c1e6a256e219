/**
 * The opener: turns `sealwire/1` messages back into plaintext.
 *
 * A full message carries its wrapped CEK: the opener unwraps it through the caller's
 * {@link Unwrap} (KMS `Decrypt` in the cloud) once per epoch, then puts the epoch's state in its
 * {@link EpochKeyStore} by (device id, epoch id). A compact message opens from that store with no
 * unwrap. The device id is the `external_aad`: pass the one taken from the topic, and a message
 * moved to another device's topic fails.
 *
 * Every failure once a key is involved (bad tag, bad OAEP padding, wrong key, a CEK of the wrong
 * length) is the one {@link DecryptionFailedError}. When the unwrap rejects a ciphertext, the
 * content is still decrypted under a random CEK before failing, so both paths do the same work
 * (RFC 7516 §11.5). A structural problem is reported before any key is touched, with its own code.
 *
 * @example
 * ```ts
 * const opener = new Opener({ unwrap: kmsUnwrap, pinIds: [key.pinId] })
 * const { plaintext, seq, epochId } = await opener.open(bytes, deviceIdFromTopic)
 * ```
 */
import { equalBytes, toHex } from './_bytes.ts'
import type { DecodeLimits } from './cbor/decode.ts'
import type { AeadBackend, AeadBackendName } from './crypto/aead.ts'
import { selectAead } from './crypto/aead.ts'
import { writeNonce } from './crypto/nonce.ts'
import type { Unwrap } from './crypto/unwrap.ts'
import { defaultDecodeLimits } from './defaults.ts'
import type { EpochKeys } from './epoch.ts'
import { checkDeviceId, deriveEpochKeys, epochIdOf } from './epoch.ts'
import type { EnvelopeErrorCode } from './errors.ts'
import {
  DecryptionFailedError,
  EnvelopeError,
  EnvelopeInvalidError,
  EpochUnknownError,
  KeyStoreUnavailableError,
  UnwrapUnavailableError,
} from './errors.ts'
import type { EpochKeyStore } from './epoch_key_store.ts'
import { MemoryEpochKeyStore } from './epoch_key_store.ts'
import type { EpochMetadata } from './metadata.ts'
import { decodeMetadata } from './metadata.ts'
import type { ParsedCompact, ParsedFull } from './envelope_codec.ts'
import { parseEnvelope } from './envelope_codec.ts'

/** Options of {@link Opener}. */
export interface OpenerOptions {
  readonly unwrap: Unwrap
  /** Where epoch keys are kept; default a new {@link MemoryEpochKeyStore}. */
  readonly store?: EpochKeyStore
  /** Per-call decode limits, merged over {@link defaultDecodeLimits}. */
  readonly limits?: Partial<DecodeLimits>
  readonly aead?: AeadBackend | AeadBackendName
  /**
   * The pin ids (recipient kids) of the keys this opener unwraps for. The kid is not
   * authenticated by COSE, so set this: a full message naming any other kid is then refused
   * (`ERR_ENVELOPE_INVALID`) before any unwrap. Without it, every kid is passed to `unwrap`.
   */
  readonly pinIds?: readonly Uint8Array[]
  /** Random bytes for the RFC 7516 §11.5 substitute CEK; default WebCrypto. */
  readonly random?: (n: number) => Uint8Array
}

/** An opened message. */
export interface Opened {
  readonly form: 'compact' | 'full'
  readonly epochId: Uint8Array
  readonly seq: number
  readonly plaintext: Uint8Array
  /** True when a full message's epoch was not in the store and its CEK was unwrapped for it. */
  readonly unwrapped: boolean
}

/** An opened key announcement. */
export interface OpenedAnnouncement extends Opened {
  readonly metadata: EpochMetadata
}

function defaultRandom(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/**
 * Opens messages of both forms for any number of devices.
 *
 * @example
 * ```ts
 * await opener.openAnnouncement(announcementBytes, 'dev-1') // unwraps once, stores the epoch
 * const opened = await opener.openCompact(bytes, 'dev-1') // ERR_EPOCH_UNKNOWN if not stored
 * ```
 */
export class Opener {
  readonly store: EpochKeyStore
  readonly limits: DecodeLimits
  readonly #unwrap: Unwrap
  readonly #aead: AeadBackend
  readonly #random: (n: number) => Uint8Array
  readonly #pinIds: readonly Uint8Array[] | undefined
  readonly #nonce = new Uint8Array(12)
  /** The last compact epoch id seen and its hex: the next message is most likely of it too. */
  readonly #lastEpochId = new Uint8Array(8)
  #lastEpochHex: string | undefined
  #unwraps = 0

  constructor(options: OpenerOptions) {
    if (typeof options.unwrap !== 'function') throw new TypeError('unwrap: expected a function')
    this.#unwrap = options.unwrap
    if ('cache' in options) {
      throw new TypeError('cache: this option is now `store`, an asynchronous EpochKeyStore')
    }
    const store = options.store ?? new MemoryEpochKeyStore()
    if (
      !['get', 'put', 'delete'].every(
        (m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function',
      )
    ) {
      throw new TypeError('store: expected an EpochKeyStore (get, put, delete)')
    }
    this.store = store
    this.limits = Object.freeze({ ...defaultDecodeLimits, ...options.limits })
    this.#aead =
      typeof options.aead === 'object' ? options.aead : selectAead(options.aead ?? undefined)
    this.#random = options.random ?? defaultRandom
    this.#pinIds = options.pinIds?.map((p) => Uint8Array.from(p))
  }

  /** How many times the unwrap callback was called (KMS `Decrypt` calls in the cloud). */
  get unwraps(): number {
    return this.#unwraps
  }

  /**
   * Opens a message of either form.
   *
   * @throws {EnvelopeError} a structural code, `ERR_EPOCH_UNKNOWN` (compact, epoch not stored),
   *   `ERR_UNWRAP_UNAVAILABLE` or `ERR_KEY_STORE_UNAVAILABLE` (transient: retry), or
   *   `ERR_DECRYPTION_FAILED`.
   */
  open(bytes: Uint8Array, deviceId: string): Promise<Opened> {
    // Not `async` (as openCompact): a warm compact open makes one promise, and a synchronous
    // throw still becomes a rejection.
    try {
      checkDeviceId(deviceId)
      const parsed = parseEnvelope(bytes, this.limits)
      if (parsed.form === 'compact') return this.#openCompact(parsed, deviceId)
      return this.#openFull(parsed, deviceId)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Opens a compact message with its epoch's keys from the store (no unwrap).
   *
   * @throws {EnvelopeError} as {@link open}; a full message is `ERR_ENVELOPE_INVALID` here.
   */
  openCompact(bytes: Uint8Array, deviceId: string): Promise<Opened> {
    // Not `async`: one promise per call, and a synchronous throw still becomes a rejection. When
    // the store has the keys at hand (`getSync`), nothing is awaited.
    try {
      checkDeviceId(deviceId)
      const parsed = parseEnvelope(bytes, this.limits)
      if (parsed.form !== 'compact') throw new EnvelopeInvalidError('expected a compact message')
      return this.#openCompact(parsed, deviceId)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Opens a compact message already parsed by {@link parseEnvelope} when the store has its
   * epoch's keys at hand (`getSync`): the opened message at once, or `undefined` when the store
   * cannot answer synchronously (then call {@link open}, which may also answer
   * `ERR_EPOCH_UNKNOWN`). For a caller that parsed the message itself (the consumer checks it
   * before any key is touched): no second parse, no promise.
   *
   * @throws {EnvelopeError} `ERR_DECRYPTION_FAILED`, or `ERR_KEY_STORE_UNAVAILABLE` when
   *   `getSync` throws.
   * @example
   * ```ts
   * const parsed = parseEnvelope(bytes, opener.limits)
   * const opened = parsed.form === 'compact' ? opener.openCompactSync(parsed, deviceId) : undefined
   * ```
   */
  openCompactSync(parsed: ParsedCompact, deviceId: string): Opened | undefined {
    checkDeviceId(deviceId)
    const store = this.store
    if (store.getSync === undefined) return undefined
    let keys: EpochKeys | undefined
    try {
      keys = store.getSync(deviceId, this.#epochHex(parsed.epochId))
    } catch (err) {
      throw new KeyStoreUnavailableError('get', err)
    }
    return keys === undefined ? undefined : this.#openCompactWith(keys, parsed)
  }

  /**
   * Opens a key announcement: a full message whose payload is the epoch's metadata, which must
   * name the device of the topic and the message's own sequence number.
   *
   * @throws {EnvelopeError} as {@link open}, or `ERR_ENVELOPE_INVALID` for a payload that is not
   *   the metadata of this device and message.
   */
  async openAnnouncement(bytes: Uint8Array, deviceId: string): Promise<OpenedAnnouncement> {
    checkDeviceId(deviceId)
    const parsed = parseEnvelope(bytes, this.limits)
    if (parsed.form !== 'full') throw new EnvelopeInvalidError('an announcement is a full message')
    const opened = await this.#openFull(parsed, deviceId)
    const metadata = decodeMetadata(opened.plaintext)
    // The device id in the metadata is not echoed: it is the sender's text, not ours.
    if (metadata.deviceId !== deviceId) {
      throw new EnvelopeInvalidError('announcement metadata names another device than the topic')
    }
    if (metadata.firstSeq !== opened.seq) {
      throw new EnvelopeInvalidError(
        `announcement metadata's first sequence number ${metadata.firstSeq} is not the message's ${opened.seq}`,
      )
    }
    return { ...opened, metadata }
  }

  /** The hex of a compact message's epoch id, reusing the last one's string when it is the same. */
  #epochHex(epochId: Uint8Array): string {
    const last = this.#lastEpochId
    if (this.#lastEpochHex !== undefined && equalBytes(epochId, last)) return this.#lastEpochHex
    const hex = toHex(epochId)
    last.set(epochId)
    this.#lastEpochHex = hex
    return hex
  }

  /** Opens a parsed compact message; may throw synchronously (the caller turns that into a rejection). */
  #openCompact(parsed: ParsedCompact, deviceId: string): Promise<Opened> {
    const epochHex = this.#epochHex(parsed.epochId)
    const store = this.store
    if (store.getSync !== undefined) {
      let keys: EpochKeys | undefined
      try {
        keys = store.getSync(deviceId, epochHex)
      } catch (err) {
        throw new KeyStoreUnavailableError('get', err)
      }
      if (keys) return Promise.resolve(this.#openCompactWith(keys, parsed))
    }
    return this.#openCompactAsync(parsed, deviceId, epochHex)
  }

  async #openCompactAsync(
    parsed: ParsedCompact,
    deviceId: string,
    epochHex: string,
  ): Promise<Opened> {
    let keys: EpochKeys | undefined
    try {
      keys = await this.store.get(deviceId, epochHex)
    } catch (err) {
      throw new KeyStoreUnavailableError('get', err)
    }
    if (!keys) throw new EpochUnknownError(epochHex)
    return this.#openCompactWith(keys, parsed)
  }

  #openCompactWith(keys: EpochKeys, parsed: ParsedCompact): Opened {
    // Nothing awaits between writing the shared nonce buffer and using it.
    writeNonce(this.#nonce, keys.baseIv, parsed.seq)
    const plaintext = this.#aead.open(
      keys.aeadKey,
      this.#nonce,
      keys.aadEncrypt0,
      parsed.ciphertext,
    )
    return { form: 'compact', epochId: keys.epochId, seq: parsed.seq, plaintext, unwrapped: false }
  }

  async #openFull(parsed: ParsedFull, deviceId: string): Promise<Opened> {
    if (this.#pinIds && !this.#pinIds.some((p) => equalBytes(p, parsed.kid))) {
      throw new EnvelopeInvalidError(`recipient kid ${toHex(parsed.kid)} is not a pinned key`)
    }
    const epochId = epochIdOf(parsed.wrapped)
    const epochHex = toHex(epochId)
    let stored: EpochKeys | undefined
    try {
      stored = await this.store.get(deviceId, epochHex)
    } catch (err) {
      throw new KeyStoreUnavailableError('get', err)
    }
    let keys: EpochKeys
    let unwrapped = false
    if (stored && equalBytes(stored.wrapped, parsed.wrapped)) {
      keys = stored
    } else {
      keys = await this.#unwrapKeys(parsed, deviceId)
      unwrapped = true
    }
    writeNonce(this.#nonce, keys.baseIv, parsed.seq)
    const plaintext = this.#aead.open(keys.aeadKey, this.#nonce, keys.aadEncrypt, parsed.ciphertext)
    // Store only once a message has authenticated under the key.
    if (unwrapped) {
      try {
        await this.store.put(deviceId, epochHex, keys)
      } catch (err) {
        throw new KeyStoreUnavailableError('put', err)
      }
    }
    return { form: 'full', epochId, seq: parsed.seq, plaintext, unwrapped }
  }

  async #unwrapKeys(parsed: ParsedFull, deviceId: string): Promise<EpochKeys> {
    let cek: Uint8Array | undefined
    this.#unwraps++
    try {
      cek = await this.#unwrap(parsed.wrapped, parsed.kid)
    } catch (err) {
      if (!(
        err instanceof EnvelopeError &&
        err.code === ('ERR_DECRYPTION_FAILED' satisfies EnvelopeErrorCode)
      )) {
        throw new UnwrapUnavailableError(err)
      }
    }
    if (!(cek instanceof Uint8Array) || cek.length !== 32) {
      // RFC 7516 §11.5: carry on with a random CEK, so the failure comes from the tag check.
      cek = this.#random(32)
      const keys = deriveEpochKeys(cek, parsed.wrapped, deviceId, this.#aead)
      cek.fill(0)
      writeNonce(this.#nonce, keys.baseIv, parsed.seq)
      this.#aead.open(keys.aeadKey, this.#nonce, keys.aadEncrypt, parsed.ciphertext)
      throw new DecryptionFailedError()
    }
    const keys = deriveEpochKeys(cek, parsed.wrapped, deviceId, this.#aead)
    cek.fill(0)
    return keys
  }
}
