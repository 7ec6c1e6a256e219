/**
 * Writes a device folder: `public_key.der`, then `manifest.json`, then (for a device)
 * `agent.json`, each atomically (platform's `writeFileAtomic`: temp file, explicit mode, fsync,
 * rename, fsync of the folder), in a folder with mode 0700.
 *
 * The manifest goes after the key: it is the record of what is pinned, so a crash in between
 * leaves a folder missing its manifest (which a rerun completes), never one that verifies with a
 * key it does not hold. Deciding whether to write at all is the caller's job.
 *
 * @example
 * ```ts
 * await writeBundle(dir, checked.key.spki, manifest)
 * await writeAgentConfig(dir, createAgentConfig(deviceId, prefix, manifest))
 * ```
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { ensureDir, writeFileAtomic } from '../../platform/src/index.ts'
import type { AgentConfig } from './agent_config.ts'
import { encodeAgentConfig } from './agent_config.ts'
import { BUNDLE_FILES, FILE_MODES } from './defaults.ts'
import type { BundleManifest } from './manifest.ts'
import { encodeManifest } from './manifest.ts'

/**
 * Writes the key bundle into `dir`, creating the folder with mode 0700.
 *
 * @throws {RangeError} when SHA-256 of `spki` is not the manifest's pin (a caller bug: the bundle
 *   would never verify).
 * @throws {IoError} `ERR_IO`.
 * @example
 * ```ts
 * await writeBundle('/out/dev-1', spki, manifest)
 * ```
 */
export async function writeBundle(
  dir: string,
  spki: Uint8Array,
  manifest: BundleManifest,
): Promise<void> {
  if (createHash('sha256').update(spki).digest('hex') !== manifest.pinSha256) {
    throw new RangeError('writeBundle: the manifest does not pin this public key')
  }
  await ensureDir(dir, FILE_MODES.keyDir)
  await writeFileAtomic(join(dir, BUNDLE_FILES.publicKey), spki, FILE_MODES.publicKey)
  await writeFileAtomic(
    join(dir, BUNDLE_FILES.manifest),
    encodeManifest(manifest),
    FILE_MODES.manifest,
  )
}

/**
 * Writes `agent.json` into the existing folder `dir`.
 *
 * @throws {IoError} `ERR_IO`.
 * @example
 * ```ts
 * await writeAgentConfig('/out/dev-1', config)
 * ```
 */
export async function writeAgentConfig(dir: string, config: AgentConfig): Promise<void> {
  await writeFileAtomic(
    join(dir, BUNDLE_FILES.agentConfig),
    encodeAgentConfig(config),
    FILE_MODES.agentConfig,
  )
}
