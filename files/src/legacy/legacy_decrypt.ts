/**
 * Decrypts the AES-256-CBC body of an `openssl enc` file as a stream: `Salted__`, the salt, then
 * CBC with PKCS#7 padding. Every failure once a key is involved (a padding that does not check,
 * a body that is not whole blocks) is the one `ERR_LEGACY_DECRYPTION_FAILED`: no oracle detail.
 * CBC is not authenticated: a changed block that keeps the padding valid is not detected.
 *
 * @example
 * ```ts
 * for await (const pt of legacyDecrypt(input.chunks(), password, kdf)) out.write(pt)
 * ```
 */
import { createDecipheriv } from 'node:crypto'
import { FilesError, legacyFailed } from '../errors.ts'
import { legacyKeyAndIv, SALTED_MAGIC } from './openssl_kdf.ts'
import type { LegacyKdf } from './openssl_kdf.ts'

/**
 * Yields the plaintext of an `openssl enc -aes-256-cbc` file read from `source`.
 *
 * @throws {FilesError} `ERR_LEGACY_FORMAT` when the input does not start with `Salted__` and a
 *   salt; `ERR_LEGACY_DECRYPTION_FAILED` for a wrong key or damaged input.
 * @example
 * ```ts
 * const plain = legacyDecrypt(chunks, opensslPassword(keyB64), { kdf: 'evp', md: 'sha256' })
 * ```
 */
export async function* legacyDecrypt(
  source: AsyncIterable<Uint8Array>,
  password: Buffer,
  kdf: LegacyKdf,
): AsyncGenerator<Uint8Array, void, undefined> {
  let head = Buffer.alloc(0)
  let decipher: ReturnType<typeof createDecipheriv> | undefined
  let body = 0
  for await (const chunk of source) {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (decipher === undefined) {
      head = Buffer.concat([head, rest])
      if (head.length < 16) continue
      if (!head.subarray(0, 8).equals(SALTED_MAGIC)) {
        throw new FilesError(
          'ERR_LEGACY_FORMAT',
          'not a salted openssl enc file (it does not start with "Salted__")',
        )
      }
      const { key, iv } = legacyKeyAndIv(password, head.subarray(8, 16), kdf)
      decipher = createDecipheriv('aes-256-cbc', key, iv)
      key.fill(0)
      rest = head.subarray(16)
    }
    body += rest.length
    const out = decipher.update(rest)
    if (out.length > 0) yield out
  }
  if (decipher === undefined) {
    throw new FilesError(
      'ERR_LEGACY_FORMAT',
      'not a salted openssl enc file (shorter than "Salted__" and its salt)',
    )
  }
  if (body === 0 || body % 16 !== 0) throw legacyFailed()
  let last: Buffer
  try {
    last = decipher.final()
  } catch {
    throw legacyFailed()
  }
  if (last.length > 0) yield last
}
