import { generateKeyPairSync, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  createLocalUnwrap,
  DecryptionFailedError,
  encodeMetadata,
  EnvelopeError,
  KeyStoreUnavailableError,
  MemoryEpochKeyStore,
  Opener,
  parseEnvelope,
  Sealer,
  toHex,
} from '../../envelope/src/index.ts'
import type { EpochKeys, EpochKeyStore, Unwrap } from '../../envelope/src/index.ts'
import { fixedPrivateKey, fixedRecipient } from './_fixture.ts'

const random = (n: number) => Uint8Array.from(randomBytes(n))
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)
const unwrap = createLocalUnwrap(fixedPrivateKey)

function setup(deviceId = 'gw-1', options: { maxMessages?: number } = {}) {
  let seq = 0
  const sealer = new Sealer({
    wrapper: createKeyWrapper(fixedRecipient),
    deviceId,
    random,
    limits: { maxMessages: options.maxMessages ?? 1000 },
  })
  return { sealer, next: () => ++seq }
}

async function failure(p: Promise<unknown> | (() => unknown)) {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError)
    return { code: (err as EnvelopeError).code, message: (err as Error).message }
  }
  return 'opened'
}

const OPAQUE = { code: 'ERR_DECRYPTION_FAILED', message: 'decryption failed' }

describe('Opener', () => {
  it('unwraps once per epoch: the announcement costs one unwrap, compact messages none', async () => {
    const { sealer, next } = setup()
    const store = new MemoryEpochKeyStore()
    const opener = new Opener({ unwrap, store })
    expect(opener.store).toBe(store)
    const first = sealer.seal(enc('m0'), next)
    const ann = await opener.openAnnouncement(first.announcement!.bytes, 'gw-1')
    expect(ann).toMatchObject({ form: 'full', seq: 1, unwrapped: true })
    expect(ann.metadata).toMatchObject({ deviceId: 'gw-1', firstSeq: 1 })
    const texts = [dec((await opener.openCompact(first.message.bytes, 'gw-1')).plaintext)]
    for (let i = 1; i < 50; i++)
      texts.push(
        dec((await opener.open(sealer.seal(enc(`m${i}`), next).message.bytes, 'gw-1')).plaintext),
      )
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`))
    expect(opener.unwraps).toBe(1)
    expect(store.size).toBe(1)
  })

  it('a full data message of a cached epoch costs no unwrap', async () => {
    const { sealer, next } = setup()
    const opener = new Opener({ unwrap })
    const first = sealer.seal(enc('a'), next)
    await opener.open(first.announcement!.bytes, 'gw-1')
    const full = await opener.open(sealer.seal(enc('b'), next, 'full').message.bytes, 'gw-1')
    expect([dec(full.plaintext), full.unwrapped, opener.unwraps]).toEqual(['b', false, 1])
  })

  it('a compact message of an unknown epoch is ERR_EPOCH_UNKNOWN (park it), not a decryption failure', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(enc('x'), next)
    const opener = new Opener({ unwrap })
    expect(await failure(opener.open(out.message.bytes, 'gw-1'))).toEqual({
      code: 'ERR_EPOCH_UNKNOWN',
      message: `sealwire/1: no key for epoch ${toHex(out.message.epochId)}`,
    })
    await opener.openAnnouncement(out.announcement!.bytes, 'gw-1')
    expect(dec((await opener.openCompact(out.message.bytes, 'gw-1')).plaintext)).toBe('x')
  })

  it('a message moved to another device topic fails with the opaque error (external_aad)', async () => {
    const { sealer, next } = setup('gw-1')
    const out = sealer.seal(enc('x'), next)
    const store = new MemoryEpochKeyStore()
    const opener = new Opener({ unwrap, store })
    expect(await failure(opener.open(out.announcement!.bytes, 'gw-2'))).toEqual(OPAQUE)
    // and the key is not stored under gw-2 for having been tried
    expect(store.size).toBe(0)
  })

  it('a key announcement whose metadata names another device than the topic is refused', async () => {
    // A full message sealed for gw-1's topic (AAD gw-1) whose payload is metadata naming gw-2,
    // with the message's own sequence number: only the device id is wrong.
    const { sealer, next } = setup('gw-1')
    sealer.seal(enc('warm'), next) // seq 1 (announcement), 2
    const forged = encodeMetadata({
      deviceId: 'gw-2',
      firstSeq: 3,
      bootCount: 0,
      agentVersion: '1',
    })
    const message = sealer.seal(forged, next, 'full').message
    expect(message.seq).toBe(3)
    const store = new MemoryEpochKeyStore()
    const opener = new Opener({ unwrap, store })
    expect(await failure(opener.openAnnouncement(message.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: 'sealwire/1: announcement metadata names another device than the topic',
    })
    // The message itself authenticated, so its epoch is known; it just is not an announcement.
    expect(dec((await opener.open(message.bytes, 'gw-1')).plaintext)).toBe(dec(forged))
  })

  it("a key announcement whose metadata's first sequence number is not its own is refused", async () => {
    const { sealer, next } = setup('gw-1')
    sealer.seal(enc('warm'), next) // seq 1, 2
    const meta = encodeMetadata({ deviceId: 'gw-1', firstSeq: 1, bootCount: 0, agentVersion: '1' })
    const message = sealer.seal(meta, next, 'full').message // seq 3
    const opener = new Opener({ unwrap })
    expect(await failure(opener.openAnnouncement(message.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: "sealwire/1: announcement metadata's first sequence number 1 is not the message's 3",
    })
  })

  it('a full data message (a payload that is not metadata) given as an announcement is refused', async () => {
    const { sealer, next } = setup('gw-1')
    const first = sealer.seal(enc('x'), next, 'full')
    const opener = new Opener({ unwrap })
    expect(await failure(opener.openAnnouncement(first.message.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: 'sealwire/1: announcement metadata is not deterministic CBOR',
    })
    const err = await opener.openAnnouncement(first.message.bytes, 'gw-1').catch((e: Error) => e)
    expect((err as Error).cause).toBeUndefined()
  })

  it('a compact message given as an announcement, or a full one to openCompact, is refused', async () => {
    const { sealer, next } = setup('gw-1')
    const out = sealer.seal(enc('x'), next)
    const opener = new Opener({ unwrap })
    expect(await failure(opener.openAnnouncement(out.message.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: 'sealwire/1: an announcement is a full message',
    })
    expect(await failure(opener.openCompact(out.announcement!.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: 'sealwire/1: expected a compact message',
    })
  })

  it('wrong private key: the opaque error, and nothing cached', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(enc('x'), next)
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const store = new MemoryEpochKeyStore()
    const opener = new Opener({ unwrap: createLocalUnwrap(other), store })
    expect(await failure(opener.open(out.announcement!.bytes, 'gw-1'))).toEqual(OPAQUE)
    expect(store.size).toBe(0)
  })

  it('an unwrap that returns a CEK of the wrong length: the opaque error', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(enc('x'), next)
    const opener = new Opener({ unwrap: () => new Uint8Array(16) })
    expect(await failure(opener.open(out.announcement!.bytes, 'gw-1'))).toEqual(OPAQUE)
  })

  it('an unwrap that fails for another reason (throttling, network): ERR_UNWRAP_UNAVAILABLE with the cause', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(enc('x'), next)
    const cause = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })
    const opener = new Opener({
      unwrap: () => {
        throw cause
      },
    })
    let caught: unknown
    await opener.open(out.announcement!.bytes, 'gw-1').catch((e) => (caught = e))
    expect(caught).toMatchObject({
      code: 'ERR_UNWRAP_UNAVAILABLE',
      message: 'sealwire/1: the key unwrap service failed; retry later',
    })
    expect((caught as Error).cause).toBe(cause)
  })

  it('the unwrap receives the wrapped key and the pin id as kid', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(enc('x'), next)
    const calls: [string, string][] = []
    const spy: Unwrap = (w, kid) => {
      calls.push([String(w.length), toHex(kid)])
      return unwrap(w, kid)
    }
    await new Opener({ unwrap: spy }).open(out.announcement!.bytes, 'gw-1')
    expect(calls).toEqual([['256', toHex(fixedRecipient.pinId)]])
  })

  it('a different wrapped key under a cached epoch id is never served from the cache', async () => {
    const { sealer, next } = setup()
    const a = sealer.seal(enc('x'), next)
    const opener = new Opener({ unwrap })
    await opener.open(a.announcement!.bytes, 'gw-1')
    const tampered = Uint8Array.from(a.announcement!.bytes)
    tampered[tampered.length - 1]! ^= 1 // last byte of the wrapped CEK
    expect(await failure(opener.open(tampered, 'gw-1'))).toEqual(OPAQUE)
    expect(opener.unwraps).toBe(2)
  })

  it('per-call limits: a message over maxBytes is ERR_ENVELOPE_LIMIT before anything else', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(new Uint8Array(2000), next)
    const opener = new Opener({ unwrap, limits: { maxBytes: 1024 } })
    expect(await failure(opener.open(out.message.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_LIMIT',
      message: `CBOR decode error: input of ${out.message.bytes.length} bytes exceeds maxBytes 1024`,
    })
  })

  it('interoperates across AEAD backends: sealed with node, opened with noble, and back', async () => {
    for (const [s, o] of [
      ['node', 'noble'],
      ['noble', 'node'],
    ] as const) {
      let seq = 0
      const sealer = new Sealer({
        wrapper: createKeyWrapper(fixedRecipient),
        deviceId: 'gw-1',
        random,
        aead: s,
      })
      const opener = new Opener({ unwrap, aead: o })
      const out = sealer.seal(enc(`${s}->${o}`), () => ++seq)
      await opener.openAnnouncement(out.announcement!.bytes, 'gw-1')
      expect(dec((await opener.openCompact(out.message.bytes, 'gw-1')).plaintext)).toBe(
        `${s}->${o}`,
      )
    }
  })

  it('with pinIds set, a full message naming another kid is refused before any unwrap', async () => {
    const { sealer, next } = setup()
    const out = sealer.seal(enc('x'), next)
    const opener = new Opener({ unwrap, pinIds: [new Uint8Array(8)] })
    expect(await failure(opener.open(out.announcement!.bytes, 'gw-1'))).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: `sealwire/1: recipient kid ${toHex(fixedRecipient.pinId)} is not a pinned key`,
    })
    expect(opener.unwraps).toBe(0)
  })

  it('the default store keeps at most maxEntries epochs (LRU)', async () => {
    const store = new MemoryEpochKeyStore({ maxEntries: 2 })
    const opener = new Opener({ unwrap, store })
    const { sealer, next } = setup('gw-1', { maxMessages: 2 })
    const messages: Uint8Array[] = []
    for (let i = 0; i < 3; i++) {
      const out = sealer.seal(enc(`e${i}`), next)
      await opener.openAnnouncement(out.announcement!.bytes, 'gw-1')
      messages.push(out.message.bytes)
    }
    expect(store.size).toBe(2)
    expect(await failure(opener.openCompact(messages[0]!, 'gw-1'))).toMatchObject({
      code: 'ERR_EPOCH_UNKNOWN',
    })
    expect(dec((await opener.openCompact(messages[2]!, 'gw-1')).plaintext)).toBe('e2')
  })

  it('works over any EpochKeyStore: a store that rebuilds its values opens like the default', async () => {
    // A stand-in for a shared store: it keeps only (wrapped CEK, device) and rebuilds EpochKeys
    // on every get, as a Redis store re-deriving from the announcement would.
    const { deriveEpochKeys, selectAead } = await import('../../envelope/src/index.ts')
    const ceks = new Map<string, Uint8Array>()
    const rebuilt: EpochKeys[] = []
    const rebuilding: EpochKeyStore = {
      async get(deviceId, epochIdHex) {
        const k = `${deviceId}/${epochIdHex}`
        const wrapped = ceks.get(k)
        if (!wrapped) return undefined
        const cek = Uint8Array.from(await unwrap(wrapped, new Uint8Array(8)))
        const keys = deriveEpochKeys(cek, wrapped, deviceId, selectAead())
        rebuilt.push(keys)
        return keys
      },
      async put(deviceId, epochIdHex, keys) {
        ceks.set(`${deviceId}/${epochIdHex}`, keys.wrapped)
      },
      async delete(deviceId, epochIdHex) {
        return ceks.delete(`${deviceId}/${epochIdHex}`)
      },
    }
    const { sealer, next } = setup('gw-1')
    const out = sealer.seal(enc('a'), next)
    const opener = new Opener({ unwrap, store: rebuilding })
    await opener.openAnnouncement(out.announcement!.bytes, 'gw-1')
    expect(dec((await opener.openCompact(out.message.bytes, 'gw-1')).plaintext)).toBe('a')
    const full = await opener.open(sealer.seal(enc('b'), next, 'full').message.bytes, 'gw-1')
    expect([dec(full.plaintext), full.unwrapped]).toEqual(['b', false])
    expect(rebuilt.length).toBe(2) // the announcement's get missed; then one rebuild per open
    expect(opener.unwraps).toBe(1)
  })

  it('a store that fails is ERR_KEY_STORE_UNAVAILABLE (retry) with its error as the cause', async () => {
    const { sealer, next } = setup('gw-1')
    const out = sealer.seal(enc('x'), next)
    const down = new Error('ECONNREFUSED 127.0.0.1:6379')
    const memory = new MemoryEpochKeyStore()
    let failGet = false
    let failPut = true
    const flaky: EpochKeyStore = {
      get: (d, e) => (failGet ? Promise.reject(down) : memory.get(d, e)),
      put: (d, e, k) => (failPut ? Promise.reject(down) : memory.put(d, e, k)),
      delete: (d, e) => memory.delete(d, e),
    }
    const opener = new Opener({ unwrap, store: flaky })
    const caught = async (p: Promise<unknown>) =>
      p.then(
        () => 'opened',
        (e: unknown) => e,
      )
    const putFailure = await caught(opener.openAnnouncement(out.announcement!.bytes, 'gw-1'))
    expect(putFailure).toBeInstanceOf(KeyStoreUnavailableError)
    expect(putFailure).toMatchObject({
      code: 'ERR_KEY_STORE_UNAVAILABLE',
      message: 'sealwire/1: the epoch key store failed (put); retry later',
      cause: down,
    })
    failPut = false
    await opener.openAnnouncement(out.announcement!.bytes, 'gw-1')
    failGet = true
    for (const p of [
      opener.openCompact(out.message.bytes, 'gw-1'),
      opener.open(out.announcement!.bytes, 'gw-1'),
    ]) {
      expect(await caught(p)).toMatchObject({
        code: 'ERR_KEY_STORE_UNAVAILABLE',
        message: 'sealwire/1: the epoch key store failed (get); retry later',
        cause: down,
      })
    }
    failGet = false
    expect(dec((await opener.openCompact(out.message.bytes, 'gw-1')).plaintext)).toBe('x')
  })

  it("uses a store's getSync when it answers, and falls back to get when it does not", async () => {
    const { sealer, next } = setup('gw-1')
    const out = sealer.seal(enc('s'), next)
    const memory = new MemoryEpochKeyStore()
    const calls: string[] = []
    const down = new Error('sync lookup failed')
    let mode: 'answer' | 'not at hand' | 'throw' = 'answer'
    const store: EpochKeyStore = {
      get: (d, e) => (calls.push('get'), memory.get(d, e)),
      getSync: (d, e) => {
        calls.push('getSync')
        if (mode === 'throw') throw down
        return mode === 'answer' ? memory.getSync(d, e) : undefined
      },
      put: (d, e, k) => memory.put(d, e, k),
      delete: (d, e) => memory.delete(d, e),
    }
    const opener = new Opener({ unwrap, store })
    expect(await failure(opener.openCompact(out.message.bytes, 'gw-1'))).toMatchObject({
      code: 'ERR_EPOCH_UNKNOWN',
    })
    expect(calls).toEqual(['getSync', 'get'])
    await opener.openAnnouncement(out.announcement!.bytes, 'gw-1')
    calls.length = 0
    expect(dec((await opener.openCompact(out.message.bytes, 'gw-1')).plaintext)).toBe('s')
    expect(calls).toEqual(['getSync'])
    mode = 'not at hand'
    calls.length = 0
    expect(dec((await opener.open(out.message.bytes, 'gw-1')).plaintext)).toBe('s')
    expect(calls).toEqual(['getSync', 'get'])
    mode = 'throw'
    const p = opener.openCompact(out.message.bytes, 'gw-1')
    expect(p).toBeInstanceOf(Promise)
    await expect(p).rejects.toMatchObject({ code: 'ERR_KEY_STORE_UNAVAILABLE', cause: down })
  })

  it('openCompactSync opens a parsed compact message at once when the store has its keys at hand', async () => {
    const { sealer, next } = setup('gw-1')
    const first = sealer.seal(enc('first'), next)
    const second = sealer.seal(enc('second'), next)
    const opener = new Opener({ unwrap })
    const parsed = parseEnvelope(second.message.bytes, opener.limits)
    if (parsed.form !== 'compact') throw new Error('expected a compact message')
    expect(opener.openCompactSync(parsed, 'gw-1')).toBeUndefined() // epoch not known yet
    await opener.openAnnouncement(first.announcement!.bytes, 'gw-1')
    const opened = opener.openCompactSync(parsed, 'gw-1')!
    expect(opened).toMatchObject({ form: 'compact', seq: second.message.seq, unwrapped: false })
    expect(dec(opened.plaintext)).toBe('second')
    expect(toHex(opened.epochId)).toBe(toHex(second.message.epochId))
    // Moved to another device: no keys there. Tampered: the opaque error, thrown at once.
    expect(opener.openCompactSync(parsed, 'gw-2')).toBeUndefined()
    const bytes = Uint8Array.from(second.message.bytes)
    bytes[bytes.length - 1]! ^= 1
    const tampered = parseEnvelope(bytes, opener.limits)
    expect(() => opener.openCompactSync(tampered as typeof parsed, 'gw-1')).toThrow(
      expect.objectContaining(OPAQUE),
    )
    // A store without getSync: never at hand.
    const memory = new MemoryEpochKeyStore()
    const noSync = new Opener({
      unwrap,
      store: {
        get: (d, e) => memory.get(d, e),
        put: (d, e, k) => memory.put(d, e, k),
        delete: (d, e) => memory.delete(d, e),
      },
    })
    await noSync.openAnnouncement(first.announcement!.bytes, 'gw-1')
    expect(noSync.openCompactSync(parsed, 'gw-1')).toBeUndefined()
    expect(dec((await noSync.open(second.message.bytes, 'gw-1')).plaintext)).toBe('second')
  })

  it('refuses the old `cache` option and a store without get/put/delete (TypeError)', () => {
    expect(() => new Opener({ unwrap, cache: new MemoryEpochKeyStore() } as never)).toThrow(
      new TypeError('cache: this option is now `store`, an asynchronous EpochKeyStore'),
    )
    expect(() => new Opener({ unwrap, store: { get: () => undefined } as never })).toThrow(
      new TypeError('store: expected an EpochKeyStore (get, put, delete)'),
    )
  })

  it('open and openCompact report every failure as a rejection, never a synchronous throw', async () => {
    const opener = new Opener({ unwrap })
    let result: Promise<unknown> | undefined
    expect(() => (result = opener.openCompact(Uint8Array.of(0xff), 'gw-1'))).not.toThrow()
    expect(await failure(result!)).toEqual({
      code: 'ERR_ENVELOPE_MALFORMED',
      message: 'CBOR decode error: unexpected break',
    })
    let bad: Promise<unknown> | undefined
    expect(() => (bad = opener.openCompact(Uint8Array.of(0xff), ''))).not.toThrow()
    await expect(bad).rejects.toThrow(new TypeError('deviceId: expected a non-empty string'))
    // open (either form) likewise.
    let viaOpen: Promise<unknown> | undefined
    expect(() => (viaOpen = opener.open(Uint8Array.of(0xff), 'gw-1'))).not.toThrow()
    expect(await failure(viaOpen!)).toEqual({
      code: 'ERR_ENVELOPE_MALFORMED',
      message: 'CBOR decode error: unexpected break',
    })
    let badOpen: Promise<unknown> | undefined
    expect(() => (badOpen = opener.open(Uint8Array.of(0xff), ''))).not.toThrow()
    await expect(badOpen).rejects.toThrow(new TypeError('deviceId: expected a non-empty string'))
  })
})

describe('Opener: properties (fast-check)', () => {
  const { sealer, next } = setup('gw-p', { maxMessages: 1_000_000 })
  const opener = new Opener({ unwrap, pinIds: [fixedRecipient.pinId] })
  const first = sealer.seal(enc('warm'), next)

  it('open(seal(x)) = x, both forms', async () => {
    await opener.openAnnouncement(first.announcement!.bytes, 'gw-p')
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (x, full) => {
        const out = sealer.seal(x, next, full ? 'full' : 'compact')
        const opened = await opener.open(out.message.bytes, 'gw-p')
        expect(toHex(opened.plaintext)).toBe(toHex(x))
        expect(opened.seq).toBe(out.message.seq)
      }),
      { numRuns: 300 },
    )
  })

  it('flipping any bit of any message never opens; in the authenticated bytes it is the opaque error', async () => {
    await opener.openAnnouncement(first.announcement!.bytes, 'gw-p')
    const codes = new Map<string, number>()
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        fc.nat(),
        fc.nat(7),
        async (x, full, at, bit) => {
          const out = sealer.seal(x, next, full ? 'full' : 'compact')
          const bytes = Uint8Array.from(out.message.bytes)
          const i = at % bytes.length
          bytes[i]! ^= 1 << bit
          const r = await failure(opener.open(bytes, 'gw-p'))
          expect(r).not.toBe('opened')
          const { code } = r as { code: string }
          codes.set(code, (codes.get(code) ?? 0) + 1)
          // The ciphertext and tag: from after the ciphertext's length head to its end.
          const ctLen = x.length + 16
          const ctEnd = full ? bytes.length - (9 + 8 + 3 + 256) : bytes.length
          if (i >= ctEnd - ctLen && i < ctEnd) expect(r).toEqual(OPAQUE)
          // The structural codes are those of parsing, never a crash or an untyped error.
          expect([
            'ERR_DECRYPTION_FAILED',
            'ERR_ENVELOPE_MALFORMED',
            'ERR_ENVELOPE_LIMIT',
            'ERR_ENVELOPE_INVALID',
            'ERR_ENVELOPE_UNSUPPORTED_ALG',
            'ERR_EPOCH_UNKNOWN',
          ]).toContain(code)
        },
      ),
      { numRuns: 2000 },
    )
    expect(codes.get('ERR_DECRYPTION_FAILED')).toBeGreaterThan(1000)
  })

  it('every opaque failure has the same message and no cause', async () => {
    const out = sealer.seal(enc('z'), next)
    const bad = Uint8Array.from(out.message.bytes)
    bad[bad.length - 1]! ^= 0x80
    let caught: unknown
    try {
      await opener.openCompact(bad, 'gw-p')
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(DecryptionFailedError)
    expect(caught).toMatchObject(OPAQUE)
    expect((caught as Error).cause).toBeUndefined()
  })
})
