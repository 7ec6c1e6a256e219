/**
 * AES Key Wrap with Padding (RFC 5649, on top of the RFC 3394 wrapping process W), built on
 * AES-ECB single-block calls. It is the second half of the BYOK algorithm
 * `RSA_AES_KEY_WRAP_SHA_*` (PKCS #11 `CKM_RSA_AES_KEY_WRAP`). `node:crypto` has
 * `id-aes256-wrap-pad` on Node but not on Bun, hence this one code path for both.
 *
 * @example
 * ```ts
 * const wrapped = aesKeyWrapPad(kek, material)
 * aesKeyUnwrapPad(kek, wrapped) // material
 * ```
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'

/** RFC 5649 §3: the 32-bit constant of the Alternative Initial Value. */
const AIV_PREFIX = Buffer.from([0xa6, 0x59, 0x59, 0xa6])

function ecbName(kek: Uint8Array): string {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new RangeError('AES key wrap: the KEK must be 16, 24 or 32 bytes')
  }
  return `aes-${kek.length * 8}-ecb`
}

function blockCipher(c: {
  setAutoPadding(autoPadding: boolean): unknown
  update(data: Buffer): Buffer
}): (block: Buffer) => Buffer {
  c.setAutoPadding(false)
  return (block) => c.update(block)
}

/** XORs the step counter t (RFC 3394 §2.2.1) into the low 32 bits of A. */
function xorCounter(a: Buffer, t: number): void {
  a.writeUInt32BE((a.readUInt32BE(4) ^ t) >>> 0, 4)
}

/**
 * Wraps key material (RFC 5649 §4.1).
 *
 * @example
 * ```ts
 * aesKeyWrapPad(kek, Buffer.alloc(20)).length // 32
 * ```
 */
export function aesKeyWrapPad(kek: Uint8Array, plaintext: Uint8Array): Buffer {
  if (plaintext.length === 0 || plaintext.length > 0xffffffff) {
    throw new RangeError('AES key wrap: plaintext must be 1 to 2^32 - 1 bytes')
  }
  const encrypt = blockCipher(createCipheriv(ecbName(kek), kek, null))
  const padded = Buffer.alloc(Math.ceil(plaintext.length / 8) * 8)
  padded.set(plaintext)
  const a: Buffer = Buffer.alloc(8)
  AIV_PREFIX.copy(a)
  a.writeUInt32BE(plaintext.length, 4)
  const n = padded.length / 8
  if (n === 1) return encrypt(Buffer.concat([a, padded]))
  const r: Buffer[] = Array.from({ length: n }, (_, i) => padded.subarray(i * 8, i * 8 + 8))
  for (let j = 0; j <= 5; j++) {
    for (let i = 1; i <= n; i++) {
      const b = encrypt(Buffer.concat([a, r[i - 1]!]))
      b.copy(a, 0, 0, 8)
      xorCounter(a, n * j + i)
      r[i - 1] = b.subarray(8, 16)
    }
  }
  return Buffer.concat([a, ...r])
}

/**
 * Unwraps key material (RFC 5649 §4.2), or returns `undefined` for every failure alike (bad
 * length, integrity check, padding), so nothing about the cause leaks.
 *
 * @example
 * ```ts
 * aesKeyUnwrapPad(kek, Buffer.alloc(24)) // undefined
 * ```
 */
export function aesKeyUnwrapPad(kek: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  if (ciphertext.length < 16 || ciphertext.length % 8 !== 0) return undefined
  const decrypt = blockCipher(createDecipheriv(ecbName(kek), kek, null))
  const n = ciphertext.length / 8 - 1
  let a: Buffer
  let plain: Buffer
  if (n === 1) {
    const b = decrypt(Buffer.from(ciphertext))
    a = b.subarray(0, 8)
    plain = b.subarray(8, 16)
  } else {
    a = Buffer.from(ciphertext.subarray(0, 8))
    const r: Buffer[] = Array.from({ length: n }, (_, i) =>
      Buffer.from(ciphertext.subarray(8 + i * 8, 16 + i * 8)),
    )
    for (let j = 5; j >= 0; j--) {
      for (let i = n; i >= 1; i--) {
        xorCounter(a, n * j + i)
        const b = decrypt(Buffer.concat([a, r[i - 1]!]))
        a = b.subarray(0, 8)
        r[i - 1] = b.subarray(8, 16)
      }
    }
    plain = Buffer.concat(r)
  }
  // RFC 5649 §3: check the constant, then 8·(n−1) < MLI ≤ 8·n, then zero padding.
  if (!AIV_PREFIX.equals(a.subarray(0, 4))) return undefined
  const mli = a.readUInt32BE(4)
  if (mli <= 8 * (plain.length / 8 - 1) || mli > plain.length) return undefined
  if (plain.subarray(mli).some((byte) => byte !== 0)) return undefined
  return Buffer.from(plain.subarray(0, mli))
}
