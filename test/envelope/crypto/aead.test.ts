import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { AeadBackendName } from '../../../envelope/src/index.ts'
import { DecryptionFailedError, selectAead } from '../../../envelope/src/index.ts'
import { hex, readVector, toHexString } from '../../helpers/vectors.ts'

interface GcmCase {
  tcId: number
  key: string
  iv: string
  aad: string
  msg: string
  ct: string
  tag: string
  result: 'valid' | 'invalid' | 'acceptable'
  flags: string[]
}

const file = readVector<{
  testGroups: { keySize: number; ivSize: number; tagSize: number; tests: GcmCase[] }[]
}>('wycheproof/aes_gcm_test.json')
// The profile's suite: AES-256, 96-bit nonce, 128-bit tag. Other IV sizes are refused by policy
// (checkNonceLength), tested below.
const profileCases = file.testGroups
  .filter((g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128)
  .flatMap((g) => g.tests)

describe.each(['node', 'noble'] as AeadBackendName[])('AES-256-GCM backend %s', (name) => {
  const aead = selectAead(name)

  it('Wycheproof aes_gcm_test: the 66 AES-256 / 96-bit IV cases, every one right', () => {
    expect(profileCases.length).toBe(66)
    let valid = 0
    let invalid = 0
    for (const c of profileCases) {
      const label = `wycheproof/aes_gcm_test/${c.tcId}`
      const key = aead.importKey(hex(c.key))
      const sealed = hex(c.ct + c.tag)
      if (c.result === 'valid') {
        const out = aead.open(key, hex(c.iv), hex(c.aad), sealed)
        expect(toHexString(out), label).toBe(c.msg)
        const msg = hex(c.msg)
        const buf = new Uint8Array(msg.length + 16)
        expect(aead.sealInto(key, hex(c.iv), hex(c.aad), msg, buf, 0), label).toBe(buf.length)
        expect(toHexString(buf), label).toBe(c.ct + c.tag)
        valid++
      } else {
        let caught: unknown
        try {
          aead.open(key, hex(c.iv), hex(c.aad), sealed)
        } catch (err) {
          caught = err
        }
        expect(caught, label).toBeInstanceOf(DecryptionFailedError)
        expect(caught, label).toMatchObject({
          code: 'ERR_DECRYPTION_FAILED',
          message: 'decryption failed',
        })
        invalid++
      }
    }
    expect([valid, invalid]).toEqual([39, 27])
  })

  it('refuses nonces that are not 12 bytes with a RangeError (policy)', () => {
    const key = aead.importKey(new Uint8Array(32))
    expect(() => aead.open(key, new Uint8Array(8), new Uint8Array(0), new Uint8Array(16))).toThrow(
      new RangeError('GCM nonce: expected 12 bytes, got 8'),
    )
  })

  it('refuses bad key lengths with a RangeError', () => {
    expect(() => aead.importKey(new Uint8Array(31))).toThrow(
      new RangeError('AES key: expected 16, 24 or 32 bytes, got 31'),
    )
  })

  it('a sealed input shorter than a tag is the opaque error', () => {
    const key = aead.importKey(new Uint8Array(32))
    let caught: unknown
    try {
      aead.open(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(DecryptionFailedError)
    expect(caught).toMatchObject({ code: 'ERR_DECRYPTION_FAILED', message: 'decryption failed' })
  })
})

describe('AES-GCM backends cross-check each other', () => {
  it('node and noble produce identical bytes and open each other, on random inputs', () => {
    const node = selectAead('node')
    const noble = selectAead('noble')
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 2048 }),
        (k, n, aad, pt) => {
          const a = new Uint8Array(pt.length + 16)
          const b = new Uint8Array(pt.length + 16)
          node.sealInto(node.importKey(k), n, aad, pt, a, 0)
          noble.sealInto(noble.importKey(k), n, aad, pt, b, 0)
          expect(toHexString(a)).toBe(toHexString(b))
          expect(toHexString(noble.open(noble.importKey(k), n, aad, a))).toBe(toHexString(pt))
          expect(toHexString(node.open(node.importKey(k), n, aad, b))).toBe(toHexString(pt))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('a key imported by one backend is refused by the other (TypeError)', () => {
    const k = selectAead('node').importKey(randomBytes(32))
    expect(() =>
      selectAead('noble').open(k, new Uint8Array(12), new Uint8Array(0), new Uint8Array(16)),
    ).toThrow(new TypeError('noble AEAD: key was imported by another backend'))
  })

  it('selectAead() picks node:crypto where present', () => {
    expect(selectAead().name).toBe('node')
  })
})
