import { describe, expect, it } from 'vitest'
import { inspect } from 'node:util'
import {
  createKeyWrapper,
  createLocalUnwrap,
  EnvelopeError,
  Opener,
  Sealer,
  toHex,
} from '../../envelope/src/index.ts'
import { fixedPrivateKey, fixedRecipient } from './_fixture.ts'

// No key material or plaintext may appear in an error, a log line or a printed object.
describe('no secrets in errors or printed state', () => {
  const cek = Uint8Array.from({ length: 32 }, (_, i) => 0xc0 ^ i)
  const cekHex = toHex(cek)
  const secret = new TextEncoder().encode('SECRET-READING-0xDEADBEEF')
  const secretHex = toHex(secret)

  function leaks(text: string): boolean {
    return (
      text.includes(cekHex) ||
      text.includes(secretHex) ||
      text.includes('SECRET-READING') ||
      text.includes(Buffer.from(cek).toString('base64'))
    )
  }

  it('a sealer, its stats and its output metadata show no CEK or plaintext', () => {
    let seq = 0
    const sealer = new Sealer({
      wrapper: createKeyWrapper(fixedRecipient),
      deviceId: 'gw-s',
      random: () => Uint8Array.from(cek),
    })
    const out = sealer.seal(secret, () => ++seq)
    for (const shown of [
      String(sealer),
      inspect(sealer, { depth: 5 }),
      JSON.stringify(sealer.stats),
      inspect(out.message.epochId),
    ]) {
      expect(leaks(shown), shown).toBe(false)
    }
  })

  it('every failure while opening carries no CEK or plaintext (message, cause, inspect)', async () => {
    let seq = 0
    const sealer = new Sealer({
      wrapper: createKeyWrapper(fixedRecipient),
      deviceId: 'gw-s',
      random: () => Uint8Array.from(cek),
    })
    const out = sealer.seal(secret, () => ++seq)
    const opener = new Opener({ unwrap: createLocalUnwrap(fixedPrivateKey) })
    await opener.openAnnouncement(out.announcement!.bytes, 'gw-s')
    const errors: unknown[] = []
    for (let i = 0; i < out.message.bytes.length; i++) {
      const bad = Uint8Array.from(out.message.bytes)
      bad[i]! ^= 0x04
      try {
        await opener.open(bad, 'gw-s')
      } catch (err) {
        errors.push(err)
      }
    }
    try {
      await opener.open(out.message.bytes, 'gw-other')
    } catch (err) {
      errors.push(err)
    }
    expect(errors.length).toBe(out.message.bytes.length + 1)
    for (const err of errors) {
      expect(err).toBeInstanceOf(EnvelopeError)
      const shown = `${String(err)} ${inspect(err, { depth: 5 })} ${JSON.stringify(err)}`
      expect(leaks(shown), shown).toBe(false)
    }
  })
})
