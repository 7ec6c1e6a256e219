/**
 * AES-GCM backends (NIST SP 800-38D): synchronous node:crypto where the runtime has it (Node and
 * Bun, about 5× faster than @noble/ciphers at 256 B), @noble/ciphers everywhere else. Both pass
 * the same tests and are cross-checked against each other.
 *
 * A backend imports a key once per epoch and then seals into a caller-owned buffer, so the seal
 * path allocates one output array per message. Every open failure is the opaque
 * {@link DecryptionFailedError}.
 *
 * @example
 * ```ts
 * const aead = selectAead() // the node:crypto backend on Node and Bun
 * const key = aead.importKey(cek)
 * const out = new Uint8Array(pt.length + 16)
 * aead.sealInto(key, nonce, aad, pt, out, 0)
 * ```
 */
import { NodeCryptoUnavailableError } from '../errors.ts'
import { nodeAead } from './aead_node.ts'
import { nobleAead } from './aead_noble.ts'

/** Backend names. */
export type AeadBackendName = 'node' | 'noble'

/** A key imported into one backend; only that backend can use it. */
export interface AeadKey {
  readonly backend: AeadBackendName
}

/** AES-GCM with a 12-byte nonce and a 16-byte tag. */
export interface AeadBackend {
  readonly name: AeadBackendName
  /** Imports a 16, 24 or 32-byte AES key. */
  importKey(key: Uint8Array): AeadKey
  /** Writes ciphertext ‖ tag (plaintext length + 16 bytes) into `out` at `at`; returns the end. */
  sealInto(
    key: AeadKey,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    at: number,
  ): number
  /** Checks the tag and returns the plaintext, or throws {@link DecryptionFailedError}. */
  open(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array
}

export { TAG_BYTES, NONCE_BYTES } from './_aead_checks.ts'

/**
 * Returns the named backend, or the fastest one present (`node` where node:crypto exists).
 *
 * @throws {NodeCryptoUnavailableError} `ERR_NODE_CRYPTO_UNAVAILABLE` for `'node'` on a runtime
 *   without node:crypto.
 * @example
 * ```ts
 * selectAead('noble').name // 'noble'
 * ```
 */
export function selectAead(name?: AeadBackendName): AeadBackend {
  if (name === 'noble') return nobleAead
  if (name === 'node') {
    if (!nodeAead) throw new NodeCryptoUnavailableError("selectAead('node')")
    return nodeAead
  }
  return nodeAead ?? nobleAead
}
