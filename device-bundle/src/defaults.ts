/**
 * The fixed names, modes, format strings and size limits of a device bundle (STYLE §4.1, §4.3:
 * one typed object each, file modes as named constants).
 *
 * @example
 * ```ts
 * await writeFileAtomic(join(dir, BUNDLE_FILES.publicKey), spki, FILE_MODES.publicKey)
 * ```
 */

/**
 * File names inside a device folder. Fixed: readers never take a path from a file's contents.
 *
 * @example
 * ```ts
 * const manifestPath = join(dir, BUNDLE_FILES.manifest)
 * ```
 */
export const BUNDLE_FILES = Object.freeze({
  /** The DER SubjectPublicKeyInfo, exactly as KMS `GetPublicKey` returned it. */
  publicKey: 'public_key.der',
  /** What is pinned, from where, when. */
  manifest: 'manifest.json',
  /** What the device agent needs besides the key: its id, topics and pin (device folders only). */
  agentConfig: 'agent.json',
} as const)

/**
 * File modes of a device folder, set explicitly after creation (never left to the umask).
 *
 * The public key is not secret, so the files are world-readable (0644); what matters is that only
 * the owner can change them. Replacing a file is a rename in its folder, so the folder mode (0700)
 * is what stops another user from swapping the key; the pin check at every start catches a swap
 * that got through anyway.
 *
 * @example
 * ```ts
 * await ensureDir(dir, FILE_MODES.keyDir)
 * ```
 */
export const FILE_MODES = Object.freeze({
  keyDir: 0o700,
  publicKey: 0o644,
  manifest: 0o644,
  agentConfig: 0o644,
} as const)

/**
 * The manifest's `format` string.
 *
 * @example
 * ```ts
 * manifest.format === MANIFEST_FORMAT
 * ```
 */
export const MANIFEST_FORMAT = 'sealwire-key-bundle'

/**
 * The one manifest `formatVersion` this code reads and writes.
 *
 * @example
 * ```ts
 * manifest.formatVersion === MANIFEST_VERSION
 * ```
 */
export const MANIFEST_VERSION = 1

/**
 * The `format` string of `agent.json`.
 *
 * @example
 * ```ts
 * config.format === AGENT_CONFIG_FORMAT
 * ```
 */
export const AGENT_CONFIG_FORMAT = 'sealwire-agent-provisioning'

/**
 * The one `agent.json` `formatVersion` this code reads and writes.
 *
 * @example
 * ```ts
 * config.formatVersion === AGENT_CONFIG_VERSION
 * ```
 */
export const AGENT_CONFIG_VERSION = 1

/** The shape of {@link bundleLimits}. */
export interface BundleLimits {
  readonly maxManifestBytes: number
  /** An RSA-4096 SPKI is 550 bytes; anything near this limit is not a key we would accept. */
  readonly maxSpkiBytes: number
  readonly maxAgentConfigBytes: number
}

/**
 * Hard size limits of what a bundle reader reads: a larger file is `ERR_BUNDLE_CORRUPT`.
 *
 * @example
 * ```ts
 * await readFileBounded(path, bundleLimits.maxManifestBytes)
 * ```
 */
export const bundleLimits: BundleLimits = Object.freeze({
  maxManifestBytes: 64 * 1024,
  maxSpkiBytes: 16 * 1024,
  maxAgentConfigBytes: 64 * 1024,
})
