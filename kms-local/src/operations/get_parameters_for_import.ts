/**
 * `GetParametersForImport`: a fresh RSA wrapping key pair and import token for an `EXTERNAL`
 * key, valid 24 hours. Symmetric keys take any supported wrapping algorithm; RSA keys (a PKCS #8
 * private key is too long for RSAES-OAEP) need `RSA_AES_KEY_WRAP_SHA_1/256`.
 *
 * @example
 * ```ts
 * const { ImportToken, PublicKey, ParametersValidTo } = await kms.send(
 *   new GetParametersForImportCommand({
 *     KeyId,
 *     WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
 *     WrappingKeySpec: 'RSA_4096',
 *   }),
 * )
 * ```
 */
import { AlgorithmSpec, WrappingKeySpec } from '@aws-sdk/client-kms'
import { randomBytes } from 'node:crypto'
import { lookup } from '../_table.ts'
import { IMPORT_PARAMETERS_TTL_MS } from '../defaults.ts'
import { KmsApiError } from '../errors.ts'
import { enumValues } from '../input_schema.ts'
import { checkImportable } from '../key_checks.ts'
import { encodeImportToken, WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from '../key_import.ts'
import { generateRsaKeyPair } from '../key_material.ts'
import { KEY_SPECS } from '../key_specs.ts'
import { KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** How many unexpired import parameter sets a key keeps; older ones are dropped. */
const MAX_PARAMETER_SETS = 10

/** The `GetParametersForImport` handler. */
export const getParametersForImport = defineOperation({
  name: 'GetParametersForImport',
  family: 'management',
  mutating: true,
  input: {
    KeyId: KEY_ID_REQUIRED,
    WrappingAlgorithm: { type: 'string', required: true, enum: enumValues(AlgorithmSpec) },
    WrappingKeySpec: { type: 'string', required: true, enum: enumValues(WrappingKeySpec) },
  },
  output: ['KeyId', 'ImportToken', 'PublicKey', 'ParametersValidTo'],
  async handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    const arn = ctx.store.arnOf(key)
    checkImportable(ctx.store, key)
    const algorithm = lookup(WRAPPING_ALGORITHMS, input.WrappingAlgorithm)
    if (!algorithm) {
      throw new KmsApiError(
        'UnsupportedOperationException',
        `WrappingAlgorithm ${input.WrappingAlgorithm} is not supported`,
      )
    }
    if (KEY_SPECS[key.keySpec].kind === 'rsa' && algorithm.kind !== 'rsa-aes-key-wrap') {
      throw new KmsApiError(
        'UnsupportedOperationException',
        `WrappingAlgorithm ${input.WrappingAlgorithm} cannot wrap ${key.keySpec} key material; use RSA_AES_KEY_WRAP_SHA_256`,
      )
    }
    const modulusBits = lookup(WRAPPING_KEY_SPECS, input.WrappingKeySpec)
    if (modulusBits === undefined) {
      throw new KmsApiError(
        'UnsupportedOperationException',
        `WrappingKeySpec ${input.WrappingKeySpec} is not supported`,
      )
    }
    const { privateKey, publicKey } = await generateRsaKeyPair(modulusBits)
    const tokenId = randomBytes(16).toString('hex')
    const validTo = ctx.now + IMPORT_PARAMETERS_TTL_MS
    key.importParameters = [
      ...key.importParameters.slice(-(MAX_PARAMETER_SETS - 1)),
      {
        tokenId,
        wrappingAlgorithm: input.WrappingAlgorithm,
        wrappingKeySpec: input.WrappingKeySpec,
        privateKey,
        validTo,
      },
    ]
    return {
      KeyId: arn,
      ImportToken: encodeImportToken(key.keyId, tokenId),
      PublicKey: publicKey.export({ type: 'spki', format: 'der' }),
      ParametersValidTo: new Date(validTo),
    }
  },
})
