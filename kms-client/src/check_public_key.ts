/**
 * Validates a KMS `GetPublicKey` response before anything is pinned or sealed to it.
 *
 * Order of the checks, each with its own code: `KeySpec` (ERR_KEY_SPEC), `KeyUsage`
 * (ERR_KEY_USAGE), `EncryptionAlgorithms` (ERR_KEY_ALGORITHM), the key ARN and the presence of a
 * key (ERR_KEY_UNSUPPORTED), the DER SPKI through the envelope's `parseRecipientKey`, the very
 * check the device agent runs at start (ERR_KEY_UNSUPPORTED / ERR_KEY_SIZE / ERR_KEY_EXPONENT),
 * then the SPKI's modulus against the `KeySpec` (ERR_KEY_SIZE). Every refusal is the envelope's
 * `KeyRejectedError`. The response is taken as a plain object so that tests can hand it shapes a
 * real KMS never returns.
 *
 * @example
 * ```ts
 * const resp = await client.send(new GetPublicKeyCommand({ KeyId: 'alias/fleet' }))
 * const checked = checkPublicKeyResponse(resp)
 * console.log(checked.keyArn, checked.pinSha256)
 * ```
 */
import { KeyRejectedError, isKeyArn, parseRecipientKey, toHex } from '../../envelope/src/index.ts'
import type { RecipientKey } from '../../envelope/src/index.ts'
import { shown } from '../../platform/src/index.ts'
import {
  checkEncryptionAlgorithms,
  checkKeySpec,
  checkKeyUsage,
  RSA_KEY_SPECS,
} from './key_policy.ts'
import type { RsaKeySpec } from './key_policy.ts'

/** The fields of a `GetPublicKeyCommandOutput` that the check reads. */
export interface PublicKeyResponse {
  readonly KeyId?: string | undefined
  readonly PublicKey?: Uint8Array | undefined
  readonly KeySpec?: string | undefined
  readonly KeyUsage?: string | undefined
  readonly EncryptionAlgorithms?: readonly string[] | undefined
}

/** A public key that passed every check: what a bundle records. */
export interface CheckedPublicKey {
  /** The key's ARN, as KMS returned it. */
  readonly keyArn: string
  readonly keySpec: RsaKeySpec
  /** The checked key: SPKI bytes, pin, pin id, modulus size. */
  readonly key: RecipientKey
  /** SHA-256 of the SPKI, 64 lower-case hex digits. */
  readonly pinSha256: string
  /** The pin's first 8 bytes (the `kid` of a full-form message), 16 lower-case hex digits. */
  readonly pinId: string
}

/**
 * Checks a `GetPublicKey` response and returns the key to pin.
 *
 * @throws {KeyRejectedError} with the code of the first check that fails (see the module doc).
 * @example
 * ```ts
 * checkPublicKeyResponse({ ...resp, KeyUsage: 'SIGN_VERIFY' }) // throws ERR_KEY_USAGE
 * ```
 */
export function checkPublicKeyResponse(resp: PublicKeyResponse): CheckedPublicKey {
  const keySpec = checkKeySpec(resp.KeySpec)
  checkKeyUsage(resp.KeyUsage)
  checkEncryptionAlgorithms(resp.EncryptionAlgorithms)
  if (!isKeyArn(resp.KeyId)) {
    throw new KeyRejectedError(
      'ERR_KEY_UNSUPPORTED',
      `GetPublicKey returned KeyId ${shown(resp.KeyId)}, not a KMS key ARN`,
    )
  }
  if (!(resp.PublicKey instanceof Uint8Array) || resp.PublicKey.length === 0) {
    throw new KeyRejectedError('ERR_KEY_UNSUPPORTED', 'GetPublicKey returned no public key')
  }
  const key = parseRecipientKey(resp.PublicKey)
  const want = RSA_KEY_SPECS[keySpec].modulusBits
  if (key.modulusBits !== want) {
    throw new KeyRejectedError(
      'ERR_KEY_SIZE',
      `KeySpec ${keySpec} but the public key has a ${key.modulusBits}-bit modulus`,
    )
  }
  return Object.freeze({
    keyArn: resp.KeyId,
    keySpec,
    key,
    pinSha256: toHex(key.pin),
    pinId: toHex(key.pinId),
  })
}
