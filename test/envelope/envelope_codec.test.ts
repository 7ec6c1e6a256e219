import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  defaultDecodeLimits,
  EnvelopeError,
  parseEnvelope,
  Sealer,
  toHex,
} from '../../envelope/src/index.ts'
import { fixedRecipient } from './_fixture.ts'

const sealer = new Sealer({
  wrapper: createKeyWrapper(fixedRecipient),
  deviceId: 'gw-1',
  random: (n) => Uint8Array.from(randomBytes(n)),
})
let seq = 299
const out = sealer.seal(new Uint8Array(4), () => ++seq)
const compact = toHex(out.message.bytes)
const full = toHex(out.announcement!.bytes)
const h = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'))

function rejection(hexString: string) {
  try {
    parseEnvelope(h(hexString), defaultDecodeLimits)
    return 'parsed'
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError)
    return { code: (err as EnvelopeError).code, message: (err as Error).message }
  }
}

describe('parseEnvelope: the sealwire/1 profile', () => {
  it('parses both forms into their parts', () => {
    const c = parseEnvelope(out.message.bytes, defaultDecodeLimits)
    expect(c).toMatchObject({ form: 'compact', seq: 301 })
    expect(toHex((c as { epochId: Uint8Array }).epochId)).toBe(toHex(out.message.epochId))
    const f = parseEnvelope(out.announcement!.bytes, defaultDecodeLimits)
    expect(f).toMatchObject({ form: 'full', seq: 300 })
    expect(toHex((f as { kid: Uint8Array }).kid)).toBe(toHex(fixedRecipient.pinId))
  })

  // Each row edits the valid compact message `d0 83 43 a10103 a2 04 48 <id> 06 42 012d 54 <ct>`.
  const id = compact.slice(18, 34)
  const tail = compact.slice(34)
  /**
   * The compact message with `from`, found in its constant 18-byte head, replaced by `to`. Throws
   * (failing the collection) if the edit would not change the message.
   */
  function mutate(from: string, to: string): string {
    const at = compact.indexOf(from)
    if (at < 0 || at + from.length > 36 || from === to) throw new Error(`no-op mutation ${from}`)
    return compact.slice(0, at) + to + compact.slice(at + from.length)
  }
  it.each([
    [
      'untagged',
      compact.slice(2),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: a message must be tagged COSE_Encrypt0 (16) or COSE_Encrypt (96)',
    ],
    [
      'tag 17',
      'd1' + compact.slice(2),
      'ERR_ENVELOPE_MALFORMED',
      'CBOR decode error: tag 17 is not allowed',
    ],
    [
      'alg A128GCM in the protected header',
      compact.replace('43a10103', '43a10101'),
      'ERR_ENVELOPE_UNSUPPORTED_ALG',
      'sealwire/1: unsupported content algorithm 1',
    ],
    [
      'an empty protected header',
      'd08340a20448' + id + tail,
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: protected header must be exactly {1: 3}',
    ],
    [
      'an extra protected label ({1: 3, 3: 0})',
      mutate('43a10103', '45a201030300'),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: protected header must be exactly {1: 3}',
    ],
    [
      'a crit header (label 2) in the unprotected header',
      mutate('a20448', 'a302800448'),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: content: critical headers (label 2) are not supported',
    ],
    [
      'a crit header (label 2) in the protected header',
      mutate('43a10103', '45a201030280'),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: content: critical headers (label 2) are not supported',
    ],
    [
      'a 7-byte epoch id',
      compact.slice(0, 16) + '47' + id.slice(2) + tail,
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: epoch id must be 8 bytes',
    ],
    [
      'a non-minimal Partial IV',
      compact.slice(0, 34) + '0643 00012d' + compact.slice(42),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: Partial IV is not minimal',
    ],
    [
      'an empty Partial IV',
      compact.slice(0, 34) + '0640' + compact.slice(42),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: Partial IV must be 1 to 7 bytes',
    ],
    [
      'a trailing byte',
      compact + '00',
      'ERR_ENVELOPE_MALFORMED',
      'CBOR decode error: trailing bytes after the item',
    ],
    [
      'an IV header (label 5) instead of the Partial IV',
      compact.slice(0, 34) + '05' + compact.slice(36),
      'ERR_ENVELOPE_INVALID',
      'sealwire/1: the compact unprotected header must hold exactly the labels 4, 6',
    ],
  ])('refuses %s', (_, bytes, code, message) => {
    expect(bytes.replace(/ /g, '')).not.toBe(compact)
    expect(rejection(bytes.replace(/ /g, ''))).toEqual({ code, message })
  })

  it('the header mutations above are real edits of the valid message', () => {
    expect(mutate('a20448', 'a302800448')).toBe(
      compact.slice(0, 12) + 'a302800448' + compact.slice(18),
    )
    expect(() => mutate('a20448', 'a20448')).toThrow('no-op mutation a20448')
    expect(() => mutate('0280', '0280')).toThrow('no-op mutation 0280')
  })

  it('refuses a full message whose recipient uses RSA-OAEP with SHA-1 (alg -40): no downgrade', () => {
    expect(rejection(full.replace('a20138280448', 'a20138270448'))).toEqual({
      code: 'ERR_ENVELOPE_UNSUPPORTED_ALG',
      message: 'sealwire/1: unsupported recipient algorithm -40',
    })
  })

  it('refuses a full message with a truncated wrapped key', () => {
    const cut = full.replace('590100', '58ff').slice(0, -2)
    expect(rejection(cut)).toEqual({
      code: 'ERR_ENVELOPE_INVALID',
      message: 'sealwire/1: wrapped key must be 256, 384 or 512 bytes',
    })
  })
})

describe('parseEnvelope: the compact fast path agrees with the strict path', () => {
  it('on every single-bit flip and every truncation of a compact message', async () => {
    const { parseEnvelopeStrict } = await import('../../envelope/src/envelope_codec.ts')
    const outcome = (f: () => unknown) => {
      try {
        return JSON.stringify(f(), (_, v) => (v instanceof Uint8Array ? toHex(v) : v))
      } catch (err) {
        return `${(err as EnvelopeError).code}: ${(err as Error).message}`
      }
    }
    const msgs = [out.message.bytes, sealer.seal(new Uint8Array(300), () => ++seq).message.bytes]
    let compared = 0
    for (const m of msgs) {
      const variants: Uint8Array[] = [m]
      for (let i = 0; i < m.length; i++) {
        variants.push(m.subarray(0, i))
        for (let bit = 0; bit < 8; bit++) {
          const v = Uint8Array.from(m)
          v[i]! ^= 1 << bit
          variants.push(v)
        }
      }
      for (const v of variants) {
        expect(outcome(() => parseEnvelope(v, defaultDecodeLimits))).toBe(
          outcome(() => parseEnvelopeStrict(v, defaultDecodeLimits)),
        )
        compared++
      }
    }
    expect(compared).toBeGreaterThan(3000)
  })
})
