/**
 * Fetches and checks the public key of a KMS key: `DescribeKey` (the key must be Enabled, an RSA
 * ENCRYPT_DECRYPT key offering RSAES_OAEP_SHA_256), then `GetPublicKey` on the ARN it returned,
 * checked again field by field and through the envelope's key check. Shared by `fetch` and
 * `batch`: one call of each per run, whatever the number of devices.
 *
 * @example
 * ```ts
 * const { checked, manifest } = await fetchPublicKey(kms, 'alias/fleet', { now: () => new Date() })
 * ```
 */
import { DescribeKeyCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms'
import type { BundleManifest } from '../bundle/manifest.ts'
import { createManifest } from '../bundle/manifest.ts'
import { KmsError, UsageError } from '../errors.ts'
import { checkKeyMetadata } from '../key/check_key_metadata.ts'
import type { CheckedPublicKey } from '../key/check_public_key.ts'
import { checkPublicKeyResponse } from '../key/check_public_key.ts'
import { assertPin } from '../key/pin.ts'
import type { KmsSession } from './kms_session.ts'
import { shown } from '../_sanitize.ts'

/** A fetched, checked public key and the manifest that records it. */
export interface FetchedPublicKey {
  readonly checked: CheckedPublicKey
  readonly manifest: BundleManifest
}

/**
 * Checks a `--key-id` value: a key id, key ARN, alias name (`alias/…`) or alias ARN.
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * checkKeyIdFlag('alias/fleet')
 * ```
 */
export function checkKeyIdFlag(keyId: string): string {
  if (keyId.length > 2048 || /[\s\0]/.test(keyId)) {
    throw new UsageError(`--key-id ${shown(keyId)} is not a key id, key ARN or alias`)
  }
  return keyId
}

/**
 * Fetches the public key of `keyId`, checks it, and compares it with `expectSha256` if given.
 *
 * @throws {KeyRefusedError} `ERR_KEY_*` for a key a device may not pin.
 * @throws {PinMismatchError} `ERR_KEY_PIN_MISMATCH` when `expectSha256` disagrees.
 * @throws {KmsError} `ERR_KMS_*`.
 * @example
 * ```ts
 * await fetchPublicKey(kms, 'alias/fleet', { now: () => new Date(), expectSha256 })
 * ```
 */
export async function fetchPublicKey(
  kms: KmsSession,
  keyId: string,
  options: { readonly now: () => Date; readonly expectSha256?: string | undefined },
): Promise<FetchedPublicKey> {
  const { expectSha256 } = options
  const described = await kms.call('DescribeKey', (c) =>
    c.send(new DescribeKeyCommand({ KeyId: keyId })),
  )
  const meta = described.KeyMetadata
  if (meta?.Arn === undefined) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'DescribeKey',
      `KMS DescribeKey returned no key metadata for ${shown(keyId)}`,
    )
  }
  checkKeyMetadata(meta)
  const resp = await kms.call('GetPublicKey', (c) =>
    c.send(new GetPublicKeyCommand({ KeyId: meta.Arn })),
  )
  const fetchedAt = options.now()
  const checked = checkPublicKeyResponse(resp)
  if (checked.keyArn !== meta.Arn) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'GetPublicKey',
      `GetPublicKey answered for ${shown(checked.keyArn, 200)}, DescribeKey for ${shown(meta.Arn, 200)}`,
    )
  }
  if (expectSha256 !== undefined)
    assertPin(checked.pinSha256, expectSha256, `the public key of ${checked.keyArn}`)
  const source = { endpoint: kms.endpoint, region: (await kms.region()) ?? 'unknown' }
  return { checked, manifest: createManifest(checked, { fetchedAt, source }) }
}
