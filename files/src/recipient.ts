/**
 * The key a file is sealed to: a device bundle (`--device DIR`, checked as the agent checks it)
 * or a DER SubjectPublicKeyInfo (`--public-key FILE.der`, as KMS `GetPublicKey` returns it), with
 * an optional expected pin (`--expect-sha256`).
 *
 * @example
 * ```ts
 * const { key, warnings } = await loadRecipient({ publicKey: 'key.der', expectSha256: pin })
 * ```
 */
import { assertPin, parseExpectedPin, verifyBundle } from '../../device-bundle/src/index.ts'
import { parseRecipientKey, toHex } from '../../envelope/src/index.ts'
import type { RecipientKey } from '../../envelope/src/index.ts'
import { readFileBounded, UsageError } from '../../platform/src/index.ts'
import { filesDefaults } from './defaults.ts'

/** Where the recipient comes from. */
export interface RecipientSource {
  readonly device?: string | undefined
  readonly publicKey?: string | undefined
  readonly expectSha256?: string | undefined
}

/**
 * Loads and checks the recipient key.
 *
 * @throws {UsageError} `ERR_USAGE` unless exactly one of `device` and `publicKey` is given.
 * @throws `ERR_KEY_*`, `ERR_KEY_PIN_MISMATCH`, `ERR_BUNDLE_*`, `ERR_IO` from the checks.
 * @example
 * ```ts
 * const { key } = await loadRecipient({ device: '/etc/sealwire/key' })
 * ```
 */
export async function loadRecipient(
  source: RecipientSource,
): Promise<{ readonly key: RecipientKey; readonly warnings: readonly string[] }> {
  if ((source.device === undefined) === (source.publicKey === undefined)) {
    throw new UsageError('give exactly one of --device DIR and --public-key FILE.der (see --help)')
  }
  const expected =
    source.expectSha256 === undefined ? undefined : parseExpectedPin(source.expectSha256)
  if (source.device !== undefined) {
    const bundle = await verifyBundle(source.device, { expectSha256: expected })
    return { key: bundle.key, warnings: bundle.warnings }
  }
  const der = await readFileBounded(source.publicKey!, filesDefaults.publicKeyMaxBytes)
  const key = parseRecipientKey(der)
  if (expected !== undefined) assertPin(toHex(key.pin), expected, 'the public key')
  const warnings =
    expected === undefined
      ? ['warning: --public-key without --expect-sha256: the key is not checked against a pin']
      : []
  return { key, warnings }
}
