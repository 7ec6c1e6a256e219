import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it, vi } from 'vitest'
import {
  createLocalUnwrap,
  DecryptionFailedError,
  openBytes,
  openNodeTransform,
  openRandomAccess,
  openStream,
  openTransform,
  parseStreamHeader,
  sealBytes,
  sealNodeTransform,
  sealStream,
  sealTransform,
  streamLayout,
  StreamOpener,
  StreamSealer,
  UnwrapUnavailableError,
} from '../../envelope/src/index.ts'
import { caught } from '../helpers/index.ts'
import {
  bytes,
  chunked,
  collect,
  goldenRandom,
  goldenWrapper,
  openOptions,
  S,
  seal,
  sealGolden,
  wrapper,
} from './_stream_fixture.ts'

const HEADER = 296 // RSA-2048 recipient
const SEG = S + 16

async function opaque(p: Promise<unknown>): Promise<void> {
  const err = await caught(p)
  expect(err).toBeInstanceOf(DecryptionFailedError)
  expect([err.code, err.message]).toEqual(['ERR_DECRYPTION_FAILED', 'decryption failed'])
}

/** Opens sequentially and records what was released before the outcome. */
async function sequential(file: Uint8Array, sizes = [333]) {
  const released: Uint8Array[] = []
  try {
    for await (const pt of openStream(chunked(file, sizes), openOptions)) released.push(pt)
    return { released, error: undefined }
  } catch (error) {
    return { released, error: error as Error & { code?: string } }
  }
}

describe('stream round trips', () => {
  const sizes = [0, 1, S - 1, S, S + 1, 2 * S, 3 * S + 7, 64 * 1024 + 3]
  it.each(sizes)('%i bytes: sealed length, header, and back', async (n) => {
    const data = bytes(n)
    const file = await seal(data)
    const segments = Math.max(1, Math.ceil(n / S))
    expect(file.length).toBe(HEADER + n + 16 * segments)
    expect(streamLayout(file.length, parseStreamHeader(file.subarray(0, HEADER)))).toMatchObject({
      segments,
      plaintextBytes: n,
    })
    expect(Buffer.from(await openBytes(file, openOptions)).equals(Buffer.from(data))).toBe(true)
    // the same bytes read sequentially in odd chunk sizes, sync and async sources alike
    for (const chunks of [[1], [7, 300, 4096], [file.length]]) {
      const out = await collect(openStream(chunked(file, chunks), openOptions))
      expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true)
    }
  })

  it('the default segment size is 256 KiB; segment size ± 1 around it round-trips', async () => {
    const D = 256 * 1024
    for (const n of [D - 1, D, D + 1]) {
      const data = bytes(n)
      const file = await sealBytes(data, { wrapper })
      expect(parseStreamHeader(file.subarray(0, HEADER)).segmentBytes).toBe(D)
      expect(file.length).toBe(HEADER + n + 16 * Math.ceil(n / D))
      expect(Buffer.from(await openBytes(file, openOptions)).equals(Buffer.from(data))).toBe(true)
    }
  })

  it.each([0, 1, S - 1, S, S + 1, 2 * S, 3 * S + 7])(
    'totalBytes (%i bytes): the same stream, byte for byte, as without it, from any chunking',
    async (n) => {
      const data = bytes(n)
      const expected = await sealGolden([data])
      for (const sizes of [[S], [1], [S - 1, S + 1], [3 * S + 7]]) {
        const got = await sealGolden(chunked(data, sizes), n)
        expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true)
      }
      // A segment is released as soon as it is complete and known not to be the last; the final
      // one only by finish, even when sealed earlier (a stream is complete only once it finished).
      const s = await StreamSealer.create({ wrapper, segmentBytes: S, totalBytes: 2 * S + 2 })
      expect(s.push(bytes(S)).length).toBeGreaterThan(0)
      expect(s.push(bytes(S)).length).toBeGreaterThan(0)
      expect(s.push(bytes(1))).toEqual([])
      expect(s.push(bytes(1))).toEqual([])
      expect(s.finish().length).toBe(2 + 16)
    },
  )

  it('totalBytes: a byte past the announced length leaves a stream that never opens', async () => {
    const data = bytes(S + 5)
    const s = await StreamSealer.create({ wrapper, segmentBytes: S, totalBytes: S + 5 })
    const written = [s.header.bytes, ...s.push(data)]
    expect((await caught(async () => s.push(bytes(1)))).code).toBe('ERR_PLAINTEXT_LENGTH')
    // What was handed out has no final segment: every way of opening refuses it.
    const file = Buffer.concat(written)
    expect(file.length).toBe(HEADER + SEG)
    await opaque(openBytes(file, openOptions))
    const { error } = await sequential(file)
    expect(error).toBeInstanceOf(DecryptionFailedError)
  })

  it('checkFinal comes once, before any push (else a TypeError)', async () => {
    const file = await seal(bytes(2 * S + 3))
    const header = parseStreamHeader(file.subarray(0, HEADER))
    const read = (at: number, n: number) => file.subarray(at, at + n)
    const late = await StreamOpener.create(header, openOptions)
    late.push(file.subarray(HEADER, HEADER + 10))
    const err = await caught(() => late.checkFinal(file.length, read))
    expect([err.name, err.message]).toEqual([
      'TypeError',
      'StreamOpener: checkFinal comes once, before any push',
    ])
    const twice = await StreamOpener.create(header, openOptions)
    await twice.checkFinal(file.length, read)
    expect((await caught(() => twice.checkFinal(file.length, read))).name).toBe('TypeError')
  })

  it('checkFinal with resent: false: finish releases the checked plaintext after the bytes before the final segment; a byte of the final segment pushed again, or a segment missing before it, fails', async () => {
    const data = bytes(2 * S + 3)
    const file = await seal(data)
    const header = parseStreamHeader(file.subarray(0, HEADER))
    const read = (at: number, n: number) => file.subarray(at, at + n)
    const ok = await StreamOpener.create(header, openOptions)
    const layout = await ok.checkFinal(file.length, read, { resent: false })
    expect(layout.lastOffset).toBe(HEADER + 2 * SEG)
    const parts = [...ok.push(file.subarray(HEADER, layout.lastOffset)), ok.finish()]
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true)
    const extra = await StreamOpener.create(header, openOptions)
    await extra.checkFinal(file.length, read, { resent: false })
    extra.push(file.subarray(HEADER, layout.lastOffset + 1))
    expect((await caught(() => extra.finish())).code).toBe('ERR_DECRYPTION_FAILED')
    const short = await StreamOpener.create(header, openOptions)
    await short.checkFinal(file.length, read, { resent: false })
    short.push(file.subarray(HEADER, HEADER + SEG))
    expect((await caught(() => short.finish())).code).toBe('ERR_DECRYPTION_FAILED')
  })

  it('finishParts gives the final segment as its pieces (ciphertext, tag); finish joins them', async () => {
    const data = bytes(S + 10)
    const a = await StreamSealer.create({
      wrapper: goldenWrapper,
      random: goldenRandom(),
      segmentBytes: S,
    })
    const b = await StreamSealer.create({
      wrapper: goldenWrapper,
      random: goldenRandom(),
      segmentBytes: S,
    })
    expect(Buffer.concat(a.push(data)).equals(Buffer.concat(b.push(data)))).toBe(true)
    const parts = a.finishParts()
    expect(parts.map((p) => p.length)).toEqual([10, 16])
    expect(Buffer.concat(parts).equals(Buffer.from(b.finish()))).toBe(true)
    expect((await caught(async () => a.finishParts())).code).toBe('ERR_SEALER_CLOSED')
  })

  it('totalBytes: more bytes fail at the push, fewer at finish, with ERR_PLAINTEXT_LENGTH', async () => {
    const more = await StreamSealer.create({ wrapper, segmentBytes: S, totalBytes: S })
    expect(more.push(bytes(S))).toEqual([]) // complete, but nothing final handed out yet
    const over = await caught(async () => more.push(bytes(1)))
    expect([over.code, over.message]).toEqual([
      'ERR_PLAINTEXT_LENGTH',
      `more than the ${S} bytes announced (totalBytes)`,
    ])
    const fewer = await StreamSealer.create({ wrapper, segmentBytes: S, totalBytes: 2 * S })
    fewer.push(bytes(S))
    const under = await caught(async () => fewer.finish())
    expect([under.code, under.message]).toEqual([
      'ERR_PLAINTEXT_LENGTH',
      `${S} bytes, not the ${2 * S} announced (totalBytes)`,
    ])
    const bad = await caught(() => StreamSealer.create({ wrapper, totalBytes: -1 }))
    expect(bad).toBeInstanceOf(TypeError)
  })

  it.each([S, 2 * S, 3 * S + 7])(
    'random access with segment-aligned reads (%i bytes): every segment opens in place',
    async (n) => {
      const data = bytes(n)
      const file = await seal(data)
      const src = { size: file.length, read: (at: number, k: number) => file.subarray(at, at + k) }
      for (const readBytes of [SEG, 2 * SEG, 7]) {
        const out = await collect(openRandomAccess(src, { ...openOptions, readBytes }))
        expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true)
      }
    },
  )

  it('seals from any chunking to the same layout; async sources work', async () => {
    const data = bytes(5 * S + 3)
    async function* slow() {
      for (const c of chunked(data, [1, 999, 5000])) yield c
    }
    const a = await collect(sealStream(slow(), { wrapper, segmentBytes: S }))
    const b = await collect(sealStream([data], { wrapper, segmentBytes: S }))
    expect(a.length).toBe(b.length)
    expect(Buffer.from(await openBytes(a, openOptions)).equals(Buffer.from(data))).toBe(true)
  })

  it('Node streams: pipeline through the Duplex transforms', async () => {
    const data = bytes(4 * S + 5)
    const sealed: Buffer[] = []
    await pipeline(
      Readable.from(chunked(data, [700])),
      sealNodeTransform({ wrapper, segmentBytes: S }),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) sealed.push(Buffer.from(c))
      },
    )
    const opened: Buffer[] = []
    await pipeline(
      Readable.from([Buffer.concat(sealed)]),
      openNodeTransform(openOptions),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) opened.push(Buffer.from(c))
      },
    )
    expect(Buffer.concat(opened).equals(Buffer.from(data))).toBe(true)
  })

  it('Node streams: a truncated stream makes pipeline reject (never a clean end)', async () => {
    const file = await seal(bytes(3 * S))
    const cut = file.subarray(0, HEADER + 2 * SEG)
    const err = await caught(
      pipeline(
        Readable.from([cut]),
        openNodeTransform(openOptions),
        async function* (src: AsyncIterable<Buffer>) {
          for await (const _ of src) void _
        },
      ),
    )
    expect(err.code).toBe('ERR_DECRYPTION_FAILED')
  })

  it('Web streams: pipeThrough both transforms', async () => {
    const data = bytes(3 * S + 1)
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        for (const part of chunked(data, [500])) c.enqueue(part)
        c.close()
      },
    })
    const plain = src
      .pipeThrough(sealTransform({ wrapper, segmentBytes: S }))
      .pipeThrough(openTransform(openOptions))
    const out = await collect(plain as unknown as AsyncIterable<Uint8Array>)
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true)
  })

  it('Web streams: a stream cut at a segment boundary errors the readable side', async () => {
    const file = await seal(bytes(2 * S + 9))
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(file.subarray(0, HEADER + SEG))
        c.close()
      },
    })
    await opaque(
      collect(src.pipeThrough(openTransform(openOptions)) as unknown as AsyncIterable<Uint8Array>),
    )
  })

  it('the portable backend (@noble/ciphers) and node:crypto read each other', async () => {
    const data = bytes(2 * S + 77)
    const byNoble = await sealBytes(data, { wrapper, segmentBytes: S, aead: 'noble' })
    const byNode = await sealBytes(data, { wrapper, segmentBytes: S, aead: 'node' })
    for (const [file, aead] of [
      [byNoble, 'node'],
      [byNode, 'noble'],
    ] as const) {
      const back = await openBytes(file, { ...openOptions, aead })
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
    }
    const bad = Buffer.from(byNode)
    bad[HEADER + 3]! ^= 1
    await opaque(openBytes(bad, { ...openOptions, aead: 'noble' }))
  })

  it('one CEK per stream: two seals of the same bytes share nothing', async () => {
    const data = bytes(100)
    const [a, b] = [await seal(data), await seal(data)]
    const [ha, hb] = [
      parseStreamHeader(a.subarray(0, HEADER)),
      parseStreamHeader(b.subarray(0, HEADER)),
    ]
    expect(Buffer.from(ha.fileId).equals(Buffer.from(hb.fileId))).toBe(false)
    expect(Buffer.from(ha.wrapped).equals(Buffer.from(hb.wrapped))).toBe(false)
  })

  it('a sealer refuses to go on after finish', async () => {
    const s = await StreamSealer.create({ wrapper, segmentBytes: S })
    s.finish()
    expect((await caught(() => s.push(bytes(1)))).code).toBe('ERR_SEALER_CLOSED')
  })
})

describe('stream tampering: every case is the one opaque error', () => {
  const data = bytes(4 * S + 100) // 5 segments, the last with 100 bytes
  let file: Uint8Array
  const mutated = async (f: (b: Buffer) => Buffer) => f(Buffer.from(file))

  it('prepare', async () => {
    file = await seal(data)
    expect(file.length).toBe(HEADER + 4 * SEG + 116)
  })

  const cases: [string, (b: Buffer) => Buffer][] = [
    [
      'two segments swapped',
      (b) =>
        Buffer.concat([
          b.subarray(0, HEADER),
          b.subarray(HEADER + SEG, HEADER + 2 * SEG),
          b.subarray(HEADER, HEADER + SEG),
          b.subarray(HEADER + 2 * SEG),
        ]),
    ],
    [
      'truncated at a segment boundary (final segment dropped)',
      (b) => b.subarray(0, HEADER + 4 * SEG),
    ],
    ['truncated inside a segment', (b) => b.subarray(0, HEADER + 2 * SEG + 10)],
    ['truncated inside the final tag', (b) => b.subarray(0, b.length - 3)],
    ['the header alone', (b) => b.subarray(0, HEADER)],
    ['extended by one byte', (b) => Buffer.concat([b, Buffer.of(0)])],
    [
      'extended by a copy of the final segment',
      (b) => Buffer.concat([b, b.subarray(HEADER + 4 * SEG)]),
    ],
    [
      'a segment dropped in the middle',
      (b) => Buffer.concat([b.subarray(0, HEADER + SEG), b.subarray(HEADER + 2 * SEG)]),
    ],
    ['a ciphertext bit flipped', (b) => ((b[HEADER + 3 * SEG + 5]! ^= 1), b)],
    ['a tag bit flipped', (b) => ((b[HEADER + SEG - 1]! ^= 0x80), b)],
    ['header: file id changed', (b) => ((b[20]! ^= 1), b)],
    ['header: segment size changed (in bounds)', (b) => ((b[12]! ^= 0x08), b)],
    ['header: wrapped key changed', (b) => ((b[HEADER - 1]! ^= 1), b)],
    ['header: pin id changed', (b) => ((b[31]! ^= 1), b)],
  ]

  it.each(cases)(
    '%s: refused by the random-access opener, which releases nothing',
    async (_, f) => {
      const bad = await mutated(f)
      const released: Uint8Array[] = []
      const src = { size: bad.length, read: (at: number, n: number) => bad.subarray(at, at + n) }
      await opaque(
        (async () => {
          for await (const pt of openRandomAccess(src, { ...openOptions, readBytes: SEG }))
            released.push(pt)
        })(),
      )
      // Only a segment altered in the middle can fail after earlier ones were released.
      expect(released.length).toBe(_ === 'a ciphertext bit flipped' ? 3 : 0)
    },
  )

  it.each(cases)(
    '%s: refused by the sequential opener, which never ends normally',
    async (_, f) => {
      const { error } = await sequential(await mutated(f))
      expect(error).toBeInstanceOf(DecryptionFailedError)
    },
  )

  it('sequential: a stream cut at a boundary releases the authenticated segments before it, then fails', async () => {
    const { released, error } = await sequential(file.subarray(0, HEADER + 4 * SEG))
    expect(error?.code).toBe('ERR_DECRYPTION_FAILED')
    expect(released.length).toBe(3) // the 4th is held back, the 5th is missing
    expect(Buffer.concat(released).equals(Buffer.from(data.subarray(0, 3 * S)))).toBe(true)
  })

  it('random access: truncation at a boundary releases nothing at all', async () => {
    const cut = file.subarray(0, HEADER + 4 * SEG)
    const released: Uint8Array[] = []
    await opaque(
      (async () => {
        for await (const pt of openRandomAccess(
          { size: cut.length, read: (a, n) => cut.subarray(a, a + n) },
          openOptions,
        ))
          released.push(pt)
      })(),
    )
    expect(released).toEqual([])
  })

  it('random access reads every byte once: the header, the final segment, then the segments before it, and releases the checked final plaintext last', async () => {
    // The final segment is opened once, by the check, and never read again: what the reads
    // before it deliver are whole segments, each opened where it lies.
    const finalAt = HEADER + 4 * SEG
    const reads: [number, number][] = []
    const src = {
      size: file.length,
      read: (at: number, n: number) => {
        reads.push([at, n])
        return file.subarray(at, at + n)
      },
    }
    const released: Uint8Array[] = []
    for await (const pt of openRandomAccess(src, { ...openOptions, readBytes: 2 * SEG + 1 })) {
      released.push(pt)
    }
    expect(reads).toEqual([
      [0, 40],
      [40, HEADER - 40],
      [finalAt, file.length - finalAt],
      [HEADER, 2 * SEG],
      [HEADER + 2 * SEG, 2 * SEG],
    ])
    expect(released.map((p) => p.length)).toEqual([S, S, S, S, data.length - 4 * S])
    expect(Buffer.concat(released).equals(Buffer.from(data))).toBe(true)
  })

  it('random access: a source that reuses one buffer for every read opens the same bytes', async () => {
    const scratch = new Uint8Array(file.length)
    const src = {
      size: file.length,
      read: (at: number, n: number) => {
        scratch.fill(0xee) // what the previous read returned is overwritten
        scratch.set(file.subarray(at, at + n))
        return scratch.subarray(0, n)
      },
    }
    const released: Uint8Array[] = []
    for await (const pt of openRandomAccess(src, { ...openOptions, readBytes: SEG })) {
      released.push(new Uint8Array(pt))
    }
    expect(Buffer.concat(released).equals(Buffer.from(data))).toBe(true)
  })

  it('random access: a bad readBytes or size is a RangeError and a read that is not bytes a TypeError, before anything is released', async () => {
    const read = (at: number, n: number) => file.subarray(at, at + n)
    for (const [src, opts, message] of [
      [
        { size: file.length, read },
        { readBytes: Number.NaN },
        'readBytes: a positive integer, got NaN',
      ],
      [{ size: file.length, read }, { readBytes: 0 }, 'readBytes: a positive integer, got 0'],
      [{ size: -1, read }, {}, 'source.size: a safe integer ≥ 0, got -1'],
    ] as const) {
      const err = await caught(async () => {
        for await (const _ of openRandomAccess(src, { ...openOptions, ...opts })) void _
      })
      expect([err.name, err.message]).toEqual(['RangeError', message])
    }
    const finalAt = HEADER + 4 * SEG
    const notBytes = {
      size: file.length,
      read: (at: number, n: number) =>
        at === finalAt ? ([] as unknown as Uint8Array) : read(at, n),
    }
    const err = await caught(async () => {
      for await (const _ of openRandomAccess(notBytes, openOptions)) void _
    })
    expect([err.name, err.message]).toEqual(['TypeError', 'read: expected Uint8Array'])
  })

  it('random access: the opener is discarded (held plaintext zeroed) when a middle segment fails and when the reader stops early', async () => {
    const spy = vi.spyOn(StreamOpener.prototype, 'discard')
    try {
      const bad = Buffer.from(file)
      bad[HEADER + SEG + 5]! ^= 1 // the second segment
      const released: Uint8Array[] = []
      await opaque(
        (async () => {
          for await (const pt of openRandomAccess(
            { size: bad.length, read: (at, n) => bad.subarray(at, at + n) },
            { ...openOptions, readBytes: SEG },
          ))
            released.push(pt)
        })(),
      )
      expect(released.map((p) => p.length)).toEqual([S])
      expect(spy).toHaveBeenCalled()
      const calls = spy.mock.calls.length
      for await (const _ of openRandomAccess(
        { size: file.length, read: (at, n) => file.subarray(at, at + n) },
        openOptions,
      )) {
        void _
        break
      }
      expect(spy.mock.calls.length).toBe(calls + 1)
    } finally {
      spy.mockRestore()
    }
  })

  it('random access: a source that hands back fewer bytes than asked before the final segment is the opaque error', async () => {
    const finalAt = HEADER + 4 * SEG
    const src = {
      size: file.length,
      read: (at: number, n: number) =>
        file.subarray(at, at + (at < finalAt && at >= HEADER ? n - 1 : n)),
    }
    const released: Uint8Array[] = []
    await opaque(
      (async () => {
        for await (const pt of openRandomAccess(src, openOptions)) released.push(pt)
      })(),
    )
    expect(released).toEqual([])
  })

  it('a wrong private key is the opaque error (random CEK, then the first tag)', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    await opaque(openBytes(file, { unwrap: createLocalUnwrap(other) }))
  })

  it('an unwrap that fails for another reason is ERR_UNWRAP_UNAVAILABLE', async () => {
    const err = await caught(
      openBytes(file, {
        unwrap: () => {
          throw new Error('network')
        },
      }),
    )
    expect(err).toBeInstanceOf(UnwrapUnavailableError)
  })

  it('pinIds: another kid is refused before any unwrap', async () => {
    let calls = 0
    const err = await caught(
      openBytes(file, { unwrap: () => (calls++, new Uint8Array(32)), pinIds: [new Uint8Array(8)] }),
    )
    expect([err.code, err.message, calls]).toEqual([
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: stream header: the recipient kid is not a key of this opener',
      0,
    ])
  })

  it('structural header errors come before any key, with their own code', async () => {
    const notOurs = Buffer.from('hello world, this is not a sealwire stream at all....')
    expect((await caught(openBytes(notOurs, openOptions))).message).toBe(
      'sealwire/1: stream header: not a sealwire stream (bad magic)',
    )
    expect((await caught(collect(openStream([file.subarray(0, 100)], openOptions)))).message).toBe(
      'sealwire/1: stream header: truncated (100 bytes)',
    )
    expect((await caught(collect(openStream([], openOptions)))).message).toBe(
      'sealwire/1: stream header: empty input',
    )
    const big = Buffer.from(file)
    big.writeUInt32BE(32 * 1024 * 1024, 10)
    expect((await caught(openBytes(big, openOptions))).message).toBe(
      'sealwire/1: stream header: segment size 33554432 out of bounds',
    )
    const format = Buffer.from(file)
    format[8] = 2
    expect((await caught(openBytes(format, openOptions))).message).toBe(
      'sealwire/1: stream header: unsupported format 2',
    )
  })
})
