/**
 * Validates a KMS `DescribeKey` result: the key must be enabled, as well as have the right spec,
 * usage and algorithms.
 *
 * `GetPublicKey` does not say whether a key is disabled or scheduled for deletion; pinning such a
 * key into a fleet would seal data that soon no one can decrypt, so the station asks.
 *
 * @example
 * ```ts
 * const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: arn }))
 * checkKeyMetadata(KeyMetadata ?? {})
 * ```
 */
import { KeyRejectedError } from '../../envelope/src/index.ts'
import { shown } from '../../platform/src/index.ts'
import { checkEncryptionAlgorithms, checkKeySpec, checkKeyUsage } from './key_policy.ts'
import type { RsaKeySpec } from './key_policy.ts'

/** The fields of a KMS `KeyMetadata` that the check reads. */
export interface KeyMetadataLike {
  readonly Arn?: string | undefined
  readonly KeyState?: string | undefined
  readonly KeySpec?: string | undefined
  readonly KeyUsage?: string | undefined
  readonly EncryptionAlgorithms?: readonly string[] | undefined
}

/**
 * Checks that a key is `Enabled` and an RSA ENCRYPT_DECRYPT key offering `RSAES_OAEP_SHA_256`;
 * returns its key spec.
 *
 * @throws {KeyRejectedError} `ERR_KEY_STATE` (not Enabled), then `ERR_KEY_SPEC`, `ERR_KEY_USAGE`,
 *   `ERR_KEY_ALGORITHM` in that order.
 * @example
 * ```ts
 * checkKeyMetadata({ ...meta, KeyState: 'PendingDeletion' }) // throws ERR_KEY_STATE
 * ```
 */
export function checkKeyMetadata(meta: KeyMetadataLike): RsaKeySpec {
  if (meta.KeyState !== 'Enabled') {
    throw new KeyRejectedError(
      'ERR_KEY_STATE',
      `the key is ${meta.KeyState === undefined ? 'in an unknown state' : shown(meta.KeyState)}; ` +
        'only an Enabled key may be pinned',
    )
  }
  const spec = checkKeySpec(meta.KeySpec)
  checkKeyUsage(meta.KeyUsage)
  checkEncryptionAlgorithms(meta.EncryptionAlgorithms)
  return spec
}
