/**
 * The enums of the AWS KMS API model (`kms-2014-11-01`, botocore 1.43.11) that kms-local reads or
 * writes, copied value for value. A test compares each list with the model, so a request that the
 * real service would accept as well-formed passes validation here too; whether kms-local then
 * supports the value is decided elsewhere ({@link KEY_SPECS}, {@link ENCRYPTION_ALGORITHMS}).
 *
 * @example
 * ```ts
 * KEY_SPEC.includes('RSA_2048') // true
 * ```
 */

/** `KeySpec`. */
export const KEY_SPEC = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ECC_NIST_EDWARDS25519',
] as const
export type KeySpec = (typeof KEY_SPEC)[number]

/** `CustomerMasterKeySpec` (deprecated alias of `KeySpec`, still accepted and answered). */
export const CUSTOMER_MASTER_KEY_SPEC = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'SM2',
] as const

/** `KeyUsageType`. */
export const KEY_USAGE = [
  'SIGN_VERIFY',
  'ENCRYPT_DECRYPT',
  'GENERATE_VERIFY_MAC',
  'KEY_AGREEMENT',
] as const
export type KeyUsage = (typeof KEY_USAGE)[number]

/** `OriginType`. */
export const ORIGIN = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const
export type Origin = (typeof ORIGIN)[number]

/** `EncryptionAlgorithmSpec`. */
export const ENCRYPTION_ALGORITHM_SPEC = [
  'SYMMETRIC_DEFAULT',
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'SM2PKE',
] as const
export type EncryptionAlgorithmSpec = (typeof ENCRYPTION_ALGORITHM_SPEC)[number]

/** `SigningAlgorithmSpec`. */
export const SIGNING_ALGORITHM_SPEC = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
  'ED25519_SHA_512',
  'ED25519_PH_SHA_512',
] as const
export type SigningAlgorithmSpec = (typeof SIGNING_ALGORITHM_SPEC)[number]

/** `KeyState`. */
export const KEY_STATE = [
  'Creating',
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
  'PendingReplicaDeletion',
  'Unavailable',
  'Updating',
] as const
export type KeyState = (typeof KEY_STATE)[number]

/** `ExpirationModelType`. */
export const EXPIRATION_MODEL = ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'] as const
export type ExpirationModel = (typeof EXPIRATION_MODEL)[number]

/** `AlgorithmSpec`: the wrapping algorithms of `GetParametersForImport`. */
export const WRAPPING_ALGORITHM_SPEC = [
  'RSAES_PKCS1_V1_5',
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
  'SM2PKE',
] as const
export type WrappingAlgorithmSpec = (typeof WRAPPING_ALGORITHM_SPEC)[number]

/** `WrappingKeySpec`. */
export const WRAPPING_KEY_SPEC = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'] as const
export type WrappingKeySpec = (typeof WRAPPING_KEY_SPEC)[number]

/** `ImportType`. */
export const IMPORT_TYPE = ['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL'] as const

/** `DryRunModifierType`. */
export const DRY_RUN_MODIFIER = ['IGNORE_CIPHERTEXT'] as const

/** `KeyEncryptionMechanism` (the `Recipient` of a Nitro Enclaves request). */
export const KEY_ENCRYPTION_MECHANISM = ['RSAES_OAEP_SHA_256'] as const

/** Every operation name of the model, so a known but unimplemented one gets its own error. */
export const KMS_OPERATION_NAMES = [
  'CancelKeyDeletion',
  'ConnectCustomKeyStore',
  'CreateAlias',
  'CreateCustomKeyStore',
  'CreateGrant',
  'CreateKey',
  'Decrypt',
  'DeleteAlias',
  'DeleteCustomKeyStore',
  'DeleteImportedKeyMaterial',
  'DeriveSharedSecret',
  'DescribeCustomKeyStores',
  'DescribeKey',
  'DisableKey',
  'DisableKeyRotation',
  'DisconnectCustomKeyStore',
  'EnableKey',
  'EnableKeyRotation',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GenerateRandom',
  'GetKeyLastUsage',
  'GetKeyPolicy',
  'GetKeyRotationStatus',
  'GetParametersForImport',
  'GetPublicKey',
  'ImportKeyMaterial',
  'ListAliases',
  'ListGrants',
  'ListKeyPolicies',
  'ListKeyRotations',
  'ListKeys',
  'ListResourceTags',
  'ListRetirableGrants',
  'PutKeyPolicy',
  'ReEncrypt',
  'ReplicateKey',
  'RetireGrant',
  'RevokeGrant',
  'RotateKeyOnDemand',
  'ScheduleKeyDeletion',
  'Sign',
  'TagResource',
  'UntagResource',
  'UpdateAlias',
  'UpdateCustomKeyStore',
  'UpdateKeyDescription',
  'UpdatePrimaryRegion',
  'Verify',
  'VerifyMac',
] as const
