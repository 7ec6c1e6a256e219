/**
 * The checks every cryptographic operation makes on its key before touching material, with the
 * error types and messages AWS answers: key state (`DisabledException`,
 * `KMSInvalidStateException`), key usage and algorithm compatibility (`InvalidKeyUsageException`).
 *
 * @example
 * ```ts
 * checkKeyState(store, key)            // throws DisabledException: arn:… is disabled.
 * checkKeyUsage(store, key, 'ENCRYPT_DECRYPT', 'Decrypt')
 * ```
 */
import { KmsApiError } from './errors.ts'
import type { KeyMaterial } from './key_material.ts'
import type { SupportedKeyUsage } from './key_specs.ts'
import type { KeyStore, StoredKey } from './key_store.ts'

/**
 * Asserts the key is `Enabled` and has material, returning the material.
 *
 * @example
 * ```ts
 * const material = checkKeyState(store, key)
 * ```
 */
export function checkKeyState(store: KeyStore, key: StoredKey): KeyMaterial {
  const arn = store.arnOf(key)
  switch (key.state) {
    case 'Disabled':
      throw new KmsApiError('DisabledException', `${arn} is disabled.`)
    case 'PendingDeletion':
      throw new KmsApiError('KMSInvalidStateException', `${arn} is pending deletion.`)
    case 'PendingImport':
      throw new KmsApiError('KMSInvalidStateException', `${arn} is pending import.`)
    case 'Enabled':
      break
  }
  if (!key.material) throw new KmsApiError('KMSInvalidStateException', `${arn} is pending import.`)
  return key.material
}

/**
 * Asserts a management operation may change the key: not pending deletion (nor pending import,
 * when `allowPendingImport` is false).
 *
 * @example
 * ```ts
 * checkNotPending(store, key, { allowPendingImport: false })
 * ```
 */
export function checkNotPending(
  store: KeyStore,
  key: StoredKey,
  options: { allowPendingImport: boolean },
): void {
  const arn = store.arnOf(key)
  if (key.state === 'PendingDeletion') {
    throw new KmsApiError('KMSInvalidStateException', `${arn} is pending deletion.`)
  }
  if (key.state === 'PendingImport' && !options.allowPendingImport) {
    throw new KmsApiError('KMSInvalidStateException', `${arn} is pending import.`)
  }
}

/**
 * Asserts a key can take imported material (`GetParametersForImport`, `ImportKeyMaterial`): its
 * origin is `EXTERNAL`, and it is not pending deletion.
 *
 * @example
 * ```ts
 * checkImportable(store, awsKey)
 * // UnsupportedOperationException: arn:… origin is AWS_KMS which is not valid for this operation.
 * ```
 */
export function checkImportable(store: KeyStore, key: StoredKey): void {
  if (key.origin !== 'EXTERNAL') {
    throw new KmsApiError(
      'UnsupportedOperationException',
      `${store.arnOf(key)} origin is ${key.origin} which is not valid for this operation.`,
    )
  }
  checkNotPending(store, key, { allowPendingImport: true })
}

/**
 * Asserts the key's usage fits the operation.
 *
 * @example
 * ```ts
 * checkKeyUsage(store, signingKey, 'ENCRYPT_DECRYPT', 'Encrypt')
 * // InvalidKeyUsageException: arn:… key usage is SIGN_VERIFY which is not valid for Encrypt.
 * ```
 */
export function checkKeyUsage(
  store: KeyStore,
  key: StoredKey,
  usage: SupportedKeyUsage,
  operation: string,
): void {
  if (key.keyUsage !== usage) {
    throw new KmsApiError(
      'InvalidKeyUsageException',
      `${store.arnOf(key)} key usage is ${key.keyUsage} which is not valid for ${operation}.`,
    )
  }
}

/**
 * The error for an algorithm that does not fit the key spec (AWS wording).
 *
 * @example
 * ```ts
 * throw incompatibleAlgorithm('SYMMETRIC_DEFAULT', 'RSA_2048')
 * ```
 */
export function incompatibleAlgorithm(algorithm: string, keySpec: string): KmsApiError {
  return new KmsApiError(
    'InvalidKeyUsageException',
    `Algorithm ${algorithm} is incompatible with key spec ${keySpec}.`,
  )
}

/** The one message of every failed decryption, whatever the cause. */
const INVALID_CIPHERTEXT_MESSAGE = 'The ciphertext is invalid.'

/**
 * The opaque decryption failure.
 *
 * @example
 * ```ts
 * throw invalidCiphertext()
 * ```
 */
export function invalidCiphertext(): KmsApiError {
  return new KmsApiError('InvalidCiphertextException', INVALID_CIPHERTEXT_MESSAGE)
}
