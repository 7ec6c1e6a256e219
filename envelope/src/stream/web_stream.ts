/**
 * The stream format as Web Streams (`TransformStream`, global on Node 20+, Bun and browsers):
 * pipe plaintext through {@link sealTransform} and sealed bytes through {@link openTransform}.
 *
 * The opening transform has the sequential guarantee (STREAM.md §5): each segment is enqueued
 * once its tag checked; a stream whose final segment is missing errors the readable side at the
 * end instead of closing it, so a reader that sees `done` has seen a complete stream.
 *
 * @example
 * ```ts
 * const sealed = Bun.file('big.bin').stream().pipeThrough(sealTransform({ wrapper }))
 * const plain = sealed.pipeThrough(openTransform({ unwrap }))
 * ```
 */
import { abytes } from '../_bytes.ts'
import { parseStreamHeader, streamHeaderLength } from './header.ts'
import { StreamOpener } from './stream_opener.ts'
import type { StreamOpenOptions } from './stream_opener.ts'
import { StreamSealer } from './stream_sealer.ts'
import type { StreamSealOptions } from './stream_sealer.ts'
import { EnvelopeInvalidError } from '../errors.ts'

/**
 * A `TransformStream` that seals plaintext bytes into a stream.
 *
 * @example
 * ```ts
 * await readable.pipeThrough(sealTransform({ wrapper })).pipeTo(writable)
 * ```
 */
export function sealTransform(options: StreamSealOptions): TransformStream<Uint8Array, Uint8Array> {
  let sealer: StreamSealer
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      sealer = await StreamSealer.create(options)
      controller.enqueue(sealer.header.bytes)
    },
    transform(chunk, controller) {
      for (const seg of sealer.push(chunk)) controller.enqueue(seg)
    },
    flush(controller) {
      for (const part of sealer.finishParts()) controller.enqueue(part)
    },
  })
}

/**
 * A `TransformStream` that opens a stream's bytes into plaintext.
 *
 * @example
 * ```ts
 * const reader = sealed.pipeThrough(openTransform({ unwrap })).getReader()
 * ```
 */
export function openTransform(options: StreamOpenOptions): TransformStream<Uint8Array, Uint8Array> {
  let head = new Uint8Array(0)
  let opener: StreamOpener | undefined
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      abytes(chunk, 'chunk')
      if (opener === undefined) {
        const joined = new Uint8Array(head.length + chunk.length)
        joined.set(head)
        joined.set(chunk, head.length)
        const need = streamHeaderLength(joined)
        if (need === undefined || joined.length < need) {
          head = joined
          return
        }
        const header = parseStreamHeader(new Uint8Array(joined.subarray(0, need)))
        opener = await StreamOpener.create(header, options)
        chunk = joined.subarray(need)
      }
      for (const pt of opener.push(chunk)) controller.enqueue(pt)
    },
    flush(controller) {
      if (opener === undefined) {
        throw new EnvelopeInvalidError(
          head.length === 0
            ? 'stream header: empty input'
            : `stream header: truncated (${head.length} bytes)`,
        )
      }
      controller.enqueue(opener.finish())
    },
  })
}
