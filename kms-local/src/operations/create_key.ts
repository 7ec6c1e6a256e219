/**
 * `CreateKey`: a symmetric (`SYMMETRIC_DEFAULT`) or RSA (`RSA_2048/3072/4096`) key, for
 * `ENCRYPT_DECRYPT` or (RSA) `SIGN_VERIFY`, with origin `AWS_KMS` (material generated here) or
 * `EXTERNAL` (no material: state `PendingImport` until `ImportKeyMaterial`). `Policy` and
 * `BypassPolicyLockoutSafetyCheck` are accepted and ignored; `Tags` are kept.
 *
 * @example
 * ```ts
 * await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }))
 * ```
 */
import { CustomerMasterKeySpec, KeySpec, KeyUsageType, OriginType } from '@aws-sdk/client-kms'
import { randomUUID } from 'node:crypto'
import { lookup } from '../_table.ts'
import { KmsApiError } from '../errors.ts'
import { enumValues } from '../input_schema.ts'
import { generateMaterial, keyMaterialId } from '../key_material.ts'
import { keyMetadata } from '../key_metadata.ts'
import { KEY_SPECS, type SupportedKeySpec, type SupportedKeyUsage } from '../key_specs.ts'
import type { StoredKey } from '../key_store.ts'
import { defineOperation } from './_operation.ts'

/** The `CreateKey` handler. */
export const createKey = defineOperation({
  name: 'CreateKey',
  family: 'management',
  mutating: true,
  input: {
    Policy: { type: 'string', min: 1, max: 131072, pattern: /[\u0009\u000A\u000D\u0020-\u00FF]+/ },
    Description: { type: 'string', min: 0, max: 8192 },
    KeyUsage: { type: 'string', enum: enumValues(KeyUsageType) },
    CustomerMasterKeySpec: { type: 'string', enum: enumValues(CustomerMasterKeySpec) },
    KeySpec: { type: 'string', enum: enumValues(KeySpec) },
    Origin: { type: 'string', enum: enumValues(OriginType) },
    CustomKeyStoreId: { type: 'string', min: 1, max: 64 },
    BypassPolicyLockoutSafetyCheck: { type: 'boolean' },
    Tags: {
      type: 'list',
      member: {
        type: 'structure',
        members: {
          TagKey: { type: 'string', required: true, min: 1, max: 128 },
          TagValue: { type: 'string', required: true, min: 0, max: 256 },
        },
      },
    },
    MultiRegion: { type: 'boolean' },
    XksKeyId: { type: 'string', min: 1, max: 128, pattern: /^[a-zA-Z0-9-_.]+$/ },
  },
  output: ['KeyMetadata'],
  async handle(input, ctx) {
    if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
      throw new KmsApiError(
        'ValidationException',
        'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.',
      )
    }
    const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT'
    const spec = lookup(KEY_SPECS, keySpec)
    if (!spec) {
      throw new KmsApiError(
        'UnsupportedOperationException',
        `kms-local does not support KeySpec ${keySpec}`,
      )
    }
    const keyUsage = input.KeyUsage ?? 'ENCRYPT_DECRYPT'
    if (!(spec.keyUsages as readonly string[]).includes(keyUsage)) {
      throw new KmsApiError(
        'ValidationException',
        `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`,
      )
    }
    const origin = input.Origin ?? 'AWS_KMS'
    if (origin !== 'AWS_KMS' && origin !== 'EXTERNAL') {
      throw new KmsApiError(
        'UnsupportedOperationException',
        `kms-local does not support Origin ${origin}`,
      )
    }
    if (input.CustomKeyStoreId !== undefined || input.XksKeyId !== undefined) {
      throw new KmsApiError('UnsupportedOperationException', 'kms-local has no custom key stores')
    }
    if (input.MultiRegion === true) {
      throw new KmsApiError(
        'UnsupportedOperationException',
        'kms-local does not support multi-Region keys',
      )
    }
    const material =
      origin === 'EXTERNAL' ? undefined : await generateMaterial(keySpec as SupportedKeySpec)
    const key: StoredKey = {
      keyId: randomUUID(),
      creationDate: ctx.now,
      description: input.Description ?? '',
      keySpec: keySpec as SupportedKeySpec,
      keyUsage: keyUsage as SupportedKeyUsage,
      origin,
      tags: (input.Tags ?? []).map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue })),
      state: material ? 'Enabled' : 'PendingImport',
      material,
      keyMaterialId: material ? keyMaterialId(material) : undefined,
      expirationModel: undefined,
      validTo: undefined,
      deletionDate: undefined,
      importParameters: [],
    }
    ctx.store.addKey(key)
    ctx.touch(key)
    return { KeyMetadata: keyMetadata(ctx.store, key) }
  },
})
