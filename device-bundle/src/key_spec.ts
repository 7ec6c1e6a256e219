/**
 * The key a bundle may record: one of the KMS RSA key specs the envelope accepts (the envelope's
 * table), used with `RSAES_OAEP_SHA_256` (the envelope suite's KMS algorithm), named by a KMS key
 * ARN.
 *
 * @example
 * ```ts
 * manifest.algorithm === KEY_ALGORITHM // 'RSAES_OAEP_SHA_256'
 * ```
 */
import { SUITE } from '../../envelope/src/index.ts'

export { isKeyArn, isRsaKeySpec, KEY_ARN_PATTERN, RSA_KEY_SPECS } from '../../envelope/src/index.ts'
export type { RsaKeySpec, RsaKeySpecInfo } from '../../envelope/src/index.ts'

/** The one KMS encryption algorithm of a bundle's key. */
export const KEY_ALGORITHM: 'RSAES_OAEP_SHA_256' = SUITE.kmsAlgorithm
