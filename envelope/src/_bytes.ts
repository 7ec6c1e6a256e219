/**
 * Byte helpers shared inside the envelope module (internal).
 *
 * Input checks follow noble's `abytes`: a caller bug is a `TypeError`/`RangeError` with a titled
 * message, never a domain error.
 */

/**
 * Throws a TypeError unless `value` is a Uint8Array (a Node Buffer is one), and a RangeError
 * unless it has `length` bytes when `length` is given.
 *
 * @example
 * ```ts
 * abytes(new Uint8Array(12), 'nonce', 12) // passes; `value` is now typed Uint8Array
 * abytes(Uint8Array.of(1, 2, 3), 'iv', 2) // throws RangeError 'iv: expected 2 bytes, got 3'
 * ```
 */
export function abytes(
  value: unknown,
  title: string,
  length?: number,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${title}: expected Uint8Array`)
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${title}: expected ${length} bytes, got ${value.length}`)
  }
}

/**
 * Concatenates byte arrays into a new Uint8Array.
 *
 * @example
 * ```ts
 * concatBytes(Uint8Array.of(1), Uint8Array.of(2, 3)) // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += p.length
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Constant-time equality of two byte arrays (length is not secret).
 *
 * @example
 * ```ts
 * equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)) // true
 * equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)) // false
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** `Buffer.compare` where the runtime has it (Node, Bun): a native memcmp. */
const nativeCompare = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } })
  .Buffer?.compare

/**
 * Equality of two **public** byte arrays (ciphertext): a native memcmp where present, which stops
 * at the first difference (not constant time), else {@link equalBytes}. On a 256 KiB segment the
 * JS loop costs a quarter of the segment's decryption.
 *
 * @example
 * ```ts
 * equalPublicBytes(sealedAgain, sealedChecked) // true when identical
 * ```
 */
export function equalPublicBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return nativeCompare ? nativeCompare(a, b) === 0 : equalBytes(a, b)
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * Lower-case hex of `bytes`.
 *
 * @example
 * ```ts
 * toHex(Uint8Array.of(1, 255)) // '01ff'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]
  return s
}

/**
 * Parses even-length hex into bytes; throws a TypeError on anything else.
 *
 * @example
 * ```ts
 * fromHex('01FF') // Uint8Array [1, 255]
 * fromHex('abc') // throws TypeError (odd length)
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError('hex: expected an even-length hex string')
  }
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Overwrites a buffer we own with zeros. JavaScript gives no guarantee that no copy survives
 * elsewhere (the engine may have moved it, node:crypto keeps its own copy in a KeyObject); this
 * only shortens the life of the copies we hold.
 *
 * @example
 * ```ts
 * const cek = Uint8Array.of(1, 2)
 * clean(cek, undefined) // cek is now [0, 0]; undefined entries are skipped
 * ```
 */
export function clean(...buffers: (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0)
}

const utf8Encoder = new TextEncoder()

/**
 * UTF-8 bytes of a string.
 *
 * @example
 * ```ts
 * utf8('é') // Uint8Array [0xc3, 0xa9]
 * ```
 */
export function utf8(s: string): Uint8Array {
  return utf8Encoder.encode(s)
}
