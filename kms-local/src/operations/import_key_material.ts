/**
 * `ImportKeyMaterial`: unwraps material sent under a wrapping key from `GetParametersForImport`
 * and gives it to the `EXTERNAL` key, which becomes `Enabled`. Symmetric material is 32 bytes; RSA
 * material is a PKCS #8 DER private key of the key spec's modulus length. Re-import must bring the
 * same material (`IncorrectKeyMaterialException`). `ExpirationModel` defaults to
 * `KEY_MATERIAL_EXPIRES`, which needs `ValidTo` (future, at most 365 days ahead).
 *
 * @example
 * ```ts
 * await kms.send(new ImportKeyMaterialCommand({
 *   KeyId, ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
 * }))
 * ```
 */
import { ExpirationModelType, ImportType } from '@aws-sdk/client-kms'
import { MAX_VALID_TO_MS } from '../defaults.ts'
import { KmsApiError } from '../errors.ts'
import { enumValues } from '../input_schema.ts'
import { checkImportable, invalidCiphertext } from '../key_checks.ts'
import { decodeImportToken, unwrapKeyMaterial, WRAPPING_ALGORITHMS } from '../key_import.ts'
import { keyMaterialId, materialFromBytes } from '../key_material.ts'
import { KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `ImportKeyMaterial` handler. */
export const importKeyMaterial = defineOperation({
  name: 'ImportKeyMaterial',
  family: 'management',
  mutating: true,
  input: {
    KeyId: KEY_ID_REQUIRED,
    ImportToken: { type: 'blob', required: true, min: 1, max: 6144 },
    EncryptedKeyMaterial: { type: 'blob', required: true, min: 1, max: 6144 },
    ValidTo: { type: 'timestamp' },
    ExpirationModel: { type: 'string', enum: enumValues(ExpirationModelType) },
    ImportType: { type: 'string', enum: enumValues(ImportType) },
    KeyMaterialDescription: { type: 'string', min: 0, max: 256, pattern: /^[a-zA-Z0-9:/_\s.-]+$/ },
    KeyMaterialId: { type: 'string', min: 64, max: 64, pattern: /^[a-f0-9]+$/ },
  },
  output: ['KeyId', 'KeyMaterialId'],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    const arn = ctx.store.arnOf(key)
    checkImportable(ctx.store, key)
    if (input.ImportType === 'NEW_KEY_MATERIAL' && key.keyMaterialId !== undefined) {
      throw new KmsApiError(
        'UnsupportedOperationException',
        'kms-local keeps one key material per key; NEW_KEY_MATERIAL (rotation) is not supported',
      )
    }
    const expirationModel = input.ExpirationModel ?? 'KEY_MATERIAL_EXPIRES'
    let validTo: number | undefined
    if (expirationModel === 'KEY_MATERIAL_EXPIRES') {
      if (input.ValidTo === undefined) {
        throw new KmsApiError(
          'ValidationException',
          'ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES',
        )
      }
      validTo = input.ValidTo.getTime()
      // Decoding refuses a ValidTo that is no time; a NaN would pass both comparisons below.
      if (!Number.isFinite(validTo) || validTo <= ctx.now || validTo > ctx.now + MAX_VALID_TO_MS) {
        throw new KmsApiError(
          'ValidationException',
          'ValidTo must be in the future and at most 365 days from now',
        )
      }
    } else if (input.ValidTo !== undefined) {
      throw new KmsApiError(
        'ValidationException',
        'ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE',
      )
    }
    const token = decodeImportToken(input.ImportToken)
    const parameters =
      token?.keyId === key.keyId
        ? key.importParameters.find((p) => p.tokenId === token.tokenId)
        : undefined
    if (!parameters) {
      throw new KmsApiError(
        'InvalidImportTokenException',
        'The import token is not valid for this KMS key.',
      )
    }
    if (parameters.validTo <= ctx.now) {
      throw new KmsApiError('ExpiredImportTokenException', 'The import token has expired.')
    }
    const unwrapped = unwrapKeyMaterial(
      WRAPPING_ALGORITHMS[parameters.wrappingAlgorithm as keyof typeof WRAPPING_ALGORITHMS],
      parameters.privateKey,
      input.EncryptedKeyMaterial,
    )
    if (unwrapped === undefined) throw invalidCiphertext()
    const material = materialFromBytes(key.keySpec, unwrapped)
    unwrapped.fill(0)
    if (!material) {
      throw new KmsApiError(
        'IncorrectKeyMaterialException',
        `The key material is not valid ${key.keySpec} key material.`,
      )
    }
    const id = keyMaterialId(material)
    if (
      (key.keyMaterialId !== undefined && key.keyMaterialId !== id) ||
      (input.KeyMaterialId !== undefined && input.KeyMaterialId !== id)
    ) {
      throw new KmsApiError(
        'IncorrectKeyMaterialException',
        'The key material does not match the key material previously imported into this KMS key.',
      )
    }
    key.material = material
    key.keyMaterialId = id
    key.expirationModel = expirationModel
    key.validTo = validTo
    if (key.state === 'PendingImport') key.state = 'Enabled'
    return { KeyId: arn, KeyMaterialId: id }
  },
})
