/**
 * Temporary files of an interrupted bundle write. Platform's `writeFileAtomic` names its temporary
 * file `.<name>.<pid>.<12 hex>.tmp` beside the target; only such names of the three bundle files
 * are ours. A batch that was killed leaves them in device folders, which would ship with the
 * folder: the station removes them when it next writes or skips that folder (one station run per
 * output folder at a time), and `verify` warns about any it finds.
 *
 * @example
 * ```ts
 * await removeBundleTemps('/out/dev-1') // ['.manifest.json.4242.a1b2c3d4e5f6.tmp']
 * ```
 */
import { BUNDLE_FILES } from '../../../device-bundle/src/index.ts'
import { removeTempsOf, tempTargetOf } from '../../../platform/src/index.ts'

const BUNDLE_NAMES: readonly string[] = Object.values(BUNDLE_FILES)

/**
 * True when `name` is a temporary file of a bundle file write.
 *
 * @example
 * ```ts
 * isBundleTempName('.agent.json.77.0123456789ab.tmp') // true
 * isBundleTempName('.vimrc.tmp') // false
 * ```
 */
export function isBundleTempName(name: string): boolean {
  const target = tempTargetOf(name)
  return target !== undefined && BUNDLE_NAMES.includes(target)
}

/**
 * Removes the bundle temporary files in `dir` (a missing folder is fine) and returns their names.
 *
 * @example
 * ```ts
 * const removed = await removeBundleTemps(dir)
 * ```
 */
export async function removeBundleTemps(dir: string): Promise<string[]> {
  return removeTempsOf(dir, BUNDLE_NAMES)
}
