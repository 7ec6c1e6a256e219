/**
 * Mixing a conditioned hardware block with the OS CSPRNG before it becomes output:
 *
 *   out = HKDF-SHA-256(ikm = hw ‖ os, salt = empty, info = "sealwire/1 entropy mix", L = 32)
 *
 * with `hw` the 32-byte conditioned block and `os` 32 fresh bytes of `crypto.getRandomValues`.
 * HKDF-Extract is HMAC-SHA-256 over the concatenation: the output is as unpredictable as the
 * better of the two inputs (RFC 5869 §3.3; the hash-combination argument of SP 800-90C), so a
 * hardware source that is subtly wrong in a way the health tests miss cannot weaken the CEK below
 * the OS CSPRNG, and a compromised OS generator cannot weaken it below the hardware. We prefer it
 * to XOR: XOR keeps the better input only when the two are independent, and a hardware source
 * that could observe or correlate with the OS bytes could cancel them; inside a hash it cannot.
 *
 * @example
 * ```ts
 * const out = mixWithOs(conditioned, crypto.getRandomValues(new Uint8Array(32)))
 * ```
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { BLOCK_BYTES } from './conditioning.ts'

const INFO = new TextEncoder().encode('sealwire/1 entropy mix')

/**
 * 32 output bytes from a conditioned hardware block and 32 OS bytes. The inputs are left as they
 * are; the caller zeroes them.
 *
 * @throws {RangeError} if either input is not 32 bytes.
 * @example
 * ```ts
 * mixWithOs(new Uint8Array(32), new Uint8Array(32)).length // 32
 * ```
 */
export function mixWithOs(hwBlock: Uint8Array, osBytes: Uint8Array): Uint8Array {
  if (!(hwBlock instanceof Uint8Array) || hwBlock.length !== BLOCK_BYTES) {
    throw new RangeError(`hwBlock: expected ${BLOCK_BYTES} bytes`)
  }
  if (!(osBytes instanceof Uint8Array) || osBytes.length !== BLOCK_BYTES) {
    throw new RangeError(`osBytes: expected ${BLOCK_BYTES} bytes`)
  }
  const ikm = new Uint8Array(2 * BLOCK_BYTES)
  ikm.set(hwBlock, 0)
  ikm.set(osBytes, BLOCK_BYTES)
  try {
    return hkdf(sha256, ikm, undefined, INFO, BLOCK_BYTES)
  } finally {
    ikm.fill(0)
  }
}
