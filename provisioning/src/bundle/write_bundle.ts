/**
 * Writes a key bundle: `public_key.der` (the DER SPKI) then `manifest.json`, each atomically, in a
 * folder with mode 0700.
 *
 * The manifest goes last: it is the record of what is pinned, so a crash in between leaves a
 * folder that `inspectBundle` calls `incomplete` (and a rerun completes), never one that verifies
 * with a key it does not hold. Deciding whether to write at all is the caller's job
 * (`inspectBundle`).
 *
 * @example
 * ```ts
 * const manifest = createManifest(checked, { fetchedAt, source })
 * await writeBundle(dir, checked.key.spki, encodeManifest(manifest))
 * ```
 */
import { join } from 'node:path'
import { BUNDLE_FILES, FILE_MODES } from '../defaults.ts'
import { ensureKeyDir, removeStaleTemps, writeFileAtomic } from './atomic_write.ts'

/**
 * Writes the bundle files into `dir`, creating it with mode 0700.
 *
 * @throws {IoError} `ERR_IO`.
 * @example
 * ```ts
 * await writeBundle('/out/dev-1', spki, encodeManifest(manifest))
 * ```
 */
export async function writeBundle(
  dir: string,
  spki: Uint8Array,
  manifestText: string,
): Promise<void> {
  await ensureKeyDir(dir)
  await removeStaleTemps(dir)
  await writeFileAtomic(join(dir, BUNDLE_FILES.publicKey), spki, FILE_MODES.publicKey)
  await writeFileAtomic(join(dir, BUNDLE_FILES.manifest), manifestText, FILE_MODES.manifest)
}
