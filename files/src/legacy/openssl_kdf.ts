/**
 * What `openssl enc -aes-256-cbc -pass file:F` does with its password (README, "Legacy files"),
 * so that `open-legacy` reads exactly the files the walkthrough's commands produced.
 *
 * - The password is the **first line** of the file: OpenSSL's `app_get_pass` reads at most 1023
 *   bytes with `BIO_gets` and cuts at the first `\n` (a `\r` stays; being a C string, it also
 *   ends at a NUL byte). For `key.b64` from `openssl rand -base64 32` that is the 44 base64
 *   characters without the newline.
 * - The file starts with `Salted__` and an 8-byte salt.
 * - Key and IV (32 + 16 bytes): OpenSSL 1.1+ by default uses `EVP_BytesToKey` with SHA-256 and
 *   one iteration (D1 = H(pass ‖ salt), Di = H(Di−1 ‖ pass ‖ salt); key ‖ iv = D1 ‖ D2 …); with
 *   `-pbkdf2`, PBKDF2-HMAC-SHA-256 with 10,000 iterations unless `-iter` says otherwise.
 *
 * @example
 * ```ts
 * const { key, iv } = legacyKeyAndIv(opensslPassword(keyB64), salt, { kdf: 'evp', md: 'sha256' })
 * ```
 */
import { createHash, pbkdf2Sync } from 'node:crypto'
import { filesDefaults } from '../defaults.ts'

/** `Salted__`, the 8 bytes that start a salted `openssl enc` file. */
export const SALTED_MAGIC = Buffer.from('Salted__', 'latin1')

/** How the key and IV were derived. */
export interface LegacyKdf {
  readonly kdf: 'evp' | 'pbkdf2'
  /** Digest of the KDF (`-md`); OpenSSL 1.1+ uses sha256, 1.0 used md5. */
  readonly md: 'sha256' | 'sha1' | 'md5'
  /** PBKDF2 iterations (`-iter`). */
  readonly iterations?: number | undefined
}

/**
 * The password `openssl … -pass file:F` reads from the bytes of F.
 *
 * @example
 * ```ts
 * opensslPassword(Buffer.from('abc\ndef\n')) // Buffer 'abc'
 * ```
 */
export function opensslPassword(file: Uint8Array): Buffer {
  // A view, not a copy: nothing of the key file is left behind in Buffer's shared pool.
  const bytes = file.subarray(0, filesDefaults.legacy.maxPasswordBytes)
  let end = bytes.indexOf(0x0a)
  if (end < 0) end = bytes.length
  const nul = bytes.subarray(0, end).indexOf(0x00)
  // Buffer.alloc, not Buffer.from: a password of its own, never a slice of the shared pool.
  const password = Buffer.alloc(nul < 0 ? end : nul)
  password.set(bytes.subarray(0, password.length))
  return password
}

/**
 * OpenSSL's `EVP_BytesToKey` with one iteration: `length` bytes of D1 ‖ D2 ‖ …
 *
 * @example
 * ```ts
 * evpBytesToKey('sha256', pass, salt, 48)
 * ```
 */
export function evpBytesToKey(
  md: LegacyKdf['md'],
  password: Uint8Array,
  salt: Uint8Array,
  length: number,
): Buffer {
  const out: Buffer[] = []
  let total = 0
  let prev: Buffer = Buffer.alloc(0)
  while (total < length) {
    prev = createHash(md).update(prev).update(password).update(salt).digest()
    out.push(prev)
    total += prev.length
  }
  return Buffer.concat(out).subarray(0, length)
}

/**
 * The AES-256-CBC key and IV of an `openssl enc` file.
 *
 * @example
 * ```ts
 * const { key, iv } = legacyKeyAndIv(pass, salt, { kdf: 'pbkdf2', md: 'sha256', iterations: 10000 })
 * ```
 */
export function legacyKeyAndIv(
  password: Uint8Array,
  salt: Uint8Array,
  kdf: LegacyKdf,
): { readonly key: Buffer; readonly iv: Buffer } {
  const material =
    kdf.kdf === 'pbkdf2'
      ? pbkdf2Sync(
          password,
          salt,
          kdf.iterations ?? filesDefaults.legacy.pbkdf2Iterations,
          48,
          kdf.md,
        )
      : evpBytesToKey(kdf.md, password, salt, 48)
  return { key: material.subarray(0, 32), iv: material.subarray(32, 48) }
}
