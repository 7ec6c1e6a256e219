/**
 * Byte layouts of both forms for one epoch, with every constant part precomputed (internal to
 * {@link Sealer}).
 *
 * Compact (COSE_Encrypt0, tag 16):
 * `d0 83 43 a10103 a2 04 48 <epoch id:8> 06 4n <Partial IV:n> <bstr head> <ciphertext ‖ tag>`;
 * the first 18 bytes are constant for the epoch.
 *
 * Full (COSE_Encrypt, tag 96):
 * `d8 60 84 43 a10103 a1 06 4n <Partial IV:n> <bstr head> <ciphertext ‖ tag>`
 * `81 83 40 a2 01 38 28 04 48 <pin id:8> <bstr head> <wrapped CEK>`; the recipients array is
 * constant for the epoch.
 *
 * Per message only the Partial IV, the ciphertext's length head, the nonce and the AES-GCM pass
 * are computed.
 */
import { concatBytes } from './_bytes.ts'
import { encodeHead, headLength, MT_BYTES, writeHead } from './cbor/head.ts'
import type { AeadBackend } from './crypto/aead.ts'
import { TAG_BYTES } from './crypto/aead.ts'
import { partialIvLength, writeNonce, writePartialIv } from './crypto/nonce.ts'
import type { EpochKeys } from './epoch.ts'

const COMPACT_HEAD = Uint8Array.of(0xd0, 0x83, 0x43, 0xa1, 0x01, 0x03, 0xa2, 0x04, 0x48)
const FULL_HEAD = Uint8Array.of(0xd8, 0x60, 0x84, 0x43, 0xa1, 0x01, 0x03, 0xa1, 0x06)
const RECIPIENT_HEAD = Uint8Array.of(0x81, 0x83, 0x40, 0xa2, 0x01, 0x38, 0x28, 0x04, 0x48)

/**
 * Precomputed bytes and the seal functions of one epoch.
 *
 * @example
 * ```ts
 * const epoch = new SealingEpoch(deriveEpochKeys(cek, wrapped, 'dev-1', aead), pinId, aead)
 * epoch.sealCompact(utf8('hi'), 0) // 39 bytes: d0 83 43 a10103 a2 04 48 <epoch id> …
 * ```
 */
export class SealingEpoch {
  readonly keys: EpochKeys
  readonly #aead: AeadBackend
  readonly #compactPrefix: Uint8Array
  readonly #recipients: Uint8Array
  readonly #nonce = new Uint8Array(12)

  constructor(keys: EpochKeys, pinId: Uint8Array, aead: AeadBackend) {
    this.keys = keys
    this.#aead = aead
    this.#compactPrefix = concatBytes(COMPACT_HEAD, keys.epochId, Uint8Array.of(0x06))
    this.#recipients = concatBytes(
      RECIPIENT_HEAD,
      pinId,
      encodeHead(MT_BYTES, keys.wrapped.length),
      keys.wrapped,
    )
  }

  /** Seals `plaintext` as a compact message with sequence number `seq`. */
  sealCompact(plaintext: Uint8Array, seq: number): Uint8Array {
    const out = this.#allocate(this.#compactPrefix, plaintext, seq, 0)
    const at = this.#writeVariableHead(out, this.#compactPrefix.length, plaintext, seq)
    this.#aead.sealInto(this.keys.aeadKey, this.#nonce, this.keys.aadEncrypt0, plaintext, out, at)
    return out
  }

  /** Seals `plaintext` as a full (self-contained) message with sequence number `seq`. */
  sealFull(plaintext: Uint8Array, seq: number): Uint8Array {
    const recipients = this.#recipients
    const out = this.#allocate(FULL_HEAD, plaintext, seq, recipients.length)
    let at = this.#writeVariableHead(out, FULL_HEAD.length, plaintext, seq)
    at = this.#aead.sealInto(
      this.keys.aeadKey,
      this.#nonce,
      this.keys.aadEncrypt,
      plaintext,
      out,
      at,
    )
    out.set(recipients, at)
    return out
  }

  /** The output array, sized exactly, with the constant prefix written. */
  #allocate(prefix: Uint8Array, plaintext: Uint8Array, seq: number, suffix: number): Uint8Array {
    const sealedLength = plaintext.length + TAG_BYTES
    const out = new Uint8Array(
      prefix.length + 1 + partialIvLength(seq) + headLength(sealedLength) + sealedLength + suffix,
    )
    out.set(prefix)
    return out
  }

  /** Writes `4n <Partial IV>` and the ciphertext's bstr head at `at`, and this message's nonce. */
  #writeVariableHead(out: Uint8Array, at: number, plaintext: Uint8Array, seq: number): number {
    out[at++] = 0x40 | partialIvLength(seq)
    at = writePartialIv(out, at, seq)
    writeNonce(this.#nonce, this.keys.baseIv, seq)
    return writeHead(out, at, MT_BYTES, plaintext.length + TAG_BYTES)
  }
}
