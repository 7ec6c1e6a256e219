/**
 * `Encrypt`: RSAES-OAEP (`RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256`) under an RSA
 * `ENCRYPT_DECRYPT` key, giving the raw RSA ciphertext (modulus length) as AWS does; or
 * `SYMMETRIC_DEFAULT` under a symmetric key, giving kms-local's own blob (see
 * `symmetric_ciphertext.ts`) bound to the encryption context.
 *
 * @example
 * ```ts
 * const { CiphertextBlob } = await kms.send(
 *   new EncryptCommand({ KeyId, Plaintext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
 * )
 * ```
 */
import { EncryptionAlgorithmSpec } from '@aws-sdk/client-kms'
import { lookup } from '../_table.ts'
import { ENCRYPTION_ALGORITHMS, maxOaepPlaintext } from '../encryption_algorithms.ts'
import { KmsApiError } from '../errors.ts'
import { enumValues } from '../input_schema.ts'
import { checkKeyState, checkKeyUsage, incompatibleAlgorithm } from '../key_checks.ts'
import { KEY_SPECS } from '../key_specs.ts'
import { oaepEncrypt } from '../rsa_oaep.ts'
import { sealSymmetric } from '../symmetric_ciphertext.ts'
import {
  DRY_RUN,
  DRY_RUN_MESSAGE,
  ENCRYPTION_CONTEXT,
  GRANT_TOKENS,
  KEY_ID_REQUIRED,
} from './_members.ts'
import { defineOperation } from './_operation.ts'
import { checkNoContextForRsa } from './_context_rules.ts'

/** The `Encrypt` handler. */
export const encrypt = defineOperation({
  name: 'Encrypt',
  family: 'cryptographic',
  mutating: false,
  input: {
    KeyId: KEY_ID_REQUIRED,
    Plaintext: { type: 'blob', required: true, min: 1, max: 4096 },
    EncryptionContext: ENCRYPTION_CONTEXT,
    GrantTokens: GRANT_TOKENS,
    EncryptionAlgorithm: { type: 'string', enum: enumValues(EncryptionAlgorithmSpec) },
    DryRun: DRY_RUN,
  },
  output: ['CiphertextBlob', 'KeyId', 'EncryptionAlgorithm'],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    const material = checkKeyState(ctx.store, key)
    checkKeyUsage(ctx.store, key, 'ENCRYPT_DECRYPT', 'Encrypt')
    const algorithmName = input.EncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT'
    const algorithm = lookup(ENCRYPTION_ALGORITHMS, algorithmName)
    if (!algorithm || (algorithm.kind === 'symmetric') !== (material.kind === 'symmetric')) {
      throw incompatibleAlgorithm(algorithmName, key.keySpec)
    }
    let ciphertext: Buffer
    if (material.kind === 'symmetric') {
      if (input.DryRun === true) throw new KmsApiError('DryRunOperationException', DRY_RUN_MESSAGE)
      ciphertext = sealSymmetric(
        key.keyId,
        material.secret,
        input.Plaintext,
        input.EncryptionContext,
      )
    } else {
      if (algorithm.kind !== 'rsa-oaep') throw incompatibleAlgorithm(algorithmName, key.keySpec)
      checkNoContextForRsa(input.EncryptionContext)
      const max = maxOaepPlaintext(KEY_SPECS[key.keySpec].modulusBits, algorithm)
      if (input.Plaintext.length > max) {
        throw new KmsApiError(
          'ValidationException',
          `Plaintext is longer than ${max} bytes, the maximum for ${algorithmName} with ${key.keySpec}.`,
        )
      }
      if (input.DryRun === true) throw new KmsApiError('DryRunOperationException', DRY_RUN_MESSAGE)
      ciphertext = oaepEncrypt(material.publicKey, algorithm.hash, input.Plaintext)
    }
    return {
      CiphertextBlob: ciphertext,
      KeyId: ctx.store.arnOf(key),
      EncryptionAlgorithm: algorithmName,
    }
  },
})
