import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createKeyWrapper,
  createLocalUnwrap,
  encodeMetadata,
  MAX_MESSAGES_PER_KEY,
  Opener,
  SealRefusedError,
  Sealer,
  selectAead,
  toHex,
} from '../../envelope/src/index.ts'
import type { AeadBackend, KeyWrapper } from '../../envelope/src/index.ts'
import { fixedPrivateKey, fixedRecipient } from './_fixture.ts'

const wrapper = createKeyWrapper(fixedRecipient)
const random = (n: number) => Uint8Array.from(randomBytes(n))
const data = new TextEncoder().encode('{"t":1}')

function counter(start = 0) {
  let seq = start
  return () => ++seq
}

function refusal(fn: () => unknown) {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SealRefusedError)
    return { code: (err as SealRefusedError).code, message: (err as Error).message }
  }
  return 'sealed'
}

describe('Sealer: epochs', () => {
  it('starts an epoch on the first seal: announcement (full form) first, then the message', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random })
    const out = sealer.seal(data, counter(99))
    expect(out.announcement).toMatchObject({ seq: 100, form: 'full' })
    expect(out.message).toMatchObject({ seq: 101, form: 'compact' })
    expect(toHex(out.message.epochId)).toBe(toHex(out.announcement!.epochId))
    expect(sealer.announcement).toBe(out.announcement)
    const again = sealer.seal(data, counter(101))
    expect(again.announcement).toBeUndefined()
    const metadata = encodeMetadata({
      deviceId: 'd1',
      firstSeq: 100,
      bootCount: 0,
      agentVersion: '0.0.0',
    })
    expect(sealer.stats).toEqual({
      epochs: 1,
      messages: 3,
      epochMessages: 3,
      epochBytes: metadata.length + 2 * data.length,
    })
  })

  it('rotates after maxMessages (the announcement counts)', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random, limits: { maxMessages: 3 } })
    const next = counter()
    const epochs = new Set<string>()
    const announced: number[] = []
    for (let i = 0; i < 8; i++) {
      const out = sealer.seal(data, next)
      if (out.announcement) announced.push(out.announcement.seq)
      epochs.add(toHex(out.message.epochId))
    }
    // 3 messages per epoch: ann + 2 data. 8 data messages → 4 epochs.
    expect(announced).toEqual([1, 4, 7, 10])
    expect(epochs.size).toBe(4)
    expect(sealer.stats.epochs).toBe(4)
  })

  it('rotates when the epoch is maxAgeMs old (injected clock)', () => {
    let now = 1_000
    const sealer = new Sealer({
      wrapper,
      deviceId: 'd1',
      random,
      now: () => now,
      limits: { maxAgeMs: 60_000 },
    })
    const next = counter()
    expect(sealer.seal(data, next).announcement).toBeDefined()
    now += 59_999
    expect(sealer.seal(data, next).announcement).toBeUndefined()
    now += 1
    expect(sealer.seal(data, next).announcement).toBeDefined()
  })

  it('rotates when the injected clock steps back (the epoch age is then unknown)', () => {
    let now = 1_795_000_000_000
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random, now: () => now })
    const next = counter()
    expect(sealer.seal(data, next).announcement).toBeDefined()
    now -= 1
    expect(sealer.seal(data, next).announcement).toBeDefined()
    expect(sealer.seal(data, next).announcement).toBeUndefined()
  })

  describe('without an injected clock', () => {
    afterEach(() => {
      vi.restoreAllMocks()
    })

    it('reads Date.now (ms since 1970), at each seal', () => {
      const clock = vi.spyOn(Date, 'now').mockReturnValue(1_795_000_000_000)
      const sealer = new Sealer({ wrapper, deviceId: 'd1', random, limits: { maxAgeMs: 1000 } })
      const next = counter()
      expect(sealer.seal(data, next).announcement).toBeDefined()
      clock.mockReturnValue(1_795_000_000_999)
      expect(sealer.seal(data, next).announcement).toBeUndefined()
      clock.mockReturnValue(1_795_000_001_000)
      expect(sealer.seal(data, next).announcement).toBeDefined()
      expect(clock).toHaveBeenCalled()
    })
  })

  it('refuses a clock that is not a function (TypeError)', () => {
    expect(() => new Sealer({ wrapper, deviceId: 'd1', random, now: 5 as never })).toThrow(
      new TypeError('now: expected a function'),
    )
  })

  it('rotates before a message would take the epoch past maxBytes of plaintext', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random, limits: { maxBytes: 300 } })
    const next = counter()
    const big = new Uint8Array(200)
    expect(sealer.seal(big, next).announcement).toBeDefined() // metadata + 200 B
    expect(sealer.seal(big, next).announcement).toBeDefined() // would pass 300 B: new epoch
    expect(sealer.seal(new Uint8Array(10), next).announcement).toBeUndefined()
  })

  it('rotate() closes the epoch; a new sealer (a restart) never continues an old epoch', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random })
    const next = counter()
    const a = sealer.seal(data, next).message.epochId
    sealer.rotate()
    const b = sealer.seal(data, next)
    expect(b.announcement).toBeDefined()
    expect(toHex(b.message.epochId)).not.toBe(toHex(a))
    const restarted = new Sealer({ wrapper, deviceId: 'd1', random })
    expect(toHex(restarted.seal(data, next).message.epochId)).not.toBe(toHex(b.message.epochId))
  })

  it('sealAsync seals through the WebCrypto path (crypto.subtle RSA-OAEP) where no sync wrap exists', async () => {
    // A recipient key without a KeyObject is what parseRecipientKey returns on a runtime without
    // node:crypto: createKeyWrapper then wraps with crypto.subtle only.
    const webOnly = createKeyWrapper({ ...fixedRecipient, keyObject: undefined })
    expect(webOnly.wrapSync).toBeUndefined()
    const encrypt = vi.spyOn(globalThis.crypto.subtle, 'encrypt')
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey')
    try {
      const sealer = new Sealer({ wrapper: webOnly, deviceId: 'd1', random })
      expect(refusal(() => sealer.seal(data, counter()))).toEqual({
        code: 'ERR_SYNC_WRAP_UNAVAILABLE',
        message: 'this runtime wraps keys asynchronously only: use sealAsync',
      })
      const out = await sealer.sealAsync(data, counter(10))
      expect(encrypt).toHaveBeenCalledTimes(1)
      expect(encrypt.mock.calls[0]![0]).toEqual({ name: 'RSA-OAEP' })
      expect(importKey.mock.calls[0]!.slice(0, 3)).toEqual([
        'spki',
        fixedRecipient.spki,
        { name: 'RSA-OAEP', hash: 'SHA-256' },
      ])
      // Inside the epoch no wrap happens, so the synchronous seal works again.
      expect(sealer.seal(data, counter(20)).announcement).toBeUndefined()
      const opener = new Opener({ unwrap: createLocalUnwrap(fixedPrivateKey) })
      await opener.openAnnouncement(out.announcement!.bytes, 'd1')
      const opened = await opener.openCompact(out.message.bytes, 'd1')
      expect(Buffer.from(opened.plaintext).toString()).toBe('{"t":1}')
    } finally {
      encrypt.mockRestore()
      importKey.mockRestore()
    }
  })

  it('sealAsync: a sealer closed while the wrap is pending refuses, and zeroes the CEK', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const slow: KeyWrapper = {
      ...wrapper,
      wrapSync: undefined,
      wrap: async (cek) => {
        await gate
        return wrapper.wrap(cek)
      },
    }
    const handed: Uint8Array[] = []
    const sealer = new Sealer({
      wrapper: slow,
      deviceId: 'd1',
      random: (n) => {
        const b = random(n)
        handed.push(b)
        return b
      },
    })
    const pending = sealer.sealAsync(data, counter())
    sealer.close()
    release()
    await expect(pending).rejects.toMatchObject({
      code: 'ERR_SEALER_CLOSED',
      message: 'the sealer is closed',
    })
    expect(handed[0]!.every((x) => x === 0)).toBe(true)
  })
})

describe('Sealer: nonce rules', () => {
  it('refuses a sequence number that does not increase, and seals nothing', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random })
    sealer.seal(data, counter(4)) // 5 (announcement), 6
    const before = sealer.stats
    expect(refusal(() => sealer.seal(data, () => 6))).toEqual({
      code: 'ERR_SEQUENCE_NOT_INCREASING',
      message: 'sequence number 6 does not increase (last 6)',
    })
    expect(refusal(() => sealer.seal(data, () => 3))).toMatchObject({
      code: 'ERR_SEQUENCE_NOT_INCREASING',
    })
    expect(sealer.stats).toEqual(before)
    expect(sealer.seal(data, () => 7).message.seq).toBe(7)
  })

  it('an epoch whose first message failed is dropped with it: the next seal announces afresh', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random })
    let calls = 0
    // The announcement takes 10, then the message gets 10 again: refused.
    expect(refusal(() => sealer.seal(data, () => (++calls, 10)))).toMatchObject({
      code: 'ERR_SEQUENCE_NOT_INCREASING',
    })
    expect(calls).toBe(2)
    expect(sealer.announcement).toBeUndefined()
    const out = sealer.seal(data, counter(10))
    expect(out.announcement?.seq).toBe(11)
    expect(out.message.seq).toBe(12)
  })

  it('refuses a sequence number that is not a safe non-negative integer (RangeError)', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random })
    for (const bad of [-1, 2 ** 53, 1.5]) {
      expect(() => sealer.seal(data, () => bad)).toThrow(
        new RangeError(`sequence number: expected an integer in [0, 2^53 - 1], got ${bad}`),
      )
    }
  })

  it('refuses an entropy source that does not return 32 bytes', () => {
    const sealer = new Sealer({ wrapper, deviceId: 'd1', random: () => new Uint8Array(16) })
    expect(refusal(() => sealer.seal(data, counter()))).toEqual({
      code: 'ERR_ENTROPY_SOURCE',
      message: 'the random source did not return 32 bytes',
    })
  })

  it('never allows more than 2^32 messages per key, whatever the configuration', () => {
    expect(MAX_MESSAGES_PER_KEY).toBe(4294967296)
    expect(
      () => new Sealer({ wrapper, deviceId: 'd1', random, limits: { maxMessages: 2 ** 32 + 1 } }),
    ).toThrow(new RangeError('limits.maxMessages: expected an integer in [2, 2^32]'))
  })

  it('zeroes the CEK buffer it was given once the epoch keys are derived', () => {
    const handed: Uint8Array[] = []
    const sealer = new Sealer({
      wrapper,
      deviceId: 'd1',
      random: (n) => {
        const b = Uint8Array.from(randomBytes(n))
        handed.push(b)
        return b
      },
    })
    sealer.seal(data, counter())
    expect(handed).toHaveLength(1)
    expect(handed[0]!.every((x) => x === 0)).toBe(true)
  })

  it('no (key, nonce) pair repeats across 10^6 seals with rotation', () => {
    // A spy backend records every (key, nonce) the sealer uses, with node:crypto underneath.
    const seenKeys = new Set<object>()
    let nonces = new Set<string>()
    let currentKey: object | undefined
    let pairs = 0
    let repeats = 0
    const node = selectAead('node')
    const spy: AeadBackend = {
      name: 'node',
      importKey: (k) => {
        const key = node.importKey(k)
        if (seenKeys.has(key)) repeats++
        seenKeys.add(key)
        return key
      },
      sealInto: (key, nonce, aad, pt, out, at) => {
        if (key !== currentKey) {
          currentKey = key
          nonces = new Set()
        }
        const n = Buffer.from(nonce).toString('latin1')
        if (nonces.has(n)) repeats++
        nonces.add(n)
        pairs++
        return node.sealInto(key, nonce, aad, pt, out, at)
      },
      open: node.open,
    }
    const cekSeen = new Set<string>()
    const sealer = new Sealer({
      wrapper,
      deviceId: 'd1',
      aead: spy,
      limits: { maxMessages: 5_000 },
      random: (n) => {
        const b = Uint8Array.from(randomBytes(n))
        const h = toHex(b)
        if (cekSeen.has(h)) repeats++
        cekSeen.add(h)
        return b
      },
    })
    const next = counter()
    const empty = new Uint8Array(0)
    for (let i = 0; i < 1_000_000; i++) sealer.seal(empty, next)
    expect(repeats).toBe(0)
    expect(sealer.stats.epochs).toBe(Math.ceil(1_000_000 / 4_999))
    expect(pairs).toBe(1_000_000 + sealer.stats.epochs)
    expect(seenKeys.size).toBe(sealer.stats.epochs)
  }, 120_000)
})

describe('Sealer: bad input', () => {
  const sealer = new Sealer({ wrapper, deviceId: 'd1', random })
  it.each([
    [
      'a string plaintext',
      () => sealer.seal('x' as never, counter()),
      new TypeError('plaintext: expected Uint8Array'),
    ],
    [
      'a number as nextSeq',
      () => sealer.seal(data, 5 as never),
      new TypeError('nextSeq: expected a function'),
    ],
    [
      'an empty device id',
      () => new Sealer({ wrapper, deviceId: '', random }),
      new TypeError('deviceId: expected a non-empty string'),
    ],
    [
      'no random source',
      () => new Sealer({ wrapper, deviceId: 'd', random: undefined as never }),
      new TypeError('random: expected a function'),
    ],
  ])('throws a titled TypeError for %s', (_, fn, error) => {
    expect(fn).toThrow(error)
  })

  it('close() makes further seals fail with ERR_SEALER_CLOSED', async () => {
    const s = new Sealer({ wrapper, deviceId: 'd1', random })
    s.close()
    expect(refusal(() => s.seal(data, counter()))).toEqual({
      code: 'ERR_SEALER_CLOSED',
      message: 'the sealer is closed',
    })
    await expect(s.sealAsync(data, counter())).rejects.toBeInstanceOf(SealRefusedError)
  })

  it('toString names the device and epoch id only', () => {
    const s = new Sealer({ wrapper, deviceId: 'd1', random })
    const out = s.seal(data, counter())
    expect(String(s)).toBe(`Sealer(d1, epoch ${toHex(out.message.epochId)})`)
  })
})
