import { createCipheriv, getCiphers, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { aesKeyUnwrapPad, aesKeyWrapPad } from '../../kms-local/src/aes_key_wrap.ts'

// RFC 5649 §6: the two test vectors (192-bit KEK).
const KEK = Buffer.from('5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8', 'hex')
const VECTORS = [
  [
    'c37b7e6492584340bed12207808941155068f738',
    '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a',
  ],
  ['466f7250617369', 'afbeb0f07dfbf5419200f2ccb50bb24f'],
] as const

describe('AES Key Wrap with Padding (RFC 5649)', () => {
  for (const [i, [key, wrapped]] of VECTORS.entries()) {
    it(`rfc5649/section-6/${i + 1}: wraps to and unwraps from the published bytes`, () => {
      expect(aesKeyWrapPad(KEK, Buffer.from(key, 'hex')).toString('hex')).toBe(wrapped)
      expect(aesKeyUnwrapPad(KEK, Buffer.from(wrapped, 'hex'))?.toString('hex')).toBe(key)
    })
  }

  const nodeHasKwp = getCiphers().includes('id-aes256-wrap-pad')
  // Bun's crypto (BoringSSL) has no id-aes256-wrap-pad: the cross-test needs the OpenSSL one.
  it.runIf(nodeHasKwp)(
    'matches OpenSSL id-aes256-wrap-pad on random inputs of many lengths',
    () => {
      for (const n of [1, 7, 8, 9, 15, 16, 17, 32, 33, 255, 1217, 2400]) {
        const kek = randomBytes(32)
        const data = randomBytes(n)
        const c = createCipheriv('id-aes256-wrap-pad', kek, Buffer.from('a65959a6', 'hex'))
        const reference = Buffer.concat([c.update(data), c.final()])
        expect(aesKeyWrapPad(kek, data).equals(reference), `length ${n}`).toBe(true)
        expect(aesKeyUnwrapPad(kek, reference)?.equals(data), `length ${n}`).toBe(true)
      }
    },
  )

  it('fails (undefined, no detail) on a flipped bit anywhere, a wrong KEK or a bad length', () => {
    const kek = randomBytes(32)
    const wrapped = aesKeyWrapPad(kek, randomBytes(40))
    for (let bit = 0; bit < wrapped.length * 8; bit += 13) {
      const bad = Buffer.from(wrapped)
      bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7))
      expect(aesKeyUnwrapPad(kek, bad), `bit ${bit}`).toBeUndefined()
    }
    expect(aesKeyUnwrapPad(randomBytes(32), wrapped)).toBeUndefined()
    expect(aesKeyUnwrapPad(kek, wrapped.subarray(1))).toBeUndefined()
    expect(aesKeyUnwrapPad(kek, Buffer.alloc(8))).toBeUndefined()
  })

  it('refuses a KEK of a wrong length and an empty plaintext (caller bugs)', () => {
    expect(() => aesKeyWrapPad(Buffer.alloc(20), Buffer.alloc(8))).toThrow(RangeError)
    expect(() => aesKeyWrapPad(Buffer.alloc(32), Buffer.alloc(0))).toThrow(RangeError)
  })
})
