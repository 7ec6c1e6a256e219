/**
 * EME-OAEP encoding with a caller-given seed (RFC 8017 §7.1.1 step 2), SHA-256 and MGF1-SHA-256,
 * empty label (internal).
 *
 * Only for vector and golden-bytes tests, where the OAEP seed must be fixed (the COSE WG examples
 * list it in `rng_stream`). Production wrapping lets OpenSSL (or WebCrypto) pick the seed.
 */
import { sha256 } from '@noble/hashes/sha2.js'

const HASH_BYTES = 32
const EMPTY_LABEL_HASH = sha256(new Uint8Array(0))

function mgf1(seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const block = new Uint8Array(seed.length + 4)
  block.set(seed)
  for (let counter = 0, at = 0; at < length; counter++, at += HASH_BYTES) {
    block[seed.length] = counter >>> 24
    block[seed.length + 1] = (counter >>> 16) & 0xff
    block[seed.length + 2] = (counter >>> 8) & 0xff
    block[seed.length + 3] = counter & 0xff
    out.set(sha256(block).subarray(0, Math.min(HASH_BYTES, length - at)), at)
  }
  return out
}

/**
 * EM = 0x00 ‖ maskedSeed ‖ maskedDB for a modulus of `k` bytes.
 *
 * @example
 * ```ts
 * const em = oaepEncode(new Uint8Array(32), new Uint8Array(32), 256) // k = 256: RSA-2048
 * em.length // 256, and em[0] === 0
 * ```
 */
export function oaepEncode(message: Uint8Array, seed: Uint8Array, k: number): Uint8Array {
  if (seed.length !== HASH_BYTES) throw new RangeError('OAEP seed: expected 32 bytes')
  if (message.length > k - 2 * HASH_BYTES - 2) throw new RangeError('OAEP: message too long')
  const db = new Uint8Array(k - HASH_BYTES - 1)
  db.set(EMPTY_LABEL_HASH)
  db[db.length - message.length - 1] = 0x01
  db.set(message, db.length - message.length)
  const dbMask = mgf1(seed, db.length)
  for (let i = 0; i < db.length; i++) db[i]! ^= dbMask[i]!
  const seedMask = mgf1(db, HASH_BYTES)
  const em = new Uint8Array(k)
  for (let i = 0; i < HASH_BYTES; i++) em[1 + i] = seed[i]! ^ seedMask[i]!
  em.set(db, 1 + HASH_BYTES)
  return em
}
