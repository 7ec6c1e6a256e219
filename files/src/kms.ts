/**
 * The KMS side of `sealwire-file`: an unwrap for one file (one `Decrypt`, through kms-client's
 * `kmsUnwrap`, so kms-local and AWS are one path).
 *
 * @example
 * ```ts
 * const unwrap = unwrapWithKey(ctx.kms(), 'alias/fleet')
 * ```
 */
import { toHex } from '../../envelope/src/index.ts'
import type { Unwrap } from '../../envelope/src/index.ts'
import { kmsUnwrap } from '../../kms-client/src/index.ts'
import type { KmsSession } from '../../kms-client/src/index.ts'

/**
 * An unwrap that sends the file's wrapped CEK to KMS `Decrypt` under `keyId`, whatever pin id the
 * header names (KMS refuses a ciphertext of another key: the opaque error).
 *
 * @example
 * ```ts
 * await openStream(chunks, { unwrap: unwrapWithKey(session, keyId) })
 * ```
 */
export function unwrapWithKey(session: KmsSession, keyId: string): Unwrap {
  return (wrapped, kid) => kmsUnwrap({ session, keys: { [toHex(kid)]: keyId } })(wrapped, kid)
}
