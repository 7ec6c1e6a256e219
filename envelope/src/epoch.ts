/**
 * One data-key epoch's derived state, computed once and shared by every message of the epoch.
 *
 * From the CEK and its wrapped form: the epoch id (SHA-256 of the wrapped CEK, first 8 bytes), the
 * base IV (HKDF), the imported AEAD key, and both `Enc_structure`s (RFC 9052 §5.3): the protected
 * header is always `{1: 3}` and `external_aad` is the device id, so the whole AAD is constant for
 * the epoch. The raw CEK is not kept.
 *
 * @example
 * ```ts
 * const keys = deriveEpochKeys(cek, wrapped, 'dev-0001', selectAead())
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { abytes, utf8 } from './_bytes.ts'
import { encodeEncStructure } from './cose/structure.ts'
import type { AeadBackend, AeadKey } from './crypto/aead.ts'
import { deriveBaseIv } from './crypto/nonce.ts'

/** The protected header of every `sealwire/1` message: `{1: 3}` (alg A256GCM). */
export const PROTECTED_HEADER: Uint8Array = Uint8Array.of(0xa1, 0x01, 0x03)

/** Bytes of an epoch id. */
export const EPOCH_ID_BYTES = 8

/** What both the sealer and the opener know about one epoch. */
export interface EpochKeys {
  readonly deviceId: string
  readonly epochId: Uint8Array
  readonly wrapped: Uint8Array
  readonly baseIv: Uint8Array
  readonly aeadKey: AeadKey
  /** Enc_structure for the compact form: ["Encrypt0", h'a10103', device id]. */
  readonly aadEncrypt0: Uint8Array
  /** Enc_structure for the full form: ["Encrypt", h'a10103', device id]. */
  readonly aadEncrypt: Uint8Array
}

/**
 * The epoch id of a wrapped CEK: the first 8 bytes of its SHA-256.
 *
 * @example
 * ```ts
 * toHex(epochIdOf(wrapped)) // e.g. '9f2c…' (16 hex digits)
 * ```
 */
export function epochIdOf(wrapped: Uint8Array): Uint8Array {
  return sha256(wrapped).slice(0, EPOCH_ID_BYTES)
}

/**
 * Builds the `Enc_structure` of RFC 9052 §5.3 for the profile's protected header.
 *
 * @example
 * ```ts
 * encStructure('Encrypt0', 'dev-1') // 83 68 'Encrypt0' 43 a10103 45 'dev-1'
 * ```
 */
export function encStructure(context: 'Encrypt' | 'Encrypt0', deviceId: string): Uint8Array {
  return encodeEncStructure(context, PROTECTED_HEADER, utf8(deviceId))
}

/**
 * Throws a TypeError unless `deviceId` is a non-empty string of at most 256 bytes.
 *
 * @example
 * ```ts
 * checkDeviceId('dev-0001') // passes
 * checkDeviceId('') // throws TypeError
 * ```
 */
export function checkDeviceId(deviceId: string): void {
  if (typeof deviceId !== 'string' || deviceId.length === 0) {
    throw new TypeError('deviceId: expected a non-empty string')
  }
  // Up to 85 UTF-16 code units cannot exceed 255 UTF-8 bytes: skip the encode on the hot path.
  if (deviceId.length > 85 && utf8(deviceId).length > 256) {
    throw new RangeError('deviceId: at most 256 bytes')
  }
}

/**
 * Derives an epoch's state from its CEK (32 bytes) and wrapped CEK.
 *
 * @example
 * ```ts
 * const keys = deriveEpochKeys(cek, wrapped, deviceId, selectAead())
 * ```
 */
export function deriveEpochKeys(
  cek: Uint8Array,
  wrapped: Uint8Array,
  deviceId: string,
  aead: AeadBackend,
): EpochKeys {
  abytes(cek, 'cek', 32)
  abytes(wrapped, 'wrapped')
  checkDeviceId(deviceId)
  return Object.freeze({
    deviceId,
    epochId: epochIdOf(wrapped),
    wrapped: Uint8Array.from(wrapped),
    baseIv: deriveBaseIv(cek),
    aeadKey: aead.importKey(cek),
    aadEncrypt0: encStructure('Encrypt0', deviceId),
    aadEncrypt: encStructure('Encrypt', deviceId),
  })
}
