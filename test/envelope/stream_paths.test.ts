/**
 * The stream's two ways of handling segments agree: holding a full segment until a byte after it
 * shows it is not the last, and, when the length is known (`totalBytes` when sealing, the final
 * check when opening), sealing and opening in place. Random sizes and chunkings from a fixed
 * seed: the sealed bytes are identical, every way of opening gives the plaintext back, and a
 * flipped bit anywhere after the header is refused by every way of opening.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DecryptionFailedError, openRandomAccess, openStream } from '../../envelope/src/index.ts'
import { caught } from '../helpers/index.ts'
import { chunked, collect, openOptions, S, sealGolden } from './_stream_fixture.ts'

/** Deterministic bytes and choices: SHA-256 in counter mode over a seed. */
function prng(seed: string) {
  let counter = 0
  let pool = new Uint8Array(0)
  let at = 0
  const next = (): number => {
    if (at >= pool.length) {
      pool = createHash('sha256').update(`${seed}/${counter++}`).digest()
      at = 0
    }
    return pool[at++]!
  }
  return {
    int: (max: number) => ((next() << 16) | (next() << 8) | next()) % max,
    bytes: (n: number) => Uint8Array.from({ length: n }, next),
  }
}

const SEG = S + 16

describe('stream: in-place and held paths agree', () => {
  const r = prng('stream-paths')
  const cases = Array.from({ length: 24 }, (_, i) => {
    const n = [0, S, 2 * S, 3 * S][i % 4]! + (i < 4 ? 0 : r.int(3 * S))
    return { n, sizes: [1 + r.int(3 * S), 1 + r.int(2 * SEG)], readBytes: 1 + r.int(3 * SEG) }
  })

  it.each(cases)(
    '$n bytes, chunks $sizes, reads of $readBytes',
    async ({ n, sizes, readBytes }) => {
      const data = r.bytes(n)
      const held = await sealGolden(chunked(data, sizes))
      const inPlace = await sealGolden(chunked(data, sizes), n)
      expect(Buffer.from(inPlace).equals(Buffer.from(held))).toBe(true)

      const file = held
      const src = (f: Uint8Array) => ({
        size: f.length,
        read: (at: number, k: number) => f.slice(at, at + k),
      })
      const ways = {
        sequential: (f: Uint8Array) => openStream(chunked(f, [readBytes]), openOptions),
        finalCheck: (f: Uint8Array) =>
          openStream(chunked(f, [readBytes]), {
            ...openOptions,
            finalCheck: { totalBytes: f.length, read: src(f).read },
          }),
        randomAccess: (f: Uint8Array) => openRandomAccess(src(f), { ...openOptions, readBytes }),
      }
      for (const open of Object.values(ways)) {
        expect(Buffer.from(await collect(open(file))).equals(Buffer.from(data))).toBe(true)
      }
      // One bit flipped after the header (296 bytes): refused whichever way it is opened.
      const bad = Uint8Array.from(file)
      bad[296 + r.int(file.length - 296)]! ^= 1 << r.int(8)
      for (const [way, open] of Object.entries(ways)) {
        const err = await caught(() => collect(open(bad)))
        expect(err, way).toBeInstanceOf(DecryptionFailedError)
      }
    },
  )
})
