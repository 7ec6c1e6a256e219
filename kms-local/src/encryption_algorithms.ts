/**
 * The encryption algorithms of `Encrypt`/`Decrypt`, in one table keyed by
 * `EncryptionAlgorithmSpec`. RSAES-OAEP uses the same hash for OAEP and MGF1 and an empty label
 * (RFC 8017 §7.1), exactly as AWS KMS documents its `RSAES_OAEP_SHA_*` algorithms.
 *
 * @example
 * ```ts
 * maxOaepPlaintext(2048, lookup(ENCRYPTION_ALGORITHMS, 'RSAES_OAEP_SHA_256')!) // 190
 * ```
 */
import { table } from './_table.ts'

/** One supported encryption algorithm. */
export type EncryptionAlgorithmInfo =
  | { readonly kind: 'symmetric' }
  | { readonly kind: 'rsa-oaep'; readonly hash: 'sha1' | 'sha256'; readonly hashBytes: number }

/** Supported encryption algorithms (`SM2PKE` is well-formed but unsupported, as outside China). */
export const ENCRYPTION_ALGORITHMS = table({
  SYMMETRIC_DEFAULT: { kind: 'symmetric' },
  RSAES_OAEP_SHA_1: { kind: 'rsa-oaep', hash: 'sha1', hashBytes: 20 },
  RSAES_OAEP_SHA_256: { kind: 'rsa-oaep', hash: 'sha256', hashBytes: 32 },
} satisfies Record<string, EncryptionAlgorithmInfo>)

/**
 * The longest plaintext RSAES-OAEP takes: k − 2·hLen − 2 bytes (RFC 8017 §7.1.1 step 1.b), so
 * 190 / 318 / 446 bytes with SHA-256 for RSA 2048 / 3072 / 4096.
 *
 * @example
 * ```ts
 * maxOaepPlaintext(4096, { kind: 'rsa-oaep', hash: 'sha1', hashBytes: 20 }) // 470
 * ```
 */
export function maxOaepPlaintext(
  modulusBits: number,
  algorithm: Extract<EncryptionAlgorithmInfo, { kind: 'rsa-oaep' }>,
): number {
  return modulusBits / 8 - 2 * algorithm.hashBytes - 2
}
