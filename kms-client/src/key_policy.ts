/**
 * What a KMS key must be to be a `sealwire/1` recipient, as one table and three checks.
 *
 * DESIGN "KMS facts": the key spec is RSA_2048, RSA_3072 or RSA_4096; the usage is
 * ENCRYPT_DECRYPT (a SIGN_VERIFY key's public half seals data that no one can decrypt: KMS
 * `Decrypt` refuses it); the key's `EncryptionAlgorithms` hold `RSAES_OAEP_SHA_256`, exactly the
 * envelope's COSE alg −41 (OAEP, SHA-256, MGF1-SHA-256, empty label). Each refusal is the
 * envelope's `KeyRejectedError` with its own code.
 *
 * @example
 * ```ts
 * const spec = checkKeySpec(resp.KeySpec) // 'RSA_2048'
 * checkKeyUsage(resp.KeyUsage)
 * checkEncryptionAlgorithms(resp.EncryptionAlgorithms)
 * ```
 */
import { KeyRejectedError, isRsaKeySpec } from '../../envelope/src/index.ts'
import type { RsaKeySpec } from '../../envelope/src/index.ts'
import { shown } from '../../platform/src/index.ts'

export { RSA_KEY_SPECS, isRsaKeySpec } from '../../envelope/src/index.ts'
export type { RsaKeySpec, RsaKeySpecInfo } from '../../envelope/src/index.ts'

/**
 * The only KMS key usage a recipient may have.
 *
 * @example
 * ```ts
 * new CreateKeyCommand({ KeyUsage: REQUIRED_KEY_USAGE, KeySpec: 'RSA_2048' })
 * ```
 */
export const REQUIRED_KEY_USAGE = 'ENCRYPT_DECRYPT'

/**
 * The KMS encryption algorithm of the envelope's key wrap (COSE alg −41).
 *
 * @example
 * ```ts
 * new DecryptCommand({ KeyId, CiphertextBlob, EncryptionAlgorithm: REQUIRED_ALGORITHM })
 * ```
 */
export const REQUIRED_ALGORITHM = 'RSAES_OAEP_SHA_256'

/**
 * Checks a KMS `KeySpec` and returns it typed.
 *
 * @throws {KeyRejectedError} `ERR_KEY_SPEC` for anything but RSA_2048/3072/4096.
 * @example
 * ```ts
 * checkKeySpec('SYMMETRIC_DEFAULT') // throws ERR_KEY_SPEC
 * ```
 */
export function checkKeySpec(keySpec: unknown): RsaKeySpec {
  if (isRsaKeySpec(keySpec)) return keySpec
  if (keySpec === undefined) {
    throw new KeyRejectedError('ERR_KEY_SPEC', 'KMS did not say which KeySpec the key has')
  }
  throw new KeyRejectedError(
    'ERR_KEY_SPEC',
    `KeySpec ${shown(keySpec)} cannot seal to a device pin; use RSA_2048, RSA_3072 or RSA_4096`,
  )
}

/**
 * Checks a KMS `KeyUsage`.
 *
 * @throws {KeyRejectedError} `ERR_KEY_USAGE` for anything but ENCRYPT_DECRYPT.
 * @example
 * ```ts
 * checkKeyUsage('SIGN_VERIFY') // throws ERR_KEY_USAGE
 * ```
 */
export function checkKeyUsage(keyUsage: unknown): void {
  if (keyUsage === REQUIRED_KEY_USAGE) return
  throw new KeyRejectedError(
    'ERR_KEY_USAGE',
    keyUsage === undefined
      ? 'KMS did not say which KeyUsage the key has; sealing needs ENCRYPT_DECRYPT'
      : `KeyUsage ${shown(keyUsage)}: data sealed to this key could never be decrypted; ` +
          'sealing needs an ENCRYPT_DECRYPT key',
  )
}

/**
 * Checks that a key's `EncryptionAlgorithms` hold `RSAES_OAEP_SHA_256`.
 *
 * @throws {KeyRejectedError} `ERR_KEY_ALGORITHM` when the list is absent or lacks it.
 * @example
 * ```ts
 * checkEncryptionAlgorithms(['RSAES_OAEP_SHA_1']) // throws ERR_KEY_ALGORITHM
 * ```
 */
export function checkEncryptionAlgorithms(algorithms: unknown): void {
  if (Array.isArray(algorithms) && algorithms.includes(REQUIRED_ALGORITHM)) return
  const listed = Array.isArray(algorithms)
    ? algorithms
        .slice(0, 10)
        .map((a) => shown(a, 40))
        .join(', ')
    : ''
  throw new KeyRejectedError(
    'ERR_KEY_ALGORITHM',
    `the key does not offer ${REQUIRED_ALGORITHM} (it offers: ${listed || 'none'})`,
  )
}
