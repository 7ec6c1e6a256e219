/**
 * OAEP-SHA-256 decoding in process (the HSM did raw RSA): differential against node:crypto on
 * random messages of every length, and every malformed encoding answered alike (`undefined`).
 */
import {
  constants,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { oaepDecodeSha256 } from '../../hsm/src/index.ts'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const K = 256

/** EM = c^d mod n, as CKM_RSA_X_509 gives it. */
function rawDecrypt(ct: Buffer): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ct)
}

function seal(m: Buffer, oaepHash = 'sha256'): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, m)
}

describe('oaepDecodeSha256', () => {
  it('recovers what node:crypto sealed, for every message length 0..190', () => {
    for (let len = 0; len <= 190; len += 1) {
      const m = randomBytes(len)
      const out = oaepDecodeSha256(rawDecrypt(seal(m)), K)
      expect(out?.equals(m), `length ${len}`).toBe(true)
    }
  })

  it('answers undefined for OAEP-SHA-1, a flipped bit anywhere, a non-zero first byte and a wrong length', () => {
    const m = randomBytes(32)
    expect(oaepDecodeSha256(rawDecrypt(seal(m, 'sha1')), K)).toBeUndefined()
    const em = rawDecrypt(seal(m))
    for (const i of [0, 1, 20, 32, 33, 40, 64, 65, 100, 200, 223, 224, 255]) {
      const bad = Buffer.from(em)
      bad[i]! ^= 0x01
      expect(oaepDecodeSha256(bad, K), `byte ${i}`).toBeUndefined()
    }
    expect(oaepDecodeSha256(em.subarray(1), K)).toBeUndefined()
    expect(oaepDecodeSha256(Buffer.alloc(K), K)).toBeUndefined()
    expect(oaepDecodeSha256(Buffer.alloc(60), 60)).toBeUndefined()
  })
})
