/**
 * The algorithm table of `sealwire/1`: one suite, keyed by its COSE content algorithm id.
 *
 * Content: A256GCM (RFC 9053 §4.1, COSE alg 3), 16-byte tag, 12-byte nonce. Key wrap: RSAES-OAEP
 * with SHA-256 and MGF1-SHA-256, empty label (RFC 8230 §3, COSE alg −41) = KMS
 * `RSAES_OAEP_SHA_256`. Decoding rejects any other id: nothing is negotiated.
 *
 * @example
 * ```ts
 * const suite = SUITES[3] // undefined for any id but 3
 * ```
 */

/** One row of {@link SUITES}. */
export interface Suite {
  readonly name: 'sealwire/1'
  /** COSE content algorithm id (protected header label 1). */
  readonly contentAlg: number
  /** COSE recipient algorithm id (recipient header label 1). */
  readonly keyWrapAlg: number
  /** The KMS `EncryptionAlgorithmSpec` that unwraps the recipient ciphertext. */
  readonly kmsAlgorithm: 'RSAES_OAEP_SHA_256'
  readonly oaepHash: 'sha256'
  readonly keyBytes: number
  readonly nonceBytes: number
  readonly tagBytes: number
}

/** COSE alg id of A256GCM. */
export const ALG_A256GCM = 3

/** COSE alg id of RSAES-OAEP w/ SHA-256 (RFC 8230). */
export const ALG_RSA_OAEP_256 = -41

/** Suites by content algorithm id; a null-prototype object, so no inherited key matches. */
export const SUITES: Readonly<Record<number, Suite | undefined>> = Object.freeze(
  Object.assign(Object.create(null) as Record<number, Suite>, {
    [ALG_A256GCM]: Object.freeze({
      name: 'sealwire/1',
      contentAlg: ALG_A256GCM,
      keyWrapAlg: ALG_RSA_OAEP_256,
      kmsAlgorithm: 'RSAES_OAEP_SHA_256',
      oaepHash: 'sha256',
      keyBytes: 32,
      nonceBytes: 12,
      tagBytes: 16,
    } satisfies Suite),
  }),
)

/** The suite every `sealwire/1` message uses. */
export const SUITE: Suite = SUITES[ALG_A256GCM]!

/** COSE header labels used by the profile (RFC 9052 §3.1). Label 1: alg. */
export const LABEL_ALG = 1

/** Header label 4: kid (the epoch id in the compact form, the pin id in the recipient). */
export const LABEL_KID = 4

/** Header label 6: Partial IV (the device sequence number). */
export const LABEL_PARTIAL_IV = 6

/** COSE CBOR tags (RFC 9052 §2). Tag 16: COSE_Encrypt0, the compact form. */
export const TAG_ENCRYPT0 = 16

/** Tag 96: COSE_Encrypt, the full form. */
export const TAG_ENCRYPT = 96

/** HKDF info string of the base IV. */
export const BASE_IV_INFO = 'sealwire/1 base iv'
