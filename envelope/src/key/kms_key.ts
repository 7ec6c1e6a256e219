/**
 * The AWS KMS keys a `sealwire/1` recipient may be: the RSA key specs whose public half the
 * profile accepts (RSA-OAEP-SHA-256 wraps a 32-byte CEK under all three), and the shape of a KMS
 * key ARN. One table for the factory (device bundles) and the cloud (KMS checks), which may not
 * import each other.
 *
 * @example
 * ```ts
 * RSA_KEY_SPECS.RSA_3072.modulusBits // 3072
 * isKeyArn('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') // true
 * ```
 */

/** The KMS `KeySpec` values of a recipient key. */
export type RsaKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096'

/** One row of {@link RSA_KEY_SPECS}. */
export interface RsaKeySpecInfo {
  /** The RSA modulus size the SPKI must have. */
  readonly modulusBits: number
}

/** The accepted key specs, keyed by KMS `KeySpec`, with a null prototype. */
export const RSA_KEY_SPECS: Readonly<Record<RsaKeySpec, RsaKeySpecInfo>> = Object.freeze(
  Object.assign(Object.create(null) as Record<RsaKeySpec, RsaKeySpecInfo>, {
    RSA_2048: Object.freeze({ modulusBits: 2048 }),
    RSA_3072: Object.freeze({ modulusBits: 3072 }),
    RSA_4096: Object.freeze({ modulusBits: 4096 }),
  }),
)

/**
 * True when `value` is one of {@link RSA_KEY_SPECS}.
 *
 * @example
 * ```ts
 * isRsaKeySpec('SYMMETRIC_DEFAULT') // false
 * ```
 */
export function isRsaKeySpec(value: unknown): value is RsaKeySpec {
  return typeof value === 'string' && Object.hasOwn(RSA_KEY_SPECS, value)
}

/** The pattern of a KMS key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`). */
export const KEY_ARN_PATTERN = '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]{1,128}$'
const KEY_ARN = new RegExp(KEY_ARN_PATTERN)

/**
 * True when `value` looks like a KMS key ARN.
 *
 * @example
 * ```ts
 * isKeyArn('alias/sealwire') // false
 * ```
 */
export function isKeyArn(value: unknown): value is string {
  return typeof value === 'string' && KEY_ARN.test(value)
}
