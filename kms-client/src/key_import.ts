/**
 * BYOK calls (importing key material into KMS), through the session like every other call:
 * `CreateKey` with `Origin` `EXTERNAL`, `GetParametersForImport`, `ImportKeyMaterial`. Failures
 * are the session's: `KmsError` with KMS's exception name in `awsCode`
 * (`ExpiredImportTokenException`, `InvalidImportTokenException`, `ValidationException`,
 * `UnsupportedOperationException`, `IncorrectKeyMaterialException`, `InvalidCiphertextException`),
 * so a caller can give each its own exit code. Nothing here logs; no key bytes in any message.
 *
 * @example
 * ```ts
 * const { keyArn } = await createExternalKey(kms, { keySpec: 'SYMMETRIC_DEFAULT', description: 'byok' })
 * const p = await getImportParameters(kms, keyArn, 'RSAES_OAEP_SHA_256', 'RSA_4096')
 * await importKeyMaterial(kms, { keyId: keyArn, importToken: p.importToken, encryptedKeyMaterial, validTo: undefined })
 * ```
 */
import {
  CreateKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
} from '@aws-sdk/client-kms'
import type { AlgorithmSpec, WrappingKeySpec } from '@aws-sdk/client-kms'
import { KmsError } from './errors.ts'
import type { KmsSession } from './session.ts'

/** Key specs sealwire imports material for: AES-256 (the note's flow) and RSA key pairs. */
export type ImportableKeySpec = 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096'

/** A key `createExternalKey` made. */
export interface ExternalKey {
  readonly keyArn: string
  readonly keyId: string
}

/** What `GetParametersForImport` gave. */
export interface ImportParameters {
  readonly keyArn: string
  readonly importToken: Uint8Array
  /** The wrapping public key, DER SubjectPublicKeyInfo. */
  readonly wrappingKey: Uint8Array
  /** When the token and the wrapping key expire (24 h after the call at AWS). */
  readonly parametersValidTo: Date
}

/**
 * `CreateKey` with `Origin` `EXTERNAL` and `KeyUsage` `ENCRYPT_DECRYPT`: a key in `PendingImport`
 * with no material. Not idempotent: retried only when the request provably never ran.
 *
 * @throws {KmsError} `ERR_KMS_*`.
 * @example
 * ```ts
 * await createExternalKey(kms, { keySpec: 'RSA_2048', description: 'sealwire fleet key (BYOK)' })
 * ```
 */
export async function createExternalKey(
  session: KmsSession,
  options: { readonly keySpec: ImportableKeySpec; readonly description: string },
): Promise<ExternalKey> {
  const out = await session.call(
    'CreateKey',
    (c, abortSignal) =>
      c.send(
        new CreateKeyCommand({
          KeySpec: options.keySpec,
          KeyUsage: 'ENCRYPT_DECRYPT',
          Origin: 'EXTERNAL',
          Description: options.description,
        }),
        { abortSignal },
      ),
    { idempotent: false },
  )
  const keyArn = out.KeyMetadata?.Arn
  const keyId = out.KeyMetadata?.KeyId
  if (keyArn === undefined || keyId === undefined) {
    throw new KmsError('ERR_KMS_REQUEST', 'CreateKey', 'KMS CreateKey returned no key ARN')
  }
  return { keyArn, keyId }
}

/**
 * `GetParametersForImport`: a wrapping public key and an import token for `keyId`.
 *
 * @throws {KmsError} `ERR_KMS_*`.
 * @example
 * ```ts
 * const p = await getImportParameters(kms, 'alias/fleet', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_4096')
 * ```
 */
export async function getImportParameters(
  session: KmsSession,
  keyId: string,
  wrappingAlgorithm: AlgorithmSpec,
  wrappingKeySpec: WrappingKeySpec,
): Promise<ImportParameters> {
  const out = await session.call('GetParametersForImport', (c, abortSignal) =>
    c.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: wrappingAlgorithm,
        WrappingKeySpec: wrappingKeySpec,
      }),
      { abortSignal },
    ),
  )
  if (
    out.KeyId === undefined ||
    out.ImportToken === undefined ||
    out.PublicKey === undefined ||
    out.ParametersValidTo === undefined
  ) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'GetParametersForImport',
      'KMS GetParametersForImport returned an incomplete answer',
    )
  }
  return {
    keyArn: out.KeyId,
    importToken: out.ImportToken,
    wrappingKey: out.PublicKey,
    parametersValidTo: out.ParametersValidTo,
  }
}

/**
 * `ImportKeyMaterial`: `validTo` set means `KEY_MATERIAL_EXPIRES` with that `ValidTo`;
 * `undefined` means `KEY_MATERIAL_DOES_NOT_EXPIRE`. Retried like any idempotent call (importing
 * the same material again is accepted).
 *
 * @throws {KmsError} `ERR_KMS_*` (KMS's exception name in `awsCode`).
 * @example
 * ```ts
 * await importKeyMaterial(kms, { keyId, importToken, encryptedKeyMaterial, validTo: new Date('2027-01-01') })
 * ```
 */
export async function importKeyMaterial(
  session: KmsSession,
  options: {
    readonly keyId: string
    readonly importToken: Uint8Array
    readonly encryptedKeyMaterial: Uint8Array
    readonly validTo: Date | undefined
  },
): Promise<{ readonly keyArn: string }> {
  const out = await session.call('ImportKeyMaterial', (c, abortSignal) =>
    c.send(
      new ImportKeyMaterialCommand({
        KeyId: options.keyId,
        ImportToken: options.importToken,
        EncryptedKeyMaterial: options.encryptedKeyMaterial,
        ...(options.validTo === undefined
          ? { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }
          : { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: options.validTo }),
      }),
      { abortSignal },
    ),
  )
  return { keyArn: out.KeyId ?? options.keyId }
}
