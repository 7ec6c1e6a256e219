/**
 * AES-256-GCM for segments (internal): synchronous node:crypto where present, with the key
 * imported once per stream and each segment's ciphertext and tag handed out as node:crypto
 * produced them (no copy into a joined buffer: on 64 KiB segments that copy and its zero-filled
 * allocation were a tenth of the sealing time); the envelope's portable AEAD backend otherwise.
 * Every open failure is the opaque {@link DecryptionFailedError}.
 *
 * @example
 * ```ts
 * const cipher = segmentCipher(cek) // copies the key; the caller zeroes its own
 * const [body, tag] = cipher.seal(nonce, aad, plaintext)
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { nodeCrypto } from '../crypto/_node_crypto.ts'
import { selectAead, TAG_BYTES } from '../crypto/aead.ts'
import type { AeadBackendName } from '../crypto/aead.ts'
import { DecryptionFailedError } from '../errors.ts'

/** Seals and opens segments under one key. */
export interface SegmentCipher {
  /** The sealed segment as one or two chunks (ciphertext, tag). */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array[]
  /** The plaintext, or the opaque error. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array
}

function nodeCipher(crypto: NonNullable<typeof nodeCrypto>, key: KeyObject): SegmentCipher {
  const options = { authTagLength: TAG_BYTES }
  return {
    seal(nonce, aad, plaintext) {
      const c = crypto.createCipheriv('aes-256-gcm', key, nonce, options)
      c.setAAD(aad)
      const body = c.update(plaintext)
      const rest = c.final()
      const tag = c.getAuthTag()
      if (rest.length > 0) return [body, rest, tag]
      return body.length > 0 ? [body, tag] : [tag]
    },
    open(nonce, aad, sealed) {
      if (sealed.length < TAG_BYTES) throw new DecryptionFailedError()
      const split = sealed.length - TAG_BYTES
      try {
        const d = crypto.createDecipheriv('aes-256-gcm', key, nonce, options)
        d.setAuthTag(sealed.subarray(split))
        d.setAAD(aad)
        const body = d.update(sealed.subarray(0, split))
        const rest = d.final()
        return rest.length === 0 ? body : Buffer.concat([body, rest])
      } catch {
        throw new DecryptionFailedError()
      }
    },
  }
}

/**
 * A segment cipher for a 32-byte key on the named backend (default: node:crypto where present).
 *
 * @example
 * ```ts
 * const cipher = segmentCipher(cek, 'noble')
 * ```
 */
export function segmentCipher(key: Uint8Array, backend?: AeadBackendName): SegmentCipher {
  if (backend !== 'noble' && nodeCrypto) {
    selectAead(backend) // refuses 'node' where it is absent, as everywhere else
    return nodeCipher(nodeCrypto, nodeCrypto.createSecretKey(key))
  }
  const aead = selectAead(backend)
  const imported = aead.importKey(key)
  return {
    seal(nonce, aad, plaintext) {
      const out = new Uint8Array(plaintext.length + TAG_BYTES)
      aead.sealInto(imported, nonce, aad, plaintext, out, 0)
      return [out]
    },
    open: (nonce, aad, sealed) => aead.open(imported, nonce, aad, sealed),
  }
}
