/**
 * Fixtures of the stream tests: the Wycheproof recipient of `_fixture.ts`, a sealer whose CEK,
 * file id and OAEP seed are fixed (golden bytes of STREAM.md §6), and small helpers.
 */
import { randomBytes } from 'node:crypto'
import {
  createKeyWrapper,
  createKeyWrapperWithSeed,
  createLocalUnwrap,
  sealBytes,
  sealStream,
} from '../../envelope/src/index.ts'
import type { StreamOpenOptions } from '../../envelope/src/index.ts'
import { fixedPrivateKey, fixedRecipient } from './_fixture.ts'

export { fixedPrivateKey }

/** CEK = 00..1f, file id = 20..2f, OAEP seed = a0..bf. */
const GOLDEN_CEK = Uint8Array.from({ length: 32 }, (_, i) => i)
const GOLDEN_FILE_ID = Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i)
const GOLDEN_SEED = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i)

/** A random source that hands out the CEK, then the file id (the order the sealer draws them). */
export function goldenRandom(): (n: number) => Uint8Array {
  const queue = [GOLDEN_CEK, GOLDEN_FILE_ID]
  return (n) => {
    const next = queue.shift()
    if (!next || next.length !== n) throw new Error(`unexpected draw of ${n} bytes`)
    return Uint8Array.from(next)
  }
}

export const goldenWrapper = createKeyWrapperWithSeed(fixedRecipient, GOLDEN_SEED)
export const wrapper = createKeyWrapper(fixedRecipient)
export const openOptions: StreamOpenOptions = { unwrap: createLocalUnwrap(fixedPrivateKey) }

/** A small segment size so that multi-segment cases stay fast. */
export const S = 1024

/** Seals `data` with segment size `segmentBytes`. */
export function seal(data: Uint8Array, segmentBytes = S): Promise<Uint8Array> {
  return sealBytes(data, { wrapper, segmentBytes })
}

/** Random bytes as a Uint8Array. */
export function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n))
}

/** Splits `data` into chunks of the given sizes (cycled). */
export function* chunked(data: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let at = 0
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!
    yield data.subarray(at, at + n)
    at += n
  }
}

/** Collects an async iterable of bytes. */
export async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of it) parts.push(Uint8Array.from(p))
  return Buffer.concat(parts)
}

/**
 * Seals `chunks` with the golden CEK, file id and OAEP seed and segment size {@link S}, telling
 * the sealer the length when `totalBytes` is given: equal inputs give equal bytes.
 */
export function sealGolden(chunks: Iterable<Uint8Array>, totalBytes?: number): Promise<Uint8Array> {
  return collect(
    sealStream(chunks, {
      wrapper: goldenWrapper,
      random: goldenRandom(),
      segmentBytes: S,
      totalBytes,
    }),
  )
}
