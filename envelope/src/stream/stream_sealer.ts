/**
 * Seal a byte stream of any length as a `sealwire/1` stream (`envelope/STREAM.md`): one fresh
 * CEK per stream, wrapped once to the recipient with RSA-OAEP-256 (the envelope's
 * {@link KeyWrapper}), then AES-256-GCM segments of the STREAM construction. Memory is one
 * segment, whatever the stream's length.
 *
 * {@link StreamSealer} is the push-based core (synchronous once created); {@link sealStream}
 * drives it from any sync or async iterable of bytes (a Node `Readable`, a Web
 * `ReadableStream`, an array, a generator). `web_stream.ts` and `node_stream.ts` wrap it.
 *
 * @example
 * ```ts
 * const wrapper = createKeyWrapper(parseRecipientKey(spki))
 * for await (const bytes of sealStream(createReadStream('big.bin'), { wrapper })) out.write(bytes)
 * ```
 */
import { abytes, concatBytes } from '../_bytes.ts'
import type { AeadBackendName } from '../crypto/aead.ts'
import type { KeyWrapper } from '../crypto/key_wrap.ts'
import { SealRefusedError } from '../errors.ts'
import type { RandomSource } from '../sealer.ts'
import { defaultStreamOptions } from './stream_defaults.ts'
import { encodeStreamHeader, FILE_ID_BYTES } from './header.ts'
import type { StreamHeader } from './header.ts'
import { MAX_SEGMENTS, segmentNonce } from './segment.ts'
import { segmentCipher } from './_segment_cipher.ts'
import type { SegmentCipher } from './_segment_cipher.ts'

/** Options of {@link StreamSealer.create} and {@link sealStream}. */
export interface StreamSealOptions {
  /** Wraps the stream's CEK to the recipient (the envelope's `createKeyWrapper`). */
  readonly wrapper: KeyWrapper
  /** Plaintext bytes per segment; default 262,144 (256 KiB), 512 to 16 MiB. */
  readonly segmentBytes?: number | undefined
  /** Source of the CEK and the file id; default `crypto.getRandomValues`. */
  readonly random?: RandomSource | undefined
  /** AES-GCM backend; default the fastest present (node:crypto, else @noble/ciphers). */
  readonly aead?: AeadBackendName | undefined
  /**
   * The plaintext's exact length, when known before sealing (a regular file): every segment but
   * the last is then sealed as soon as its bytes are at hand, in place in the caller's chunk,
   * instead of being copied and held until more bytes show it is not the last. More or fewer
   * bytes than this is `ERR_PLAINTEXT_LENGTH` (the stream then has no final segment: it never
   * opens).
   */
  readonly totalBytes?: number | undefined
}

function defaultRandom(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

function draw(random: RandomSource, n: number): Uint8Array {
  const out = random(n)
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new SealRefusedError('ERR_ENTROPY_SOURCE', `the random source did not give ${n} bytes`)
  }
  return out
}

/**
 * The push-based stream sealer: `header.bytes` first, then what each {@link push} returns, then
 * {@link finish}'s final segment.
 *
 * @example
 * ```ts
 * const s = await StreamSealer.create({ wrapper })
 * out.write(s.header.bytes)
 * for (const seg of s.push(chunk)) out.write(seg)
 * out.write(s.finish())
 * ```
 */
export class StreamSealer {
  /** The stream's header: write its `bytes` before any segment. */
  readonly header: StreamHeader
  readonly #cipher: SegmentCipher
  readonly #segment: number
  /** A segment being gathered (made when first needed: a stream of known length may never need it). */
  #buf: Uint8Array | undefined
  /**
   * The final segment, sealed by the push whose chunk completed a stream of known length, and
   * handed out only by {@link finishParts}: a stream is complete only once finishing succeeded.
   */
  #finalParts: Uint8Array[] | undefined
  readonly #nonce = new Uint8Array(12)
  /** The final segment's index when the length is known in advance, else -1. */
  readonly #lastIndex: number
  readonly #totalBytes: number | undefined
  #fill = 0
  #index = 0
  #plaintextBytes = 0
  #finished = false

  private constructor(header: StreamHeader, cipher: SegmentCipher, totalBytes?: number) {
    this.header = header
    this.#cipher = cipher
    this.#segment = header.segmentBytes
    this.#totalBytes = totalBytes
    this.#lastIndex =
      totalBytes === undefined ? -1 : Math.max(0, Math.ceil(totalBytes / header.segmentBytes) - 1)
  }

  /**
   * Draws the CEK and the file id, wraps the CEK (one RSA operation) and builds the header.
   *
   * @throws {SealRefusedError} `ERR_ENTROPY_SOURCE` when the random source fails.
   * @example
   * ```ts
   * const sealer = await StreamSealer.create({ wrapper, segmentBytes: 1 << 20 })
   * ```
   */
  static async create(options: StreamSealOptions): Promise<StreamSealer> {
    const { wrapper } = options
    if (typeof wrapper?.wrap !== 'function') throw new TypeError('wrapper: expected a KeyWrapper')
    const segmentBytes = options.segmentBytes ?? defaultStreamOptions.segmentBytes
    const total = options.totalBytes
    if (total !== undefined && !(Number.isSafeInteger(total) && total >= 0)) {
      throw new TypeError(`totalBytes: a safe integer ≥ 0, got ${total}`)
    }
    // By default one draw for both (a file's fixed cost adds up at 1 MiB); a given source is asked
    // for the CEK, then the file id.
    const random = options.random
    const drawn =
      random === undefined
        ? defaultRandom(32 + FILE_ID_BYTES)
        : concatBytes(draw(random, 32), draw(random, FILE_ID_BYTES))
    const cek = drawn.subarray(0, 32)
    const fileId = drawn.slice(32)
    try {
      const wrapped = wrapper.wrapSync ? wrapper.wrapSync(cek) : await wrapper.wrap(cek)
      const header = encodeStreamHeader(segmentBytes, fileId, wrapper.pinId, wrapped)
      return new StreamSealer(header, segmentCipher(cek, options.aead), total)
    } finally {
      cek.fill(0)
    }
  }

  /** Plaintext bytes taken so far. */
  get plaintextBytes(): number {
    return this.#plaintextBytes
  }

  /** Segments sealed so far (with `totalBytes`, the final one may count before {@link finish}). */
  get segments(): number {
    return this.#index
  }

  #seal(plaintext: Uint8Array, final: boolean, out: Uint8Array[]): void {
    if (this.#index >= MAX_SEGMENTS) {
      throw new SealRefusedError('ERR_KEY_USAGE_LIMIT', 'a stream holds at most 2^32 segments')
    }
    segmentNonce(this.#nonce, this.header.fileId, this.#index, final)
    for (const part of this.#cipher.seal(this.#nonce, this.header.aad, plaintext)) out.push(part)
    this.#index++
  }

  /**
   * Takes more plaintext; returns the sealed bytes of the segments it completed, in order
   * (possibly none; a segment may come as two chunks, ciphertext then tag). A full segment is
   * held until more bytes arrive, because only then is it known not to be the last, unless the
   * stream's length was given (`totalBytes`). The final segment always comes from
   * {@link finish} / {@link finishParts}.
   *
   * @example
   * ```ts
   * for (const seg of sealer.push(chunk)) out.write(seg)
   * ```
   */
  push(chunk: Uint8Array): Uint8Array[] {
    abytes(chunk, 'chunk')
    if (this.#finished) throw new SealRefusedError('ERR_SEALER_CLOSED', 'the stream is finished')
    if (this.#totalBytes !== undefined && this.#plaintextBytes + chunk.length > this.#totalBytes) {
      this.#finished = true
      this.#buf?.fill(0)
      throw new SealRefusedError(
        'ERR_PLAINTEXT_LENGTH',
        `more than the ${this.#totalBytes} bytes announced (totalBytes)`,
      )
    }
    const out: Uint8Array[] = []
    const S = this.#segment
    // With the length known, a full segment that is not the last needs no more bytes to be sealed.
    const known = this.#lastIndex >= 0
    let at = 0
    this.#plaintextBytes += chunk.length
    // This chunk completes a stream of known length.
    const ends = known && this.#plaintextBytes === this.#totalBytes
    while (at < chunk.length) {
      if (this.#fill === S) {
        this.#seal(this.#buf!, false, out)
        this.#fill = 0
      }
      // A whole segment inside the chunk that is known not to be the last (more bytes after it,
      // or the length says so): seal it in place, no copy.
      if (
        this.#fill === 0 &&
        (chunk.length - at > S ||
          (known && chunk.length - at === S && this.#index < this.#lastIndex))
      ) {
        this.#seal(chunk.subarray(at, at + S), false, out)
        at += S
        continue
      }
      // The rest of the chunk is the whole final segment: seal it in place too.
      if (ends && this.#fill === 0 && this.#index === this.#lastIndex) {
        this.#seal(chunk.subarray(at), true, (this.#finalParts = []))
        at = chunk.length
        continue
      }
      const n = Math.min(S - this.#fill, chunk.length - at)
      const buf = (this.#buf ??= new Uint8Array(S))
      buf.set(chunk.subarray(at, at + n), this.#fill)
      this.#fill += n
      at += n
      if (known && this.#fill === S && this.#index < this.#lastIndex) {
        this.#seal(buf, false, out)
        this.#fill = 0
      } else if (ends && at === chunk.length && this.#index === this.#lastIndex) {
        this.#seal(buf.subarray(0, this.#fill), true, (this.#finalParts = []))
      }
    }
    return out
  }

  /**
   * Ends the stream: returns the final segment (flag 1), holding the last 0..S bytes, as one
   * array.
   *
   * @throws {SealRefusedError} `ERR_PLAINTEXT_LENGTH` when `totalBytes` was not reached.
   * @example
   * ```ts
   * out.write(sealer.finish())
   * ```
   */
  finish(): Uint8Array {
    const parts = this.finishParts()
    return parts.length === 1 ? parts[0]! : concatBytes(...parts)
  }

  /**
   * As {@link finish}, the final segment as the chunks the cipher produced (ciphertext, tag), not
   * joined into one: no copy.
   *
   * @throws {SealRefusedError} `ERR_PLAINTEXT_LENGTH` when `totalBytes` was not reached.
   * @example
   * ```ts
   * for (const part of sealer.finishParts()) out.write(part)
   * ```
   */
  finishParts(): Uint8Array[] {
    if (this.#finished) throw new SealRefusedError('ERR_SEALER_CLOSED', 'the stream is finished')
    this.#finished = true
    if (this.#totalBytes !== undefined && this.#plaintextBytes !== this.#totalBytes) {
      this.#buf?.fill(0)
      throw new SealRefusedError(
        'ERR_PLAINTEXT_LENGTH',
        `${this.#plaintextBytes} bytes, not the ${this.#totalBytes} announced (totalBytes)`,
      )
    }
    let parts = this.#finalParts
    if (parts === undefined) {
      parts = []
      this.#seal(this.#buf?.subarray(0, this.#fill) ?? new Uint8Array(0), true, parts)
    }
    this.#finalParts = undefined
    this.#buf?.fill(0)
    return parts
  }
}

/** What the stream functions read: sync or async iterables of bytes. */
export type ByteSource = Iterable<Uint8Array> | AsyncIterable<Uint8Array>

/**
 * Seals `source` and yields the stream's bytes: the header, then each segment as it completes.
 *
 * @example
 * ```ts
 * const sealed = Readable.from(sealStream(createReadStream(path), { wrapper }))
 * ```
 */
export async function* sealStream(
  source: ByteSource,
  options: StreamSealOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const sealer = await StreamSealer.create(options)
  yield sealer.header.bytes
  for await (const chunk of source) yield* sealer.push(chunk)
  yield* sealer.finishParts()
}

/**
 * Seals bytes held in memory as one stream (a convenience over {@link sealStream}).
 *
 * @example
 * ```ts
 * const file = await sealBytes(data, { wrapper })
 * ```
 */
export async function sealBytes(data: Uint8Array, options: StreamSealOptions): Promise<Uint8Array> {
  abytes(data, 'data')
  const parts: Uint8Array[] = []
  for await (const part of sealStream([data], options)) parts.push(part)
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
