/**
 * Partial IV and nonce (RFC 9052 §3.1, as OSCORE uses them, RFC 8613 §5.2).
 *
 * The device sequence number is the COSE Partial IV: big-endian, minimal length, 1 to 7 bytes
 * (0 is one byte 0x00). Nonce = base IV XOR the Partial IV left-padded to 12 bytes. Base IV =
 * HKDF-SHA-256(IKM = CEK, salt = empty, info = "sealwire/1 base iv", L = 12) (RFC 5869).
 *
 * @example
 * ```ts
 * const baseIv = deriveBaseIv(cek)
 * const nonce = new Uint8Array(12)
 * writeNonce(nonce, baseIv, 42)
 * ```
 */
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { abytes, utf8 } from '../_bytes.ts'
import { EnvelopeInvalidError } from '../errors.ts'
import { BASE_IV_INFO } from '../suites.ts'

const INFO = utf8(BASE_IV_INFO)
const EMPTY = new Uint8Array(0)

/** Largest sequence number: 2^53 − 1 (a 7-byte Partial IV). */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER

/**
 * The base IV of an epoch.
 *
 * @example
 * ```ts
 * deriveBaseIv(new Uint8Array(32)).length // 12
 * ```
 */
export function deriveBaseIv(cek: Uint8Array): Uint8Array {
  abytes(cek, 'cek', 32)
  return hkdf(sha256, cek, EMPTY, INFO, 12)
}

/**
 * Throws a RangeError unless `seq` is an integer in [0, 2^53 − 1].
 *
 * @example
 * ```ts
 * checkSequence(42) // passes
 * checkSequence(-1) // throws RangeError
 * ```
 */
export function checkSequence(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new RangeError(`sequence number: expected an integer in [0, 2^53 - 1], got ${seq}`)
  }
}

/**
 * Bytes of the minimal Partial IV of `seq` (1 to 7).
 *
 * @example
 * ```ts
 * partialIvLength(255) // 1
 * partialIvLength(256) // 2
 * ```
 */
export function partialIvLength(seq: number): number {
  let n = 1
  for (let v = Math.floor(seq / 256); v > 0; v = Math.floor(v / 256)) n++
  return n
}

/**
 * Writes the minimal big-endian Partial IV of `seq` into `out` at `at`; returns the end.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(2); writePartialIv(out, 0, 256) // out = [1, 0], returns 2
 * ```
 */
export function writePartialIv(out: Uint8Array, at: number, seq: number): number {
  const n = partialIvLength(seq)
  let v = seq
  for (let i = n - 1; i >= 0; i--) {
    out[at + i] = v % 256
    v = Math.floor(v / 256)
  }
  return at + n
}

/**
 * Reads a Partial IV strictly: 1 to 7 bytes, no leading zero byte unless it is the only one.
 *
 * @throws {EnvelopeInvalidError} `ERR_ENVELOPE_INVALID` on any other form.
 * @example
 * ```ts
 * readPartialIv(Uint8Array.of(1, 0)) // 256
 * ```
 */
export function readPartialIv(piv: Uint8Array): number {
  if (piv.length < 1 || piv.length > 7)
    throw new EnvelopeInvalidError('Partial IV must be 1 to 7 bytes')
  if (piv.length > 1 && piv[0] === 0) throw new EnvelopeInvalidError('Partial IV is not minimal')
  let v = 0
  for (let i = 0; i < piv.length; i++) v = v * 256 + piv[i]!
  if (v > MAX_SEQUENCE) throw new EnvelopeInvalidError('Partial IV above 2^53 - 1')
  return v
}

/**
 * nonce = baseIv XOR left-pad(Partial IV of `seq`, 12), written into `out` (12 bytes).
 *
 * @example
 * ```ts
 * writeNonce(nonce, baseIv, 7)
 * ```
 */
export function writeNonce(out: Uint8Array, baseIv: Uint8Array, seq: number): void {
  out.set(baseIv)
  let v = seq
  for (let i = 11; i >= 5 && v > 0; i--) {
    out[i]! ^= v % 256
    v = Math.floor(v / 256)
  }
}
