/**
 * `kms-client/`: KMS access through `@aws-sdk/client-kms`, one code path for AWS and kms-local:
 * the session (region, profile, endpoint, `AWS_*` env), the one retry policy, bounded attempts,
 * error classification into `KmsError`, the recipient-key checks, `fetchPublicKey`, and
 * `kmsUnwrap` (KMS `Decrypt` as the envelope's `Unwrap`). See `kms-client/README.md`.
 *
 * @example
 * ```ts
 * import { KmsSession, fetchPublicKey, kmsUnwrap } from '../../kms-client/src/index.ts'
 * const kms = new KmsSession({ endpoint: 'http://127.0.0.1:4599', env: process.env })
 * const { checked } = await fetchPublicKey(kms, 'alias/fleet')
 * const unwrap = kmsUnwrap({ session: kms, keys: { [checked.pinId]: checked.keyArn } })
 * ```
 */
export { KmsError } from './errors.ts'
export type { KmsErrorCode } from './errors.ts'
export { kmsClientDefaults } from './defaults.ts'
export type { KmsClientDefaults } from './defaults.ts'
export { RetryExhausted, withRetry } from './retry.ts'
export type { RetryConfig, RetryEvent, RetryRuntime } from './retry.ts'
export { checkEndpoint } from './endpoint.ts'
export { KmsSession } from './session.ts'
export type { KmsCallOptions, KmsSessionOptions, KmsSource } from './session.ts'
export {
  REQUIRED_ALGORITHM,
  REQUIRED_KEY_USAGE,
  RSA_KEY_SPECS,
  checkEncryptionAlgorithms,
  checkKeySpec,
  checkKeyUsage,
  isRsaKeySpec,
} from './key_policy.ts'
export type { RsaKeySpec, RsaKeySpecInfo } from './key_policy.ts'
export { checkKeyMetadata } from './check_key_metadata.ts'
export type { KeyMetadataLike } from './check_key_metadata.ts'
export { checkPublicKeyResponse } from './check_public_key.ts'
export { isKeyArn } from '../../envelope/src/index.ts'
export type { CheckedPublicKey, PublicKeyResponse } from './check_public_key.ts'
export { checkKeyId, fetchPublicKey } from './fetch_public_key.ts'
export type { FetchedPublicKey } from './fetch_public_key.ts'
export { createExternalKey, getImportParameters, importKeyMaterial } from './key_import.ts'
export type { ExternalKey, ImportableKeySpec, ImportParameters } from './key_import.ts'
export { isDecryptRefusal, kmsUnwrap } from './kms_unwrap.ts'
export type {
  KmsUnwrap,
  KmsUnwrapEvent,
  KmsUnwrapOptions,
  KmsUnwrapOutcome,
  KmsUnwrapStats,
} from './kms_unwrap.ts'
