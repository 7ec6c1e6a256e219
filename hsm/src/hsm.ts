/**
 * The `Hsm` interface: what the provisioning station (BYOK) and the consumer (decryption when KMS
 * is away) need from a hardware security module, whichever way it is reached (PKCS#11, or the
 * seed HSM's HTTP API). Keys are named by a label (the HTTP API's "alias"). Key material is
 * generated inside the HSM and leaves it only wrapped; no method returns a secret in the clear
 * except {@link Hsm.decrypt}, whose output is the caller's own data key.
 *
 * @example
 * ```ts
 * const caps = await hsm.capabilities()
 * await hsm.importWrappingKey('kms-wrap-1', wrappingSpki)
 * await hsm.generateAes256('fleet-aes')
 * const wrapped = await hsm.wrapKey('fleet-aes', 'kms-wrap-1', 'RSAES_OAEP_SHA_1')
 * ```
 */

/**
 * A wrapping algorithm, by its AWS KMS name (`GetParametersForImport`'s `WrappingAlgorithm`):
 * - `RSAES_OAEP_SHA_*`: the key itself is RSAES-OAEP encrypted under the wrapping key (MGF1 with
 *   the same hash, empty label);
 * - `RSA_AES_KEY_WRAP_SHA_*` (PKCS#11 `CKM_RSA_AES_KEY_WRAP`): RSAES-OAEP of a fresh AES-256 key
 *   (modulus-length bytes), then the key wrapped under that AES key with AES Key Wrap with Padding
 *   (RFC 5649): `OAEP(aes) || KWP(aes, key)`. RSA private keys are wrapped as PKCS#8
 *   `PrivateKeyInfo` DER.
 */
export type WrapAlgorithm =
  'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1'

/** Every {@link WrapAlgorithm}, strongest first within each kind. */
export const WRAP_ALGORITHMS: readonly WrapAlgorithm[] = Object.freeze([
  'RSAES_OAEP_SHA_256',
  'RSAES_OAEP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
])

/** The RSA key sizes an HSM key pair may have (those of a KMS `RSA_*` key spec). */
export type RsaModulusBits = 2048 | 3072 | 4096

/** What an HSM can do, and why not when it cannot. */
export interface HsmCapabilities {
  /** The wrapping algorithms {@link Hsm.wrapKey} can produce. */
  readonly wrapAlgorithms: readonly WrapAlgorithm[]
  /** True when {@link Hsm.generateRsa} works. */
  readonly rsaKeyGeneration: boolean
  /**
   * How {@link Hsm.decrypt} decrypts RSAES-OAEP-SHA-256: `'oaep-sha256'` in the HSM,
   * `'raw-rsa'` (`CKM_RSA_X_509` in the HSM, OAEP decoding in process), or `'none'`.
   */
  readonly decrypt: 'oaep-sha256' | 'raw-rsa' | 'none'
  /** One line per limit found and what is done about it (printed by the station). */
  readonly notes: readonly string[]
}

/** An HSM as sealwire uses it. Every method may throw `HsmError`. */
export interface Hsm {
  /** What it is, for logs: `pkcs11:<token label>` or `http:<origin>`; no secrets. */
  readonly name: string
  /** What the HSM supports (probed once, then cached). */
  capabilities(): Promise<HsmCapabilities>
  /**
   * Imports an RSA public key (DER SubjectPublicKeyInfo, e.g. KMS's wrapping key) under `alias`,
   * usable only to wrap. Importing the same key under the same alias again is a no-op; another
   * key under a taken alias is `ERR_HSM_KEY_EXISTS`.
   */
  importWrappingKey(alias: string, spki: Uint8Array): Promise<void>
  /** Generates an AES-256 key inside the HSM, persistent, extractable only wrapped. */
  generateAes256(alias: string): Promise<void>
  /**
   * Generates an RSA key pair (e = 65537) inside the HSM, persistent; the private key is
   * sensitive, may decrypt, and is extractable only wrapped. Returns the public key's SPKI DER.
   */
  generateRsa(alias: string, modulusBits: RsaModulusBits): Promise<Uint8Array>
  /** The SPKI DER of the RSA key pair `alias`. */
  publicKey(alias: string): Promise<Uint8Array>
  /** Wraps the key `keyAlias` (AES-256 or RSA private) under the public key `wrapKeyAlias`. */
  wrapKey(keyAlias: string, wrapKeyAlias: string, algorithm: WrapAlgorithm): Promise<Uint8Array>
  /**
   * Decrypts an RSAES-OAEP-SHA-256 ciphertext (MGF1-SHA-256, empty label) with the private key
   * `alias`. Every failure of the ciphertext is the envelope's opaque `DecryptionFailedError`.
   */
  decrypt(alias: string, ciphertext: Uint8Array): Promise<Uint8Array>
  /** Removes a wrapping key imported by {@link importWrappingKey} (nothing if absent). */
  forgetWrappingKey(alias: string): Promise<void>
  /** Logs out and releases the module or the connection. Idempotent. */
  close(): Promise<void>
}
