/**
 * kms-local's own ciphertext blob for `SYMMETRIC_DEFAULT` keys. Like a real KMS blob it names its
 * key, so `Decrypt` needs no `KeyId`; unlike it, the layout is ours (real blobs are opaque too):
 *
 * ```text
 * 'K' 'L' 0x01 | key id (36 ASCII bytes, a UUID) | IV (12) | AES-256-GCM ciphertext | tag (16)
 * ```
 *
 * The AAD is the 39-byte header followed by the canonical encryption context, so a blob moved to
 * another key id, or decrypted with another context, fails its tag (NIST SP 800-38D). IVs are
 * random: a key seals far fewer than 2^32 blobs here (SP 800-38D §8.3).
 *
 * @example
 * ```ts
 * const blob = sealSymmetric(keyId, secret, plaintext, { purpose: 'test' })
 * readSymmetricKeyId(blob) // keyId
 * openSymmetric(secret, blob, { purpose: 'test' }) // plaintext
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const MAGIC = Buffer.from([0x4b, 0x4c, 0x01])
const KEY_ID_BYTES = 36
const HEADER_BYTES = MAGIC.length + KEY_ID_BYTES
const IV_BYTES = 12
const TAG_BYTES = 16
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Length of a symmetric key's secret: AES-256. */
export const SYMMETRIC_SECRET_BYTES = 32

/**
 * Encodes an encryption context deterministically: pairs sorted by key, as JSON.
 *
 * @example
 * ```ts
 * canonicalContext({ b: '2', a: '1' }).toString() // '[["a","1"],["b","2"]]'
 * ```
 */
function canonicalContext(context: Readonly<Record<string, string>> | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Buffer.from(JSON.stringify(pairs), 'utf8')
}

/**
 * Seals a plaintext under a symmetric key.
 *
 * @example
 * ```ts
 * const blob = sealSymmetric(key.keyId, secret, Buffer.from('hi'), undefined)
 * ```
 */
export function sealSymmetric(
  keyId: string,
  secret: Uint8Array,
  plaintext: Uint8Array,
  context: Readonly<Record<string, string>> | undefined,
): Buffer {
  if (!UUID.test(keyId)) throw new TypeError('sealSymmetric: keyId must be a lowercase UUID')
  if (secret.length !== SYMMETRIC_SECRET_BYTES) {
    throw new RangeError(`sealSymmetric: secret must be ${SYMMETRIC_SECRET_BYTES} bytes`)
  }
  const header = Buffer.concat([MAGIC, Buffer.from(keyId, 'ascii')])
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.concat([header, canonicalContext(context)]))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([header, iv, body, cipher.getAuthTag()])
}

/**
 * The key id a blob names, or `undefined` when the bytes are not a kms-local symmetric blob
 * (an RSA ciphertext, garbage, a truncated blob).
 *
 * @example
 * ```ts
 * readSymmetricKeyId(Buffer.alloc(256)) // undefined
 * ```
 */
export function readSymmetricKeyId(blob: Uint8Array): string | undefined {
  if (blob.length <= HEADER_BYTES + IV_BYTES + TAG_BYTES) return undefined
  if (!MAGIC.equals(blob.subarray(0, MAGIC.length))) return undefined
  const keyId = Buffer.from(blob.subarray(MAGIC.length, HEADER_BYTES)).toString('latin1')
  return UUID.test(keyId) ? keyId : undefined
}

/**
 * Opens a blob, or returns `undefined` for every failure alike (bad tag, wrong context, wrong
 * key, malformed), so nothing about the cause leaks.
 *
 * @example
 * ```ts
 * openSymmetric(secret, blob, undefined) ?? raiseInvalidCiphertext()
 * ```
 */
export function openSymmetric(
  secret: Uint8Array,
  blob: Uint8Array,
  context: Readonly<Record<string, string>> | undefined,
): Buffer | undefined {
  if (readSymmetricKeyId(blob) === undefined || secret.length !== SYMMETRIC_SECRET_BYTES) {
    return undefined
  }
  const header = blob.subarray(0, HEADER_BYTES)
  const iv = blob.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES)
  const tag = blob.subarray(blob.length - TAG_BYTES)
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.concat([header, canonicalContext(context)]))
    decipher.setAuthTag(tag)
    const body = blob.subarray(HEADER_BYTES + IV_BYTES, blob.length - TAG_BYTES)
    return Buffer.concat([decipher.update(body), decipher.final()])
  } catch {
    return undefined
  }
}
