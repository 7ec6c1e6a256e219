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

/**
 * COSE alg id of A256GCM.
 *
 * @example
 * ```ts
 * SUITES[ALG_A256GCM]?.keyBytes // 32
 * ```
 */
export const ALG_A256GCM = 3

/**
 * COSE alg id of RSAES-OAEP w/ SHA-256 (RFC 8230).
 *
 * @example
 * ```ts
 * SUITE.keyWrapAlg === ALG_RSA_OAEP_256 // true
 * ```
 */
export const ALG_RSA_OAEP_256 = -41

/**
 * Suites by content algorithm id; a null-prototype object, so no inherited key matches.
 *
 * @example
 * ```ts
 * SUITES[3]?.keyBytes // 32
 * SUITES[1] // undefined: only A256GCM (3) is known
 * ```
 */
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

/**
 * The suite every `sealwire/1` message uses.
 *
 * @example
 * ```ts
 * SUITE.kmsAlgorithm // 'RSAES_OAEP_SHA_256'
 * ```
 */
export const SUITE: Suite = SUITES[ALG_A256GCM]!

/**
 * COSE header labels used by the profile (RFC 9052 §3.1). Label 1: alg.
 *
 * @example
 * ```ts
 * const header = decodeCbor(PROTECTED_HEADER, defaultDecodeLimits) as CborMap
 * header.get(LABEL_ALG) // 3 (A256GCM)
 * ```
 */
export const LABEL_ALG = 1

/**
 * Header label 4: kid (the epoch id in the compact form, the pin id in the recipient).
 *
 * @example
 * ```ts
 * decodeCoseMessage(compact, defaultDecodeLimits).unprotected.get(LABEL_KID) // the epoch id
 * ```
 */
export const LABEL_KID = 4

/**
 * Header label 5: IV. The profile never sends one; every nonce comes from the Partial IV.
 *
 * @example
 * ```ts
 * LABEL_IV // 5
 * ```
 */
export const LABEL_IV = 5

/**
 * Header label 6: Partial IV (the device sequence number).
 *
 * @example
 * ```ts
 * decodeCoseMessage(bytes, defaultDecodeLimits).unprotected.get(LABEL_PARTIAL_IV) // seq 42: [0x2a]
 * ```
 */
export const LABEL_PARTIAL_IV = 6

/**
 * COSE CBOR tags (RFC 9052 §2). Tag 16: COSE_Encrypt0, the compact form.
 *
 * @example
 * ```ts
 * encodeHead(MT_TAG, TAG_ENCRYPT0) // Uint8Array [0xd0]
 * ```
 */
export const TAG_ENCRYPT0 = 16

/**
 * Tag 96: COSE_Encrypt, the full form.
 *
 * @example
 * ```ts
 * encodeHead(MT_TAG, TAG_ENCRYPT) // Uint8Array [0xd8, 0x60]
 * ```
 */
export const TAG_ENCRYPT = 96

/**
 * HKDF info string of the base IV.
 *
 * @example
 * ```ts
 * hkdf(sha256, cek, new Uint8Array(0), utf8(BASE_IV_INFO), 12) // deriveBaseIv(cek)
 * ```
 */
export const BASE_IV_INFO = 'sealwire/1 base iv'
