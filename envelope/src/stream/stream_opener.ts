/**
 * Open a `sealwire/1` stream (`envelope/STREAM.md` §4): parse the header, unwrap the CEK once
 * (KMS `Decrypt` in the cloud, through the envelope's {@link Unwrap}), then open segment after
 * segment. Memory is one segment, whatever the stream's length.
 *
 * What is released, and when (the guarantee, STREAM.md §5):
 * - a segment's plaintext is released only after its tag checked, under the nonce of its position
 *   and the header's hash: reordered, altered, dropped or added segments and any header change
 *   fail at the first affected segment, with the one opaque {@link DecryptionFailedError};
 * - **sequential** opening ({@link openStream} without `finalCheck`, {@link StreamOpener#push}):
 *   a stream whose final segment is missing releases the segments before the cut and then fails
 *   instead of ending. It never ends normally: only the end of the iteration (or `finish()`
 *   returning) says the stream was complete. Write to a temporary place and commit at the end;
 * - with **random access** ({@link openRandomAccess}, or `finalCheck` when the total length is
 *   known, e.g. a file or an S3 object), the final segment is opened *before anything is
 *   released*: a stream cut anywhere (at a segment boundary or inside one) or extended releases
 *   **nothing**. Only a segment altered in the middle can still fail after earlier ones were
 *   released.
 *
 * Unwrap failures follow the envelope's rule (RFC 7516 §11.5): a ciphertext the unwrap refuses is
 * replaced by a random CEK and the failure comes from the first tag check, so both paths look the
 * same; any other unwrap error is `ERR_UNWRAP_UNAVAILABLE` (retry).
 *
 * @example
 * ```ts
 * for await (const pt of openStream(createReadStream('f.sw'), { unwrap })) out.write(pt)
 * ```
 */
import { abytes, concatBytes, equalBytes, equalPublicBytes } from '../_bytes.ts'
import { TAG_BYTES } from '../crypto/aead.ts'
import type { AeadBackendName } from '../crypto/aead.ts'
import type { Unwrap } from '../crypto/unwrap.ts'
import {
  DecryptionFailedError,
  EnvelopeError,
  EnvelopeInvalidError,
  UnwrapUnavailableError,
} from '../errors.ts'
import type { RandomSource } from '../sealer.ts'
import { parseStreamHeader, STREAM_FIXED_HEADER_BYTES, streamHeaderLength } from './header.ts'
import type { StreamHeader } from './header.ts'
import { MAX_SEGMENTS, segmentNonce, streamLayout } from './segment.ts'
import type { StreamLayout } from './segment.ts'
import { defaultStreamOptions } from './stream_defaults.ts'
import { segmentCipher } from './_segment_cipher.ts'
import type { SegmentCipher } from './_segment_cipher.ts'
import type { ByteSource } from './stream_sealer.ts'

/** Options of {@link StreamOpener.create}, {@link openStream} and {@link openRandomAccess}. */
export interface StreamOpenOptions {
  /** Turns the wrapped CEK back into the CEK (KMS `Decrypt`, or a local key in tests). */
  readonly unwrap: Unwrap
  /** Pin ids this opener serves; another recipient kid is refused before any unwrap. */
  readonly pinIds?: readonly Uint8Array[] | undefined
  /** Largest segment size accepted from a header (memory bound); default 1 MiB. */
  readonly maxSegmentBytes?: number | undefined
  /** AES-GCM backend; default the fastest present. */
  readonly aead?: AeadBackendName | undefined
  /** For the random CEK of a refused unwrap; default `crypto.getRandomValues`. */
  readonly random?: RandomSource | undefined
}

function defaultRandom(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/**
 * The push-based stream opener for one header: {@link push} sealed bytes (after the header),
 * get plaintext back segment by segment; {@link finish} opens the final segment.
 *
 * @example
 * ```ts
 * const opener = await StreamOpener.create(parseStreamHeader(headerBytes), { unwrap })
 * for (const pt of opener.push(body)) out.write(pt)
 * out.write(opener.finish()) // throws ERR_DECRYPTION_FAILED if the final segment is missing
 * ```
 */
export class StreamOpener {
  readonly header: StreamHeader
  readonly #cipher: SegmentCipher
  readonly #sealed: number
  /** Bytes of a segment not yet complete (or held: it may be the final one); made when first needed. */
  #buf: Uint8Array | undefined
  /**
   * From {@link checkFinal}: the final segment's plaintext and, when the sequential read delivers
   * the final segment again (`resent`), its sealed bytes, which that read must repeat exactly. At
   * the end the plaintext already checked is released (no second decryption).
   */
  #final: { readonly sealed: Uint8Array | undefined; readonly plaintext: Uint8Array } | undefined
  /**
   * The sequential read delivered, at the final segment's place, bytes other than the checked
   * ones, or more of them: {@link finish} fails (the segments before it were released as usual).
   * While the final segment arrives, `#fill` counts its bytes compared so far (nothing is copied).
   */
  #finalDiffers = false
  readonly #nonce = new Uint8Array(12)
  /** The final segment's index once {@link checkFinal} learned the layout, else -1. */
  #lastIndex = -1
  #fill = 0
  #index = 0
  #finished = false

  private constructor(header: StreamHeader, cipher: SegmentCipher) {
    this.header = header
    this.#cipher = cipher
    this.#sealed = header.segmentBytes + TAG_BYTES
  }

  /**
   * Checks the recipient and unwraps the CEK (one `unwrap` call).
   *
   * @throws {EnvelopeInvalidError} `ERR_ENVELOPE_INVALID`: a kid not in `pinIds`, or a segment
   *   size above `maxSegmentBytes`.
   * @throws {UnwrapUnavailableError} `ERR_UNWRAP_UNAVAILABLE`: the unwrap failed transiently.
   * @example
   * ```ts
   * const opener = await StreamOpener.create(header, { unwrap: kmsUnwrap({ session, keys }) })
   * ```
   */
  static async create(header: StreamHeader, options: StreamOpenOptions): Promise<StreamOpener> {
    if (typeof options.unwrap !== 'function') throw new TypeError('unwrap: expected a function')
    const max = options.maxSegmentBytes ?? defaultStreamOptions.maxSegmentBytes
    if (header.segmentBytes > max) {
      throw new EnvelopeInvalidError(
        `stream header: segment size ${header.segmentBytes} is above this opener's limit ${max}`,
      )
    }
    if (options.pinIds && !options.pinIds.some((p) => equalBytes(p, header.pinId))) {
      throw new EnvelopeInvalidError('stream header: the recipient kid is not a key of this opener')
    }
    let cek: Uint8Array | undefined
    try {
      cek = await options.unwrap(new Uint8Array(header.wrapped), new Uint8Array(header.pinId))
    } catch (err) {
      if (!(err instanceof EnvelopeError && err.code === DecryptionFailedError.code)) {
        throw new UnwrapUnavailableError(err)
      }
    }
    if (!(cek instanceof Uint8Array) || cek.length !== 32) {
      // RFC 7516 §11.5: carry on with a random CEK; the first tag check fails, as a bad one would.
      cek = (options.random ?? defaultRandom)(32)
    }
    try {
      return new StreamOpener(header, segmentCipher(cek, options.aead))
    } finally {
      cek.fill(0)
    }
  }

  /**
   * Opens segment `index` on its own (random access). Used for the final-segment check.
   *
   * @throws {DecryptionFailedError} `ERR_DECRYPTION_FAILED` when its tag does not check.
   * @example
   * ```ts
   * opener.openSegment(layout.segments - 1, lastSealed, true)
   * ```
   */
  openSegment(index: number, sealed: Uint8Array, final: boolean): Uint8Array {
    if (index >= MAX_SEGMENTS || sealed.length > this.#sealed || sealed.length < TAG_BYTES) {
      throw new DecryptionFailedError()
    }
    // A final segment is empty only when it is the only one (STREAM.md §3).
    if (final && index > 0 && sealed.length === TAG_BYTES) throw new DecryptionFailedError()
    if (!final && sealed.length !== this.#sealed) throw new DecryptionFailedError()
    segmentNonce(this.#nonce, this.header.fileId, index, final)
    return this.#cipher.open(this.#nonce, this.header.aad, sealed)
  }

  /**
   * Checks a stream of `totalBytes` (header included) by opening its final segment, read through
   * `read`. Returns the layout; nothing else is released.
   *
   * `resent` (default true) says what the caller pushes afterwards: the whole stream, final
   * segment included (a sequential read: those bytes must repeat the ones checked here, compared
   * in place), or, with `resent: false`, only the bytes before `layout.lastOffset` (random
   * access, {@link openRandomAccess}: nothing is read twice). Either way {@link finish} releases
   * the plaintext checked here.
   *
   * @throws {DecryptionFailedError} `ERR_DECRYPTION_FAILED` for a truncated or extended stream.
   * @example
   * ```ts
   * await opener.checkFinal(size, (at, n) => readAt(fd, at, n))
   * const { lastOffset } = await other.checkFinal(size, read, { resent: false })
   * ```
   */
  async checkFinal(
    totalBytes: number,
    read: (offset: number, length: number) => Promise<Uint8Array> | Uint8Array,
    options: { readonly resent?: boolean } = {},
  ): Promise<StreamLayout> {
    if (this.#index !== 0 || this.#fill !== 0 || this.#final !== undefined || this.#finished) {
      throw new TypeError('StreamOpener: checkFinal comes once, before any push')
    }
    const layout = streamLayout(totalBytes, this.header)
    const last = await read(layout.lastOffset, layout.lastBytes)
    abytes(last, 'read')
    if (last.length !== layout.lastBytes) throw new DecryptionFailedError()
    const plaintext = this.openSegment(layout.segments - 1, last, true)
    // Kept for the comparison: a copy (at most one segment), as a source may reuse its buffer.
    const sealed = (options.resent ?? true) ? new Uint8Array(last) : undefined
    this.#final = { sealed, plaintext }
    this.#lastIndex = layout.segments - 1
    return layout
  }

  /**
   * Zeroes what the opener holds (the final segment's plaintext checked by {@link checkFinal},
   * the bytes of a segment not yet complete) and ends it: for a stream abandoned before
   * {@link finish}. `openStream` calls it when it does not end normally.
   *
   * @example
   * ```ts
   * try { … } finally { if (!done) opener.discard() }
   * ```
   */
  discard(): void {
    this.#finished = true
    this.#final?.plaintext.fill(0)
    this.#final = undefined
    this.#buf?.fill(0)
    this.#fill = 0
  }

  /**
   * Takes more sealed bytes (those after the header); returns the plaintext of every segment
   * they completed and whose tag checked. A full segment is held until more bytes arrive (only
   * then is it known not to be the final one), unless {@link checkFinal} gave the layout. The
   * final segment's plaintext only ever comes from {@link finish}.
   *
   * @throws {DecryptionFailedError} `ERR_DECRYPTION_FAILED` at the first segment that fails (the
   *   opener is then discarded: what it held is zeroed).
   * @example
   * ```ts
   * for (const pt of opener.push(chunk)) out.write(pt)
   * ```
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = []
    try {
      this.#push(chunk, out)
      return out
    } catch (err) {
      // Segments of this chunk that opened before the failing one were never handed out.
      for (const p of out) p.fill(0)
      this.discard()
      throw err
    }
  }

  #push(chunk: Uint8Array, out: Uint8Array[]): void {
    abytes(chunk, 'chunk')
    if (this.#finished) throw new TypeError('StreamOpener: push after finish')
    const L = this.#sealed
    // With the layout known (checkFinal), a full segment before the last needs no more bytes.
    const known = this.#lastIndex >= 0
    let at = 0
    while (at < chunk.length) {
      // The final segment that checkFinal opened: compared in place with the checked bytes (any
      // byte here is too many when they were not to be resent).
      const checked = this.#final
      if (checked !== undefined && this.#index === this.#lastIndex) {
        const sealed = checked.sealed ?? new Uint8Array(0)
        const n = Math.min(sealed.length - this.#fill, chunk.length - at)
        if (
          n < chunk.length - at ||
          !equalPublicBytes(chunk.subarray(at, at + n), sealed.subarray(this.#fill, this.#fill + n))
        ) {
          this.#finalDiffers = true
        }
        this.#fill += n
        at = chunk.length
        continue
      }
      if (this.#fill === L) {
        out.push(this.openSegment(this.#index++, this.#buf!, false))
        this.#fill = 0
      }
      if (
        this.#fill === 0 &&
        (chunk.length - at > L ||
          (known && chunk.length - at === L && this.#index < this.#lastIndex))
      ) {
        out.push(this.openSegment(this.#index++, chunk.subarray(at, at + L), false))
        at += L
        continue
      }
      const n = Math.min(L - this.#fill, chunk.length - at)
      const buf = (this.#buf ??= new Uint8Array(L))
      buf.set(chunk.subarray(at, at + n), this.#fill)
      this.#fill += n
      at += n
      if (known && this.#fill === L && this.#index < this.#lastIndex) {
        out.push(this.openSegment(this.#index++, buf, false))
        this.#fill = 0
      }
    }
  }

  /**
   * Ends the stream: opens what is held as the final segment and returns its plaintext. A stream
   * whose final segment is missing (cut at a boundary or inside a segment) fails here.
   *
   * @throws {DecryptionFailedError} `ERR_DECRYPTION_FAILED`.
   * @example
   * ```ts
   * out.write(opener.finish())
   * ```
   */
  finish(): Uint8Array {
    if (this.#finished) throw new TypeError('StreamOpener: finish called twice')
    try {
      return this.#finish()
    } catch (err) {
      this.discard()
      throw err
    }
  }

  #finish(): Uint8Array {
    this.#finished = true
    const index = this.#index++
    const checked = this.#final
    let last: Uint8Array
    if (checked !== undefined) {
      // The final segment was opened by checkFinal: the read must have delivered exactly the
      // bytes it opened, in full (none when they were not to be resent).
      const expected = checked.sealed?.length ?? 0
      if (index !== this.#lastIndex || this.#finalDiffers || this.#fill !== expected) {
        checked.plaintext.fill(0)
        throw new DecryptionFailedError()
      }
      last = checked.plaintext
      this.#final = undefined // released: no longer the opener's to zero
    } else {
      last = this.openSegment(index, this.#buf?.subarray(0, this.#fill) ?? new Uint8Array(0), true)
    }
    this.#buf?.fill(0)
    return last
  }
}

/** Random access to a whole stream of known length (a file, an object store with ranges). */
export interface RandomAccessSource {
  /** Total bytes of the stream, header included. */
  readonly size: number
  /**
   * Exactly `length` bytes at `offset` (fewer only at the end of the source). The opener is done
   * with what a read returned when its next read is made (it copies what it must keep), so a
   * source may reuse its buffer from one read to the next.
   */
  read(offset: number, length: number): Promise<Uint8Array> | Uint8Array
}

/** Options of {@link openStream}: {@link StreamOpenOptions} plus the optional final check. */
export interface OpenStreamOptions extends StreamOpenOptions {
  /**
   * When the stream's total length is known and its end can be read first: the final segment is
   * checked before any plaintext is released, and the sequential read must then deliver exactly
   * `totalBytes`, and at the end the very bytes checked (the final segment is not decrypted a
   * second time). The final segment's bytes that `read` returns are copied (at most one
   * segment), so a source may reuse its buffer.
   */
  readonly finalCheck?:
    | {
        readonly totalBytes: number
        read(offset: number, length: number): Promise<Uint8Array> | Uint8Array
      }
    | undefined
  /**
   * Called once with the header as soon as it parsed, before the unwrap and the final check (e.g.
   * to log its pin id, which then shows even when a wrong key or a cut stream fails next).
   */
  readonly onHeader?: ((header: StreamHeader) => void) | undefined
}

/**
 * Opens a stream read from `source` (sync or async iterable of bytes) and yields plaintext,
 * segment by segment. See the module doc for what is released when.
 *
 * @throws {EnvelopeInvalidError} `ERR_ENVELOPE_INVALID` for a header that is not a stream's (no
 *   key touched), including a source that ends inside the header.
 * @throws {DecryptionFailedError} `ERR_DECRYPTION_FAILED` for any failure once the key is involved.
 * @example
 * ```ts
 * for await (const pt of openStream(req, { unwrap })) res.write(pt)
 * ```
 */
export async function* openStream(
  source: ByteSource,
  options: OpenStreamOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  let head: Uint8Array = new Uint8Array(0)
  let opener: StreamOpener | undefined
  let seen = 0
  let finished = false
  try {
    for await (const raw of source) {
      abytes(raw, 'chunk')
      seen += raw.length
      let chunk = raw
      if (opener === undefined) {
        let joined = chunk
        if (head.length > 0) {
          joined = new Uint8Array(head.length + chunk.length)
          joined.set(head)
          joined.set(chunk, head.length)
        }
        const need = streamHeaderLength(joined)
        if (need === undefined || joined.length < need) {
          // Kept across chunks: a copy, as the source may reuse the buffer it handed out.
          head = joined === chunk ? new Uint8Array(chunk) : joined
          continue
        }
        const header = parseStreamHeader(new Uint8Array(joined.subarray(0, need)))
        options.onHeader?.(header)
        opener = await StreamOpener.create(header, options)
        if (options.finalCheck) {
          await opener.checkFinal(options.finalCheck.totalBytes, options.finalCheck.read)
        }
        chunk = joined.subarray(need)
        head = new Uint8Array(0)
      }
      if (options.finalCheck && seen > options.finalCheck.totalBytes) {
        throw new DecryptionFailedError()
      }
      yield* opener.push(chunk)
    }
    if (opener === undefined) {
      throw new EnvelopeInvalidError(
        head.length === 0
          ? 'stream header: empty input'
          : `stream header: truncated (${head.length} bytes)`,
      )
    }
    if (options.finalCheck && seen !== options.finalCheck.totalBytes) {
      throw new DecryptionFailedError()
    }
    const last = opener.finish()
    finished = true
    yield last
  } finally {
    // Ended early (an error, or the reader stopped): zero what the opener still holds.
    if (!finished) opener?.discard()
  }
}

/**
 * Opens a stream with random access: the final segment is checked first, so a truncated or
 * extended stream releases nothing; then the segments before it are read and released in order,
 * and the final one's plaintext (checked first) comes last. Every byte is read once: the header
 * (its fixed 40 bytes, then the rest), the final segment, then the rest in reads of whole segments
 * (about `readBytes`, default 1 MiB), each opened where it lies (no copy).
 *
 * @example
 * ```ts
 * const fh = await open(path)
 * const src = { size: (await fh.stat()).size, read: (at, n) => readAt(fh, at, n) }
 * for await (const pt of openRandomAccess(src, { unwrap })) out.write(pt)
 * ```
 */
export async function* openRandomAccess(
  source: RandomAccessSource,
  options: StreamOpenOptions & Pick<OpenStreamOptions, 'onHeader'> & { readBytes?: number },
): AsyncGenerator<Uint8Array, void, undefined> {
  const size = source.size
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`source.size: a safe integer ≥ 0, got ${size}`)
  }
  const readBytes = options.readBytes ?? 1024 * 1024
  if (!Number.isSafeInteger(readBytes) || readBytes < 1) {
    throw new RangeError(`readBytes: a positive integer, got ${readBytes}`)
  }
  if (size === 0) throw new EnvelopeInvalidError('stream header: empty input')
  // The fixed part says how long the header is; then the rest of it (every byte read once).
  const first = await source.read(0, Math.min(size, STREAM_FIXED_HEADER_BYTES))
  abytes(first, 'read')
  // A copy (40 bytes): the next read may reuse the source's buffer (see RandomAccessSource).
  const fixed = new Uint8Array(first)
  const need = streamHeaderLength(fixed)
  if (need === undefined || need > size) {
    throw new EnvelopeInvalidError(`stream header: truncated (${size} bytes)`)
  }
  const rest = await source.read(fixed.length, need - fixed.length)
  abytes(rest, 'read')
  if (fixed.length + rest.length !== need) {
    throw new EnvelopeInvalidError(`stream header: truncated (${fixed.length + rest.length} bytes)`)
  }
  const header = parseStreamHeader(concatBytes(fixed, rest))
  options.onHeader?.(header)
  const opener = await StreamOpener.create(header, options)
  let finished = false
  try {
    const layout = await opener.checkFinal(size, (at, n) => source.read(at, n), { resent: false })
    const sealed = header.segmentBytes + TAG_BYTES
    const perRead = Math.max(1, Math.floor(readBytes / sealed)) * sealed
    for (let at = need; at < layout.lastOffset;) {
      const n = Math.min(perRead, layout.lastOffset - at)
      const part = await source.read(at, n)
      abytes(part, 'read')
      if (part.length !== n) throw new DecryptionFailedError()
      at += n
      yield* opener.push(part)
    }
    const last = opener.finish()
    finished = true
    yield last
  } finally {
    // Ended early (an error, or the reader stopped): zero what the opener still holds.
    if (!finished) opener.discard()
  }
}

/**
 * Opens a stream held in memory; nothing is returned unless all of it checks.
 *
 * @example
 * ```ts
 * const data = await openBytes(file, { unwrap })
 * ```
 */
export async function openBytes(file: Uint8Array, options: StreamOpenOptions): Promise<Uint8Array> {
  abytes(file, 'file')
  const parts: Uint8Array[] = []
  let total = 0
  const source: RandomAccessSource = {
    size: file.length,
    read: (at, n) => file.subarray(at, at + n),
  }
  for await (const part of openRandomAccess(source, options)) {
    parts.push(part)
    total += part.length
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
