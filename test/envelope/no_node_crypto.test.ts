import { randomBytes } from 'node:crypto'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type * as Envelope from '../../envelope/src/index.ts'
import { createLocalUnwrap as nodeUnwrap, Opener } from '../../envelope/src/index.ts'
import { fixedPrivateKey, fixedRecipient } from './_fixture.ts'

// The envelope on a runtime without node:crypto (a browser, a worker): a fresh copy of the module
// graph is loaded while `process.getBuiltinModule('node:crypto')` answers `undefined`, and
// everything must fall back to @noble/ciphers and WebCrypto, or refuse with
// ERR_NODE_CRYPTO_UNAVAILABLE. (vi.mock does not reach the envelope's own imports under
// `bun --bun`; stubbing the one call it makes does, on both runtimes.)
describe('without node:crypto', () => {
  let env: typeof Envelope

  beforeAll(async () => {
    const real = process.getBuiltinModule
    vi.resetModules()
    process.getBuiltinModule = ((id: string) =>
      id === 'node:crypto' || id === 'crypto' ? undefined : real(id)) as typeof real
    try {
      env = await import('../../envelope/src/index.ts')
    } finally {
      process.getBuiltinModule = real
    }
    expect(env.Opener).not.toBe(Opener) // a fresh copy, not the one imported above
  })

  function refusal(fn: () => unknown) {
    try {
      fn()
    } catch (err) {
      expect(err).toBeInstanceOf(env.NodeCryptoUnavailableError)
      return { code: (err as Envelope.EnvelopeError).code, message: (err as Error).message }
    }
    return 'returned'
  }

  it('selectAead() picks @noble/ciphers; asking for node is ERR_NODE_CRYPTO_UNAVAILABLE', () => {
    expect(env.selectAead().name).toBe('noble')
    expect(refusal(() => env.selectAead('node'))).toEqual({
      code: 'ERR_NODE_CRYPTO_UNAVAILABLE',
      message: "selectAead('node') needs node:crypto, which this runtime does not have",
    })
  })

  it('createLocalUnwrap and the fixed-seed wrapper refuse with ERR_NODE_CRYPTO_UNAVAILABLE', () => {
    expect(refusal(() => env.createLocalUnwrap(new Uint8Array(8)))).toEqual({
      code: 'ERR_NODE_CRYPTO_UNAVAILABLE',
      message: 'createLocalUnwrap needs node:crypto, which this runtime does not have',
    })
    const key = env.parseRecipientKey(fixedRecipient.spki)
    expect(refusal(() => env.createKeyWrapperWithSeed(key, new Uint8Array(32)))).toEqual({
      code: 'ERR_NODE_CRYPTO_UNAVAILABLE',
      message: 'createKeyWrapperWithSeed needs node:crypto, which this runtime does not have',
    })
  })

  it('parseRecipientKey still checks and pins (its DER reader needs no node:crypto)', () => {
    const key = env.parseRecipientKey(fixedRecipient.spki)
    expect(key.keyObject).toBeUndefined()
    expect(env.toHex(key.pin)).toBe(env.toHex(fixedRecipient.pin))
  })

  it('seals through WebCrypto and noble, and node:crypto opens the result', async () => {
    const key = env.parseRecipientKey(fixedRecipient.spki)
    const sealer = new env.Sealer({
      wrapper: env.createKeyWrapper(key),
      deviceId: 'gw-web',
      random: (n) => Uint8Array.from(randomBytes(n)),
    })
    let seq = 0
    const out = await sealer.sealAsync(new TextEncoder().encode('portable'), () => ++seq)
    // The opener on the cloud side has node:crypto.
    const opener = new Opener({ unwrap: nodeUnwrap(fixedPrivateKey) })
    await opener.openAnnouncement(out.announcement!.bytes, 'gw-web')
    const opened = await opener.openCompact(out.message.bytes, 'gw-web')
    expect(new TextDecoder().decode(opened.plaintext)).toBe('portable')
  })
})
