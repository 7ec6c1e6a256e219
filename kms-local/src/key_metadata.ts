/**
 * The `KeyMetadata` structure of `CreateKey` and `DescribeKey`, built from a stored key with the
 * member names of the model.
 *
 * @example
 * ```ts
 * const { KeyMetadata } = { KeyMetadata: keyMetadata(store, key) }
 * KeyMetadata.KeyState // 'Enabled'
 * ```
 */
import { algorithmsOf } from './key_specs.ts'
import type { KeyStore, StoredKey } from './key_store.ts'

/**
 * Builds `KeyMetadata`. Dates are `Date`s; the protocol layer writes them as epoch seconds.
 *
 * @example
 * ```ts
 * keyMetadata(store, key).Arn // 'arn:aws:kms:us-east-1:111122223333:key/...'
 * ```
 */
export function keyMetadata(store: KeyStore, key: StoredKey): Record<string, unknown> {
  const imported = key.origin === 'EXTERNAL' && key.material !== undefined
  return {
    AWSAccountId: store.here.accountId,
    KeyId: key.keyId,
    Arn: store.arnOf(key),
    CreationDate: new Date(key.creationDate),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    ...(key.deletionDate !== undefined && { DeletionDate: new Date(key.deletionDate) }),
    ...(imported && key.validTo !== undefined && { ValidTo: new Date(key.validTo) }),
    Origin: key.origin,
    ...(imported && key.expirationModel && { ExpirationModel: key.expirationModel }),
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    ...algorithmsOf(key.keySpec, key.keyUsage),
    MultiRegion: false,
    ...(key.material?.kind === 'symmetric' &&
      key.keyMaterialId !== undefined && { CurrentKeyMaterialId: key.keyMaterialId }),
  }
}
