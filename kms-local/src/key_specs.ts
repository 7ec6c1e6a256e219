/**
 * The key specs kms-local can create, in one table keyed by `KeySpec`, with what each one allows:
 * key usages, and the encryption or signing algorithms that `DescribeKey` and `GetPublicKey` list
 * (as AWS lists them for RSA and symmetric keys).
 *
 * @example
 * ```ts
 * const spec = lookup(KEY_SPECS, 'RSA_3072') // { kind: 'rsa', modulusBits: 3072, ... }
 * ```
 */
import type {
  EncryptionAlgorithmSpec,
  KeyUsageType,
  SigningAlgorithmSpec,
} from '@aws-sdk/client-kms'
import { table } from './_table.ts'

/** What kms-local knows about one supported key spec. */
export interface KeySpecInfo {
  readonly kind: 'symmetric' | 'rsa'
  /** RSA modulus length in bits; 256 (the AES key length) for symmetric keys. */
  readonly modulusBits: number
  /** Key usages allowed with this spec; the first is the default. */
  readonly keyUsages: readonly SupportedKeyUsage[]
}

/** The key usages kms-local supports. */
export type SupportedKeyUsage = Extract<KeyUsageType, 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY'>

const RSA_USAGES: readonly SupportedKeyUsage[] = Object.freeze(['ENCRYPT_DECRYPT', 'SIGN_VERIFY'])

/** Supported key specs. Other `KeySpec` values are well-formed but refused as unsupported. */
export const KEY_SPECS = table({
  SYMMETRIC_DEFAULT: {
    kind: 'symmetric',
    modulusBits: 256,
    keyUsages: Object.freeze(['ENCRYPT_DECRYPT'] as const),
  },
  RSA_2048: { kind: 'rsa', modulusBits: 2048, keyUsages: RSA_USAGES },
  RSA_3072: { kind: 'rsa', modulusBits: 3072, keyUsages: RSA_USAGES },
  RSA_4096: { kind: 'rsa', modulusBits: 4096, keyUsages: RSA_USAGES },
} satisfies Record<string, KeySpecInfo>)

/** A key spec kms-local supports. */
export type SupportedKeySpec = keyof typeof KEY_SPECS

/** RSA signing algorithms, in the order AWS lists them. */
const RSA_SIGNING_ALGORITHMS: readonly SigningAlgorithmSpec[] = Object.freeze([
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
])

/**
 * The algorithm lists a key answers in `KeyMetadata` and `GetPublicKey`.
 *
 * @example
 * ```ts
 * algorithmsOf('RSA_2048', 'ENCRYPT_DECRYPT').EncryptionAlgorithms
 * // ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']
 * ```
 */
export function algorithmsOf(
  keySpec: SupportedKeySpec,
  keyUsage: SupportedKeyUsage,
): {
  EncryptionAlgorithms?: readonly EncryptionAlgorithmSpec[]
  SigningAlgorithms?: readonly SigningAlgorithmSpec[]
} {
  if (KEY_SPECS[keySpec].kind === 'symmetric')
    return { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
  if (keyUsage === 'SIGN_VERIFY') return { SigningAlgorithms: RSA_SIGNING_ALGORITHMS }
  return { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }
}
