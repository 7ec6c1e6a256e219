/**
 * The sealer: owns one data-key epoch at a time and never reuses a (key, nonce) pair.
 *
 * An epoch starts with a fresh 32-byte CEK from the injected random source, wrapped once to the
 * recipient key; its first message is the key announcement (full form, payload = the epoch's
 * metadata). The epoch closes at the first of `maxMessages`, `maxAgeMs` or `maxBytes` (and at
 * restart: the CEK lives in this object only). The nonce of every message is derived from its
 * sequence number, which must strictly increase over the sealer's life, and one key never seals
 * more than 2^32 messages. So no nonce repeats under a key without any per-epoch counter on disk.
 *
 * The caller supplies sequence numbers through a function, because starting an epoch takes two
 * (the announcement's, then the message's).
 *
 * @example
 * ```ts
 * let seq = counter.load()
 * const sealer = new Sealer({ wrapper: createKeyWrapper(key), deviceId: 'dev-1', random })
 * const { announcement, message } = sealer.seal(reading, () => ++seq)
 * if (announcement) publish(keyTopic, announcement.bytes)
 * publish(dataTopic, message.bytes)
 * ```
 */
import { abytes, clean, toHex } from './_bytes.ts'
import type { AeadBackend, AeadBackendName } from './crypto/aead.ts'
import { selectAead } from './crypto/aead.ts'
import type { KeyWrapper } from './crypto/key_wrap.ts'
import { checkSequence } from './crypto/nonce.ts'
import type { EpochLimits } from './defaults.ts'
import { defaultEpochLimits, MAX_MESSAGES_PER_KEY } from './defaults.ts'
import { checkDeviceId, deriveEpochKeys } from './epoch.ts'
import { SealRefusedError } from './errors.ts'
import { encodeMetadata } from './metadata.ts'
import { SealingEpoch } from './sealing_epoch.ts'

/** Returns `n` random bytes (the device's entropy source). */
export type RandomSource = (n: number) => Uint8Array

/** Returns the next device sequence number; each call a larger one. */
export type NextSequence = () => number

/** Which form to seal a message in. */
export type Form = 'compact' | 'full'

/** Options of {@link Sealer}. */
export interface SealerOptions {
  readonly wrapper: KeyWrapper
  readonly deviceId: string
  /** The source of CEKs. Tests may inject fixed bytes; devices use their hardware RNG. */
  readonly random: RandomSource
  /**
   * The clock: milliseconds since 1970, default `Date.now`. Read when an epoch starts and at each
   * seal, for `limits.maxAgeMs`. A clock that steps back (a device without an RTC syncing its
   * time) closes the epoch, since its age is then unknown; rotating early is always safe.
   */
  readonly now?: () => number
  readonly limits?: Partial<EpochLimits>
  readonly aead?: AeadBackend | AeadBackendName
  /** Boot count and agent version for the key announcement. */
  readonly bootCount?: number
  readonly agentVersion?: string
}

/** One sealed message. */
export interface Sealed {
  readonly bytes: Uint8Array
  readonly seq: number
  readonly form: Form
  /** The epoch id, 8 bytes. */
  readonly epochId: Uint8Array
}

/** What one {@link Sealer.seal} call produced. */
export interface SealOutput {
  /** Present when this call started a new epoch: publish it (on the key topic) first. */
  readonly announcement?: Sealed
  readonly message: Sealed
}

/** Counters of a sealer, for metrics. */
export interface SealerStats {
  readonly epochs: number
  readonly messages: number
  readonly epochMessages: number
  readonly epochBytes: number
}

interface Current {
  readonly epoch: SealingEpoch
  readonly startedAt: number
  readonly announcement: Sealed
  messages: number
  bytes: number
}

function mergeLimits(limits: Partial<EpochLimits> | undefined): EpochLimits {
  const merged = { ...defaultEpochLimits, ...limits }
  const { maxMessages, maxAgeMs, maxBytes } = merged
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 2 || maxMessages > MAX_MESSAGES_PER_KEY) {
    throw new RangeError('limits.maxMessages: expected an integer in [2, 2^32]')
  }
  if (!(maxAgeMs > 0)) throw new RangeError('limits.maxAgeMs: expected a positive number')
  if (!(maxBytes > 0)) throw new RangeError('limits.maxBytes: expected a positive number')
  return Object.freeze(merged)
}

/**
 * Seals telemetry for one device to one recipient key.
 *
 * @example
 * ```ts
 * const out = sealer.seal(new TextEncoder().encode('{"t":21.5}'), () => ++seq)
 * ```
 */
export class Sealer {
  readonly deviceId: string
  readonly limits: EpochLimits
  readonly #wrapper: KeyWrapper
  readonly #random: RandomSource
  readonly #now: () => number
  readonly #aead: AeadBackend
  readonly #bootCount: number
  readonly #agentVersion: string
  #current: Current | undefined
  #lastSeq = -1
  #epochs = 0
  #messages = 0
  #closed = false

  constructor(options: SealerOptions) {
    checkDeviceId(options.deviceId)
    if (typeof options.random !== 'function') throw new TypeError('random: expected a function')
    this.deviceId = options.deviceId
    this.limits = mergeLimits(options.limits)
    this.#wrapper = options.wrapper
    this.#random = options.random
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new TypeError('now: expected a function')
    }
    this.#now = options.now ?? (() => Date.now())
    this.#aead =
      typeof options.aead === 'object' ? options.aead : selectAead(options.aead ?? undefined)
    this.#bootCount = options.bootCount ?? 0
    this.#agentVersion = options.agentVersion ?? '0.0.0'
  }

  /** The current epoch's announcement (re-publish it on every new connection), if any. */
  get announcement(): Sealed | undefined {
    return this.#current?.announcement
  }

  /** The current epoch id, if an epoch is open. */
  get epochId(): Uint8Array | undefined {
    return this.#current?.epoch.keys.epochId
  }

  /** Counters for metrics. */
  get stats(): SealerStats {
    return {
      epochs: this.#epochs,
      messages: this.#messages,
      epochMessages: this.#current?.messages ?? 0,
      epochBytes: this.#current?.bytes ?? 0,
    }
  }

  /**
   * Seals one message, starting a new epoch first when the current one is full, too old or absent.
   * Synchronous; needs a synchronous key wrapper (node:crypto) when an epoch starts.
   *
   * @throws {SealRefusedError} `ERR_SEQUENCE_NOT_INCREASING`, `ERR_KEY_USAGE_LIMIT`,
   *   `ERR_ENTROPY_SOURCE`, `ERR_SYNC_WRAP_UNAVAILABLE`, `ERR_SEALER_CLOSED`.
   */
  seal(plaintext: Uint8Array, nextSeq: NextSequence, form: Form = 'compact'): SealOutput {
    this.#checkOpen(plaintext, nextSeq)
    let announcement: Sealed | undefined
    if (this.#needsNewEpoch(plaintext.length)) {
      const wrapSync = this.#wrapper.wrapSync
      if (!wrapSync) {
        throw new SealRefusedError(
          'ERR_SYNC_WRAP_UNAVAILABLE',
          'this runtime wraps keys asynchronously only: use sealAsync',
        )
      }
      announcement = this.#startEpoch(nextSeq, (cek) => wrapSync(cek))
    }
    return { announcement, message: this.#sealFirstOrNext(plaintext, nextSeq, form, announcement) }
  }

  /** As {@link seal}, on any runtime (the key wrap may be asynchronous). */
  async sealAsync(
    plaintext: Uint8Array,
    nextSeq: NextSequence,
    form: Form = 'compact',
  ): Promise<SealOutput> {
    this.#checkOpen(plaintext, nextSeq)
    let announcement: Sealed | undefined
    if (this.#needsNewEpoch(plaintext.length)) {
      const cek = this.#freshCek()
      let wrapped: Uint8Array
      try {
        wrapped = await this.#wrapper.wrap(cek)
        // close() may have run while the wrap was pending.
        this.#checkOpen(plaintext, nextSeq)
      } catch (err) {
        clean(cek)
        throw err
      }
      announcement = this.#startEpoch(nextSeq, () => wrapped, cek)
    }
    return { announcement, message: this.#sealFirstOrNext(plaintext, nextSeq, form, announcement) }
  }

  /** Closes the current epoch: the next seal starts a new one. */
  rotate(): void {
    this.#current = undefined
  }

  /** Drops the epoch; the sealer refuses further use. */
  close(): void {
    this.#current = undefined
    this.#closed = true
  }

  #checkOpen(plaintext: Uint8Array, nextSeq: NextSequence): void {
    if (this.#closed) throw new SealRefusedError('ERR_SEALER_CLOSED', 'the sealer is closed')
    abytes(plaintext, 'plaintext')
    if (typeof nextSeq !== 'function') throw new TypeError('nextSeq: expected a function')
  }

  #needsNewEpoch(plaintextBytes: number): boolean {
    const c = this.#current
    if (!c) return true
    if (c.messages >= this.limits.maxMessages) return true
    const age = this.#now() - c.startedAt
    if (!(age >= 0 && age < this.limits.maxAgeMs)) return true
    return c.bytes > 0 && c.bytes + plaintextBytes > this.limits.maxBytes
  }

  #takeSeq(nextSeq: NextSequence): number {
    const seq = nextSeq()
    checkSequence(seq)
    if (seq <= this.#lastSeq) {
      throw new SealRefusedError(
        'ERR_SEQUENCE_NOT_INCREASING',
        `sequence number ${seq} does not increase (last ${this.#lastSeq})`,
      )
    }
    this.#lastSeq = seq
    return seq
  }

  #freshCek(): Uint8Array {
    const cek = this.#random(32)
    if (!(cek instanceof Uint8Array) || cek.length !== 32) {
      throw new SealRefusedError('ERR_ENTROPY_SOURCE', 'the random source did not return 32 bytes')
    }
    return cek
  }

  #startEpoch(
    nextSeq: NextSequence,
    wrap: (cek: Uint8Array) => Uint8Array,
    cek: Uint8Array = this.#freshCek(),
  ): Sealed {
    this.#current = undefined
    let epoch: SealingEpoch
    try {
      const wrapped = wrap(cek)
      const keys = deriveEpochKeys(cek, wrapped, this.deviceId, this.#aead)
      epoch = new SealingEpoch(keys, this.#wrapper.pinId, this.#aead)
    } finally {
      clean(cek)
    }
    const seq = this.#takeSeq(nextSeq)
    const payload = encodeMetadata({
      deviceId: this.deviceId,
      firstSeq: seq,
      bootCount: this.#bootCount,
      agentVersion: this.#agentVersion,
    })
    const announcement: Sealed = Object.freeze({
      bytes: epoch.sealFull(payload, seq),
      seq,
      form: 'full' as const,
      epochId: epoch.keys.epochId,
    })
    this.#current = {
      epoch,
      startedAt: this.#now(),
      announcement,
      messages: 1,
      bytes: payload.length,
    }
    this.#epochs++
    this.#messages++
    return announcement
  }

  /**
   * Seals the message; when this call also started the epoch and the message fails, the epoch is
   * dropped too, so its announcement (which the caller never received) cannot be skipped: the
   * next call starts a fresh epoch with a fresh announcement.
   */
  #sealFirstOrNext(
    plaintext: Uint8Array,
    nextSeq: NextSequence,
    form: Form,
    announcement: Sealed | undefined,
  ): Sealed {
    if (!announcement) return this.#sealInEpoch(plaintext, nextSeq, form)
    try {
      return this.#sealInEpoch(plaintext, nextSeq, form)
    } catch (err) {
      this.#current = undefined
      throw err
    }
  }

  #sealInEpoch(plaintext: Uint8Array, nextSeq: NextSequence, form: Form): Sealed {
    const c = this.#current!
    // A hard stop independent of configuration (NIST SP 800-38D §8.3).
    if (c.messages >= MAX_MESSAGES_PER_KEY) {
      throw new SealRefusedError('ERR_KEY_USAGE_LIMIT', 'the data key has sealed 2^32 messages')
    }
    const seq = this.#takeSeq(nextSeq)
    const bytes =
      form === 'full' ? c.epoch.sealFull(plaintext, seq) : c.epoch.sealCompact(plaintext, seq)
    c.messages++
    c.bytes += plaintext.length
    this.#messages++
    return { bytes, seq, form, epochId: c.epoch.keys.epochId }
  }

  /** A short description for logs: device and epoch id, never key material. */
  toString(): string {
    const id = this.#current ? toHex(this.#current.epoch.keys.epochId) : 'none'
    return `Sealer(${this.deviceId}, epoch ${id})`
  }
}
