/**
 * EME-OAEP decoding (RFC 8017 §7.1.2 step 3) with SHA-256 and MGF1-SHA-256 and an empty label,
 * for HSMs that can only do raw RSA (`CKM_RSA_X_509`): the HSM computes `EM = c^d mod n`, and
 * this function takes the message out of `EM` in process.
 *
 * Every check is folded into one flag without an early exit or a data-dependent branch: the
 * leading byte `Y`, `lHash'`, the padding `PS` of zeros and the `0x01` separator are all examined
 * whatever their values, and the separator's position is found by a scan over the whole `DB`
 * (Manger's attack needs only to learn *which* check failed). Failure is
 * `undefined`, one answer for every cause; the caller turns it into its one opaque error. This is
 * as constant-time as JavaScript allows: the engine may still branch in ways the source does
 * not show (noble-hashes README, "Constant-timeness").
 *
 * @example
 * ```ts
 * const em = rawRsaDecrypt(ciphertext) // k bytes, left-padded
 * const cek = oaepDecodeSha256(em, k) ?? fail()
 * ```
 */
import { createHash } from 'node:crypto'

/** SHA-256 output length. */
const H_LEN = 32
/** lHash = SHA-256 of the empty label. */
const L_HASH = createHash('sha256').update(new Uint8Array(0)).digest()

/** MGF1 (RFC 8017 §B.2.1) with SHA-256: `len` bytes from `seed`. */
function mgf1(seed: Uint8Array, len: number): Buffer {
  const out = Buffer.alloc(Math.ceil(len / H_LEN) * H_LEN)
  const counter = Buffer.alloc(4)
  for (let i = 0; i * H_LEN < len; i++) {
    counter.writeUInt32BE(i, 0)
    createHash('sha256')
      .update(seed)
      .update(counter)
      .digest()
      .copy(out, i * H_LEN)
  }
  return out.subarray(0, len)
}

/** 0xff when `x === 0` (x a byte), else 0; no branch. */
function isZero(x: number): number {
  return ((x - 1) >>> 8) & 0xff
}

/**
 * Decodes `em` (exactly `k` bytes, `k` the modulus length) or returns `undefined` for every
 * failure alike. The buffers it makes are zeroed before it returns.
 *
 * @example
 * ```ts
 * oaepDecodeSha256(new Uint8Array(256), 256) // undefined
 * ```
 */
export function oaepDecodeSha256(em: Uint8Array, k: number): Buffer | undefined {
  // RFC 8017 §7.1.2 step 1.c: k ≥ 2·hLen + 2. A wrong length is the caller's (public) fact.
  if (em.length !== k || k < 2 * H_LEN + 2) return undefined
  const maskedSeed = em.subarray(1, 1 + H_LEN)
  const maskedDb = em.subarray(1 + H_LEN)
  const seed = mgf1(maskedDb, H_LEN)
  for (let i = 0; i < H_LEN; i++) seed[i]! ^= maskedSeed[i]!
  const db = mgf1(seed, k - H_LEN - 1)
  for (let i = 0; i < db.length; i++) db[i]! ^= maskedDb[i]!
  // good = 0xff while every check holds.
  let good = isZero(em[0]!)
  let diff = 0
  for (let i = 0; i < H_LEN; i++) diff |= db[i]! ^ L_HASH[i]!
  good &= isZero(diff)
  // Scan PS || 0x01 || M: `looking` is 0xff until the separator; a non-zero byte other than
  // 0x01 before it is invalid; `index` is the separator's position.
  let looking = 0xff
  let index = 0
  let invalid = 0
  for (let i = H_LEN; i < db.length; i++) {
    const b = db[i]!
    const isOne = isZero(b ^ 0x01)
    const isZeroByte = isZero(b)
    const found = looking & isOne
    const take = -(found & 1) // all ones at the separator, else 0
    index = (index & ~take) | (i & take)
    invalid |= looking & ~isOne & ~isZeroByte & 0xff
    looking &= ~isOne & 0xff
  }
  good &= ~invalid & 0xff
  good &= ~looking & 0xff // a separator was found
  seed.fill(0)
  if (good !== 0xff) {
    db.fill(0)
    return undefined
  }
  const message = Buffer.from(db.subarray(index + 1))
  db.fill(0)
  return message
}
