/**
 * AES-GCM lengths and the checks every backend runs (internal): kept apart from `aead.ts`, which
 * imports the backends, so no backend imports its own selector.
 */

/** GCM tag length used by the profile. */
export const TAG_BYTES = 16

/** GCM nonce length used by the profile (the only one it accepts). */
export const NONCE_BYTES = 12

/**
 * Throws a RangeError unless `key` is an AES key length.
 *
 * @example
 * ```ts
 * checkAesKeyLength(new Uint8Array(32)) // passes
 * checkAesKeyLength(new Uint8Array(20)) // throws RangeError
 * ```
 */
export function checkAesKeyLength(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError('AES key: expected Uint8Array')
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new RangeError(`AES key: expected 16, 24 or 32 bytes, got ${key.length}`)
  }
}

/**
 * Throws a RangeError unless `nonce` is 12 bytes.
 *
 * @example
 * ```ts
 * checkNonceLength(new Uint8Array(8)) // throws RangeError 'GCM nonce: expected 12 bytes, got 8'
 * ```
 */
export function checkNonceLength(nonce: Uint8Array): void {
  if (!(nonce instanceof Uint8Array)) throw new TypeError('GCM nonce: expected Uint8Array')
  if (nonce.length !== NONCE_BYTES) {
    throw new RangeError(`GCM nonce: expected ${NONCE_BYTES} bytes, got ${nonce.length}`)
  }
}
