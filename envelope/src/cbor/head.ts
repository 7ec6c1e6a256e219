/**
 * Deterministic CBOR item heads (RFC 8949 §3 and §4.2.1: the shortest argument encoding).
 *
 * The seal path writes its per-message bytes (Partial IV, ciphertext length) with these instead of
 * a general encoder; everything else is precomputed once per epoch.
 *
 * @example
 * ```ts
 * encodeHead(2, 300) // Uint8Array [0x59, 0x01, 0x2c]: a byte string of 300 bytes
 * ```
 */

/**
 * Major type 2 (RFC 8949 §3.1): a byte string; the argument is its length. The only major type the
 * seal path writes by hand.
 */
export const MT_BYTES = 2

/**
 * Bytes the shortest head for `arg` takes.
 *
 * @example
 * ```ts
 * headLength(23) // 1
 * headLength(300) // 3: 0x19 and a 2-byte argument
 * ```
 */
export function headLength(arg: number): number {
  if (arg < 24) return 1
  if (arg < 0x100) return 2
  if (arg < 0x10000) return 3
  if (arg < 0x100000000) return 5
  return 9
}

/**
 * Writes the shortest head of major type `major` with argument `arg` into `out` at `at`; returns
 * the offset after it.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(3); writeHead(out, 0, 2, 300) // 3
 * ```
 */
export function writeHead(out: Uint8Array, at: number, major: number, arg: number): number {
  if (!Number.isSafeInteger(arg) || arg < 0)
    throw new RangeError('CBOR head: argument out of range')
  const mt = major << 5
  if (arg < 24) {
    out[at] = mt | arg
    return at + 1
  }
  if (arg < 0x100) {
    out[at] = mt | 24
    out[at + 1] = arg
    return at + 2
  }
  if (arg < 0x10000) {
    out[at] = mt | 25
    out[at + 1] = arg >>> 8
    out[at + 2] = arg & 0xff
    return at + 3
  }
  if (arg < 0x100000000) {
    out[at] = mt | 26
    out[at + 1] = arg >>> 24
    out[at + 2] = (arg >>> 16) & 0xff
    out[at + 3] = (arg >>> 8) & 0xff
    out[at + 4] = arg & 0xff
    return at + 5
  }
  out[at] = mt | 27
  const hi = Math.floor(arg / 0x100000000)
  const lo = arg >>> 0
  for (let i = 0; i < 4; i++) out[at + 1 + i] = (hi >>> (24 - 8 * i)) & 0xff
  for (let i = 0; i < 4; i++) out[at + 5 + i] = (lo >>> (24 - 8 * i)) & 0xff
  return at + 9
}

/**
 * The shortest head as a new array.
 *
 * @example
 * ```ts
 * encodeHead(6, 96) // [0xd8, 0x60]: tag 96
 * ```
 */
export function encodeHead(major: number, arg: number): Uint8Array {
  const out = new Uint8Array(headLength(arg))
  writeHead(out, 0, major, arg)
  return out
}
