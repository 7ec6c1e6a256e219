/**
 * `GetPublicKey`: the DER SubjectPublicKeyInfo of an RSA key, with its key spec, usage and
 * algorithms. Symmetric keys have no public key: `UnsupportedOperationException`, as AWS.
 *
 * @example
 * ```ts
 * const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/telemetry' }))
 * createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' })
 * ```
 */
import { KmsApiError } from '../errors.ts'
import { checkKeyState } from '../key_checks.ts'
import { algorithmsOf } from '../key_specs.ts'
import { GRANT_TOKENS, KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `GetPublicKey` handler. */
export const getPublicKey = defineOperation({
  name: 'GetPublicKey',
  family: 'cryptographic',
  mutating: false,
  input: { KeyId: KEY_ID_REQUIRED, GrantTokens: GRANT_TOKENS },
  output: [
    'KeyId',
    'PublicKey',
    'CustomerMasterKeySpec',
    'KeySpec',
    'KeyUsage',
    'EncryptionAlgorithms',
    'SigningAlgorithms',
  ],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    const arn = ctx.store.arnOf(key)
    if (key.keySpec === 'SYMMETRIC_DEFAULT') {
      throw new KmsApiError(
        'UnsupportedOperationException',
        `${arn} key spec is SYMMETRIC_DEFAULT which has no public key; GetPublicKey is not valid for it.`,
      )
    }
    const material = checkKeyState(ctx.store, key)
    if (material.kind !== 'rsa')
      throw new KmsApiError('KMSInternalException', 'key material mismatch')
    return {
      KeyId: arn,
      PublicKey: material.spki,
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      ...algorithmsOf(key.keySpec, key.keyUsage),
    }
  },
})
