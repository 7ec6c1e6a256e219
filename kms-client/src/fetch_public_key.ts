/**
 * Fetches and checks the public key of a KMS key: `DescribeKey` (the key must be Enabled, an RSA
 * ENCRYPT_DECRYPT key offering RSAES_OAEP_SHA_256), then `GetPublicKey` on the ARN it returned,
 * checked again field by field and through the envelope's key check. One call of each, however
 * many devices a batch writes.
 *
 * @example
 * ```ts
 * const { checked, source, fetchedAt } = await fetchPublicKey(kms, 'alias/fleet')
 * ```
 */
import { DescribeKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms'
import { UsageError, shown, systemClock } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import { checkKeyMetadata } from './check_key_metadata.ts'
import { checkPublicKeyResponse } from './check_public_key.ts'
import type { CheckedPublicKey } from './check_public_key.ts'
import { KmsError } from './errors.ts'
import type { KmsSession, KmsSource } from './session.ts'

/** A fetched, checked public key, with when and where it was fetched (a manifest's facts). */
export interface FetchedPublicKey {
  readonly checked: CheckedPublicKey
  /** When `GetPublicKey` answered, by the injected clock. */
  readonly fetchedAt: Date
  /** The endpoint (never with userinfo) and region the key came from. */
  readonly source: KmsSource
}

/**
 * Checks a key reference: a key id, key ARN, alias name (`alias/…`) or alias ARN (KMS checks the
 * rest; this refuses what can never be one, before any call).
 *
 * @throws {UsageError} `ERR_USAGE`, naming `what` (default `--key-id`).
 * @example
 * ```ts
 * checkKeyId('alias/fleet') // 'alias/fleet'
 * ```
 */
export function checkKeyId(keyId: string, what = '--key-id'): string {
  if (
    typeof keyId !== 'string' ||
    keyId.length === 0 ||
    keyId.length > 2048 ||
    /[\s\0]/.test(keyId)
  ) {
    throw new UsageError(`${what} ${shown(keyId)} is not a key id, key ARN or alias`)
  }
  return keyId
}

/**
 * Fetches the public key of `keyId` and checks it. Comparing it with an expected pin is the
 * caller's policy (`checked.pinSha256`).
 *
 * @throws {KeyRejectedError} `ERR_KEY_*` for a key that may not be a recipient.
 * @throws {KmsError} `ERR_KMS_*`.
 * @throws {UsageError} `ERR_USAGE` when no region is configured.
 * @example
 * ```ts
 * const { checked } = await fetchPublicKey(kms, 'alias/fleet', { clock: systemClock })
 * checked.pinSha256 // 64 hex digits
 * ```
 */
export async function fetchPublicKey(
  kms: KmsSession,
  keyId: string,
  options: { readonly clock?: Clock | undefined; readonly signal?: AbortSignal | undefined } = {},
): Promise<FetchedPublicKey> {
  const clock = options.clock ?? systemClock
  const signal = options.signal
  const described = await kms.call(
    'DescribeKey',
    (c, abortSignal) => c.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal }),
    { signal },
  )
  const meta = described.KeyMetadata
  if (meta?.Arn === undefined) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'DescribeKey',
      `KMS DescribeKey returned no key metadata for ${shown(keyId)}`,
    )
  }
  const keySpec = checkKeyMetadata(meta)
  const arn = meta.Arn
  const resp = await kms.call(
    'GetPublicKey',
    (c, abortSignal) => c.send(new GetPublicKeyCommand({ KeyId: arn }), { abortSignal }),
    { signal },
  )
  const fetchedAt = new Date(clock.now())
  const checked = checkPublicKeyResponse(resp)
  if (checked.keyArn !== arn) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'GetPublicKey',
      `GetPublicKey answered for ${shown(checked.keyArn, 200)}, DescribeKey for ${shown(arn, 200)}`,
    )
  }
  if (checked.keySpec !== keySpec) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'GetPublicKey',
      `GetPublicKey says KeySpec ${checked.keySpec}, DescribeKey says ${keySpec}`,
    )
  }
  return Object.freeze({ checked, fetchedAt, source: await kms.describe() })
}
