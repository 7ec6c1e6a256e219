/**
 * A strict DER reader for exactly one shape: an RSA SubjectPublicKeyInfo (internal).
 *
 * RFC 5280 §4.1.2.7 and RFC 3279 §2.3.1: SEQUENCE { SEQUENCE { OID 1.2.840.113549.1.1.1, NULL },
 * BIT STRING (0 unused bits) { SEQUENCE { INTEGER n, INTEGER e } } }. Definite, minimal lengths
 * only (X.690 §10.1), positive minimal INTEGERs, no trailing bytes. Anything else is
 * `ERR_KEY_UNSUPPORTED`. It runs without node:crypto, so the checks hold on every runtime.
 */
import { KeyRejectedError } from '../errors.ts'

const RSA_ENCRYPTION_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01)

function reject(detail: string): never {
  throw new KeyRejectedError('ERR_KEY_UNSUPPORTED', `not an RSA SubjectPublicKeyInfo: ${detail}`)
}

interface Tlv {
  readonly start: number
  readonly end: number
}

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) reject('truncated')
  let len = der[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) reject('indefinite or oversized length')
    if (start + n > limit) reject('truncated')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!
    if (der[start] === 0 || len < 0x80) reject('non-minimal length')
    start += n
  }
  const end = start + len
  if (end > limit) reject('truncated')
  return { start, end }
}

function expect(der: Uint8Array, at: number, limit: number, tag: number, what: string): Tlv {
  if (at < limit && der[at] !== tag) reject(`expected ${what}`)
  return readTlv(der, at, limit)
}

function readPositiveInteger(
  der: Uint8Array,
  tlv: Tlv,
): { bits: number; first: number; end: number } {
  const { start, end } = tlv
  if (end === start) reject('empty INTEGER')
  if (der[start]! & 0x80) reject('negative INTEGER')
  if (der[start] === 0 && (end - start === 1 || !(der[start + 1]! & 0x80))) {
    if (end - start === 1) reject('zero INTEGER')
    reject('non-minimal INTEGER')
  }
  let first = start
  if (der[first] === 0) first++
  const bits = (end - first - 1) * 8 + (32 - Math.clz32(der[first]!))
  return { bits, first, end }
}

function integerValue(der: Uint8Array, { first, end }: { first: number; end: number }): bigint {
  let hex = '0x'
  for (let i = first; i < end; i++) hex += der[i]!.toString(16).padStart(2, '0')
  return BigInt(hex)
}

/**
 * The modulus size and public exponent of a strict-DER RSA SPKI.
 *
 * @example
 * ```ts
 * parseRsaSpki(rsa2048SpkiDer) // { modulusBits: 2048, publicExponent: 65537n }
 * ```
 */
export function parseRsaSpki(der: Uint8Array): { modulusBits: number; publicExponent: bigint } {
  const outer = expect(der, 0, der.length, 0x30, 'SEQUENCE')
  if (outer.end !== der.length) reject('trailing bytes')
  const algId = expect(der, outer.start, outer.end, 0x30, 'AlgorithmIdentifier')
  const oid = expect(der, algId.start, algId.end, 0x06, 'OID')
  const oidBytes = der.subarray(oid.start, oid.end)
  if (
    oidBytes.length !== RSA_ENCRYPTION_OID.length ||
    !oidBytes.every((b, i) => b === RSA_ENCRYPTION_OID[i])
  ) {
    reject('algorithm is not rsaEncryption')
  }
  const params = expect(der, oid.end, algId.end, 0x05, 'NULL parameters')
  if (params.end !== params.start || params.end !== algId.end) reject('bad parameters')
  const bitString = expect(der, algId.end, outer.end, 0x03, 'BIT STRING')
  if (bitString.end !== outer.end) reject('trailing bytes')
  if (der[bitString.start] !== 0) reject('BIT STRING has unused bits')
  const rsaKey = expect(der, bitString.start + 1, bitString.end, 0x30, 'RSAPublicKey')
  if (rsaKey.end !== bitString.end) reject('trailing bytes')
  const n = expect(der, rsaKey.start, rsaKey.end, 0x02, 'modulus')
  const e = expect(der, n.end, rsaKey.end, 0x02, 'exponent')
  if (e.end !== rsaKey.end) reject('trailing bytes')
  const modulus = readPositiveInteger(der, n)
  const exponent = readPositiveInteger(der, e)
  return { modulusBits: modulus.bits, publicExponent: integerValue(der, exponent) }
}
