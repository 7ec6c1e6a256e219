/**
 * The stream format as Node streams: `Duplex` transforms built with `Duplex.from` over
 * {@link sealStream} and {@link openStream}. `node:stream` is loaded through
 * `process.getBuiltinModule`, so the envelope still loads where it is absent (then these two
 * functions throw `ERR_NODE_CRYPTO_UNAVAILABLE`'s sibling, a plain `TypeError`).
 *
 * The opening transform has the sequential guarantee (STREAM.md §5): a stream whose final
 * segment is missing ends with an `'error'` event, never with `'end'`/`'finish'`, so `pipeline`
 * rejects.
 *
 * @example
 * ```ts
 * await pipeline(createReadStream('big.bin'), sealNodeTransform({ wrapper }), createWriteStream('big.sw'))
 * ```
 */
import type * as NodeStream from 'node:stream'
import { openStream } from './stream_opener.ts'
import type { OpenStreamOptions } from './stream_opener.ts'
import { sealStream } from './stream_sealer.ts'
import type { StreamSealOptions } from './stream_sealer.ts'

type WithBuiltins = { process?: { getBuiltinModule?: (id: string) => unknown } }

function nodeStream(): typeof NodeStream {
  const mod = (globalThis as WithBuiltins).process?.getBuiltinModule?.('node:stream') as
    typeof NodeStream | undefined
  if (!mod) throw new TypeError('Node stream transforms need node:stream')
  return mod
}

/**
 * A Node `Duplex` that seals what is written to it.
 *
 * @example
 * ```ts
 * await pipeline(process.stdin, sealNodeTransform({ wrapper }), process.stdout)
 * ```
 */
export function sealNodeTransform(options: StreamSealOptions): NodeStream.Duplex {
  return nodeStream().Duplex.from(async function* (source: AsyncIterable<Uint8Array>) {
    yield* sealStream(source, options)
  })
}

/**
 * A Node `Duplex` that opens what is written to it.
 *
 * @example
 * ```ts
 * await pipeline(createReadStream('big.sw'), openNodeTransform({ unwrap }), out)
 * ```
 */
export function openNodeTransform(options: OpenStreamOptions): NodeStream.Duplex {
  return nodeStream().Duplex.from(async function* (source: AsyncIterable<Uint8Array>) {
    yield* openStream(source, options)
  })
}
