/**
 * Wrap a data key (CEK) to the recipient's RSA public key with RSAES-OAEP, SHA-256, MGF1-SHA-256
 * and an empty label (RFC 8230 §3, COSE alg −41): exactly KMS `RSAES_OAEP_SHA_256`, so the wrapped
 * key goes to KMS `Decrypt` unchanged.
 *
 * node:crypto with the `KeyObject` parsed once where present (synchronous); WebCrypto otherwise
 * (asynchronous only).
 *
 * @example
 * ```ts
 * const wrapper = createKeyWrapper(parseRecipientKey(spki))
 * const wrapped = wrapper.wrapSync!(cek) // 256 bytes for RSA-2048
 * ```
 */
import type { webcrypto } from 'node:crypto'
import { abytes } from '../_bytes.ts'
import { NodeCryptoUnavailableError } from '../errors.ts'
import type { RecipientKey } from '../key/recipient_key.ts'
import { nodeCrypto } from './_node_crypto.ts'
import { oaepEncode } from './_oaep_encode.ts'

/** Wraps CEKs for one recipient key. */
export interface KeyWrapper {
  /** The recipient's pin id, sent as the full form's recipient `kid`. */
  readonly pinId: Uint8Array
  /** Length of a wrapped key in bytes (the modulus length). */
  readonly wrappedBytes: number
  /** Synchronous wrap, present where node:crypto is. */
  readonly wrapSync: ((cek: Uint8Array) => Uint8Array) | undefined
  /** Wraps on any runtime. */
  wrap(cek: Uint8Array): Promise<Uint8Array>
}

/**
 * A wrapper for a checked recipient key.
 *
 * @example
 * ```ts
 * const wrapped = await createKeyWrapper(key).wrap(cek)
 * ```
 */
export function createKeyWrapper(key: RecipientKey): KeyWrapper {
  const keyObject = key.keyObject
  if (nodeCrypto && keyObject) {
    const crypto = nodeCrypto
    const options = {
      key: keyObject,
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    }
    return syncWrapper(key, (cek) => crypto.publicEncrypt(options, cek))
  }
  let imported: Promise<webcrypto.CryptoKey> | undefined
  return Object.freeze({
    pinId: key.pinId,
    wrappedBytes: key.modulusBits / 8,
    wrapSync: undefined,
    async wrap(cek: Uint8Array) {
      checkCek(cek, key)
      imported ??= crypto.subtle.importKey(
        'spki',
        key.spki as Uint8Array<ArrayBuffer>,
        { name: 'RSA-OAEP', hash: 'SHA-256' },
        false,
        ['encrypt'],
      )
      const out = await crypto.subtle.encrypt(
        { name: 'RSA-OAEP' },
        await imported,
        cek as Uint8Array<ArrayBuffer>,
      )
      return new Uint8Array(out)
    },
  })
}

/**
 * A caller bug, not a domain error: OAEP with SHA-256 takes at most k − 66 bytes (RFC 8017
 * §7.1.1 step 1b), 190 for RSA-2048; a CEK is 32.
 */
function checkCek(cek: Uint8Array, key: RecipientKey): void {
  abytes(cek, 'cek')
  const max = key.modulusBits / 8 - 66
  if (cek.length > max) throw new RangeError(`cek: at most ${max} bytes, got ${cek.length}`)
}

/** A wrapper around a synchronous node:crypto encryption of the CEK. */
function syncWrapper(key: RecipientKey, encrypt: (cek: Uint8Array) => Buffer): KeyWrapper {
  const wrapSync = (cek: Uint8Array): Uint8Array => {
    checkCek(cek, key)
    const out = encrypt(cek)
    return new Uint8Array(out.buffer, out.byteOffset, out.length)
  }
  return Object.freeze({
    pinId: key.pinId,
    wrappedBytes: key.modulusBits / 8,
    wrapSync,
    wrap: async (cek: Uint8Array) => wrapSync(cek),
  })
}

/**
 * A wrapper whose OAEP seed is fixed. **Only for vector and golden-bytes tests**: a fixed seed
 * makes the wrapped key deterministic, which production must never be. Needs node:crypto.
 *
 * @deprecated Only intended for test and vector validation.
 * @throws {NodeCryptoUnavailableError} `ERR_NODE_CRYPTO_UNAVAILABLE` without node:crypto (or for a
 *   key parsed without it).
 * @example
 * ```ts
 * const wrapper = createKeyWrapperWithSeed(key, fromHex(rngStream[2]))
 * ```
 */
export function createKeyWrapperWithSeed(key: RecipientKey, seed: Uint8Array): KeyWrapper {
  abytes(seed, 'OAEP seed', 32)
  if (!nodeCrypto || !key.keyObject)
    throw new NodeCryptoUnavailableError('createKeyWrapperWithSeed')
  const crypto = nodeCrypto
  const options = { key: key.keyObject, padding: crypto.constants.RSA_NO_PADDING }
  return syncWrapper(key, (cek) =>
    crypto.publicEncrypt(options, oaepEncode(cek, seed, key.modulusBits / 8)),
  )
}
