/**
 * `Decrypt`: RSAES-OAEP (`RSAES_OAEP_SHA_1`, `RSAES_OAEP_SHA_256`, empty label) with an RSA
 * `ENCRYPT_DECRYPT` key, which must be named by `KeyId` (an RSA ciphertext names no key, as on
 * AWS); or `SYMMETRIC_DEFAULT` with kms-local's own blob, which names its key, so `KeyId` is
 * optional and, when given, must match (`IncorrectKeyException`). Every decryption failure is one
 * `InvalidCiphertextException` with one message.
 *
 * @example
 * ```ts
 * const { Plaintext } = await kms.send(
 *   new DecryptCommand({ KeyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
 * )
 * ```
 */
import {
  DryRunModifierType,
  EncryptionAlgorithmSpec,
  KeyEncryptionMechanism,
} from '@aws-sdk/client-kms'
import { lookup } from '../_table.ts'
import { ENCRYPTION_ALGORITHMS } from '../encryption_algorithms.ts'
import { KmsApiError } from '../errors.ts'
import { enumValues } from '../input_schema.ts'
import {
  checkKeyState,
  checkKeyUsage,
  incompatibleAlgorithm,
  invalidCiphertext,
} from '../key_checks.ts'
import { keyArn } from '../key_reference.ts'
import type { StoredKey } from '../key_store.ts'
import { oaepDecrypt } from '../rsa_oaep.ts'
import { openSymmetric, readSymmetricKeyId } from '../symmetric_ciphertext.ts'
import { checkNoContextForRsa } from './_context_rules.ts'
import {
  DRY_RUN,
  DRY_RUN_MESSAGE,
  ENCRYPTION_CONTEXT,
  GRANT_TOKENS,
  KEY_ID_OPTIONAL,
} from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `Decrypt` handler. */
export const decrypt = defineOperation({
  name: 'Decrypt',
  family: 'cryptographic',
  mutating: false,
  input: {
    CiphertextBlob: { type: 'blob', min: 1, max: 6144 },
    EncryptionContext: ENCRYPTION_CONTEXT,
    GrantTokens: GRANT_TOKENS,
    KeyId: KEY_ID_OPTIONAL,
    EncryptionAlgorithm: { type: 'string', enum: enumValues(EncryptionAlgorithmSpec) },
    Recipient: {
      type: 'structure',
      members: {
        KeyEncryptionAlgorithm: { type: 'string', enum: enumValues(KeyEncryptionMechanism) },
        AttestationDocument: { type: 'blob', min: 1, max: 262144 },
      },
    },
    DryRun: DRY_RUN,
    DryRunModifiers: {
      type: 'list',
      member: { type: 'string', enum: enumValues(DryRunModifierType) },
    },
  },
  output: ['KeyId', 'Plaintext', 'EncryptionAlgorithm', 'KeyMaterialId'],
  handle(input, ctx) {
    if (input.Recipient !== undefined) {
      throw new KmsApiError(
        'UnsupportedOperationException',
        'kms-local does not support Recipient (Nitro Enclaves attestation)',
      )
    }
    const dryRun = input.DryRun === true
    const ignoreCiphertext = dryRun && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT')
    const blob = input.CiphertextBlob
    if (blob === undefined && !ignoreCiphertext) {
      throw new KmsApiError(
        'ValidationException',
        "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
      )
    }
    const embeddedKeyId = blob === undefined ? undefined : readSymmetricKeyId(blob)
    let key: StoredKey
    if (input.KeyId !== undefined) {
      key = ctx.store.resolve(input.KeyId)
    } else if (embeddedKeyId !== undefined) {
      const found = ctx.store.getKey(embeddedKeyId)
      if (!found) {
        const arn = keyArn(ctx.store.here, embeddedKeyId)
        throw new KmsApiError('NotFoundException', `Key '${arn}' does not exist`)
      }
      key = found
    } else if (ignoreCiphertext) {
      throw new KmsApiError(
        'ValidationException',
        'KeyId is required when DryRunModifiers contains IGNORE_CIPHERTEXT',
      )
    } else {
      throw invalidCiphertext()
    }
    ctx.touch(key)
    const material = checkKeyState(ctx.store, key)
    checkKeyUsage(ctx.store, key, 'ENCRYPT_DECRYPT', 'Decrypt')
    const algorithmName = input.EncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT'
    const algorithm = lookup(ENCRYPTION_ALGORITHMS, algorithmName)
    if (!algorithm || (algorithm.kind === 'symmetric') !== (material.kind === 'symmetric')) {
      throw incompatibleAlgorithm(algorithmName, key.keySpec)
    }
    if (material.kind === 'rsa') checkNoContextForRsa(input.EncryptionContext)
    if (
      material.kind === 'symmetric' &&
      embeddedKeyId !== undefined &&
      embeddedKeyId !== key.keyId
    ) {
      throw new KmsApiError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a KMS key that can perform this operation.',
      )
    }
    if (dryRun) {
      if (!ignoreCiphertext) decryptWith() // a dry run still reports a bad ciphertext
      throw new KmsApiError('DryRunOperationException', DRY_RUN_MESSAGE)
    }
    const plaintext = decryptWith()
    return {
      KeyId: ctx.store.arnOf(key),
      Plaintext: plaintext,
      EncryptionAlgorithm: algorithmName,
      KeyMaterialId: material.kind === 'symmetric' ? key.keyMaterialId : undefined,
    }

    function decryptWith(): Buffer {
      const out =
        material.kind === 'symmetric'
          ? openSymmetric(material.secret, blob!, input.EncryptionContext)
          : algorithm!.kind === 'rsa-oaep'
            ? oaepDecrypt(material.privateKey, algorithm!.hash, blob!)
            : undefined
      if (out === undefined || out.length === 0) throw invalidCiphertext()
      return out
    }
  },
})
