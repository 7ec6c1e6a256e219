/**
 * The unwrap side: turn a recipient ciphertext back into the CEK.
 *
 * In the cloud this is KMS `Decrypt` with `EncryptionAlgorithm: RSAES_OAEP_SHA_256` (the consumer
 * supplies that callback); here is the local one used by tests and demos. The contract of an
 * {@link Unwrap} callback: return the CEK; throw {@link DecryptionFailedError} when the ciphertext
 * cannot be unwrapped by this key (KMS `InvalidCiphertextException`, `IncorrectKeyException`);
 * throw anything else for a transient failure, which `open` reports as `ERR_UNWRAP_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const opener = new Opener({ unwrap: createLocalUnwrap(privateKey) })
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { DecryptionFailedError, KeyRejectedError, NodeCryptoUnavailableError } from '../errors.ts'
import { nodeCrypto } from './_node_crypto.ts'

/** Unwraps a recipient ciphertext; `kid` is the recipient's pin id as sent. */
export type Unwrap = (wrapped: Uint8Array, kid: Uint8Array) => Promise<Uint8Array> | Uint8Array

/**
 * An {@link Unwrap} over a local RSA private key (PKCS#8 DER or a `KeyObject`). Every OAEP failure
 * is the opaque error. Needs node:crypto. `oaepLabel` exists for vector tests only: KMS always uses
 * an empty label.
 *
 * @throws {KeyRejectedError} `ERR_KEY_UNSUPPORTED` for a key that is not an RSA private key.
 * @throws {NodeCryptoUnavailableError} `ERR_NODE_CRYPTO_UNAVAILABLE` without node:crypto.
 * @example
 * ```ts
 * const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
 * const unwrap = createLocalUnwrap(privateKey)
 * ```
 */
export function createLocalUnwrap(
  privateKey: KeyObject | Uint8Array,
  options: { oaepLabel?: Uint8Array } = {},
): Unwrap {
  if (!nodeCrypto) throw new NodeCryptoUnavailableError('createLocalUnwrap')
  const crypto = nodeCrypto
  let key: KeyObject
  if (privateKey instanceof Uint8Array) {
    try {
      key = crypto.createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' })
    } catch (cause) {
      throw new KeyRejectedError('ERR_KEY_UNSUPPORTED', 'the private key is not PKCS#8 DER', {
        cause,
      })
    }
  } else if (privateKey instanceof crypto.KeyObject) {
    key = privateKey
  } else {
    throw new TypeError('privateKey: expected a KeyObject or PKCS#8 DER bytes')
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new KeyRejectedError('ERR_KEY_UNSUPPORTED', 'the private key is not an RSA private key')
  }
  return (wrapped: Uint8Array) => {
    try {
      const out = crypto.privateDecrypt(
        {
          key,
          padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
          ...(options.oaepLabel?.length ? { oaepLabel: options.oaepLabel } : {}),
        },
        wrapped,
      )
      return new Uint8Array(out.buffer, out.byteOffset, out.length)
    } catch {
      throw new DecryptionFailedError()
    }
  }
}
