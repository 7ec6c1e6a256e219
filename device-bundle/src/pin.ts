/**
 * Key pins as text: the SHA-256 of the DER SPKI as 64 lower-case hex digits, and the pin id (its
 * first 8 bytes, the COSE `kid` of a full-form message) as 16.
 *
 * @example
 * ```ts
 * const expected = parseExpectedPin(flagValue) // ERR_USAGE when malformed
 * assertPin(bundle.pinSha256, expected, 'the bundle at /etc/sealwire/dev-1')
 * ```
 */
import { UsageError } from '../../platform/src/index.ts'
import { PinMismatchError } from './errors.ts'

const PIN_HEX = /^[0-9a-f]{64}$/

/**
 * True when `value` is a pin in canonical form (64 lower-case hex digits).
 *
 * @example
 * ```ts
 * isPinHex('ab'.repeat(32)) // true
 * ```
 */
export function isPinHex(value: unknown): value is string {
  return typeof value === 'string' && PIN_HEX.test(value)
}

/**
 * Normalizes a pin given by an operator: 64 hex digits, any case, optionally separated by colons
 * (as `openssl dgst -c` prints them). Returns it in canonical form.
 *
 * @throws {UsageError} `ERR_USAGE`, naming `flag`, for anything else.
 * @example
 * ```ts
 * parseExpectedPin('AB:CD:…') // 'abcd…'
 * ```
 */
export function parseExpectedPin(value: string, flag = '--expect-sha256'): string {
  const hex = value.replace(/:/g, '').toLowerCase()
  if (!PIN_HEX.test(hex)) {
    throw new UsageError(`${flag} needs the SHA-256 of the SPKI: 64 hex digits`)
  }
  return hex
}

/**
 * Throws unless pin `actual` equals `expected` (both canonical; pins are public, so a plain
 * comparison is fine).
 *
 * @throws {PinMismatchError} `ERR_KEY_PIN_MISMATCH`, naming both pins and `what`.
 * @example
 * ```ts
 * assertPin(actualHex, expectedHex, 'the KMS public key')
 * ```
 */
export function assertPin(actual: string, expected: string, what: string): void {
  if (actual === expected) return
  throw new PinMismatchError(`${what} has pin sha256:${actual}, expected sha256:${expected}`)
}
