/**
 * The station's output folder: created 0700 when it does not exist (an existing one is the
 * operator's and left alone), and a warning when another user could change what is in it.
 *
 * A folder writable by group or others lets another user rename a device folder away and put
 * their own in its place (one that pins their key) between the station's write and shipping. The
 * sticky bit (`/tmp`'s `1777`) stops exactly that, so a sticky folder gets no warning.
 *
 * @example
 * ```ts
 * await ensureOutDir(out)
 * const warning = await writableByOthers(out)
 * if (warning) io.stderr.write(`warning: ${warning}\n`)
 * ```
 */
import { chmod, mkdir, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { FILE_MODES } from '../../../device-bundle/src/index.ts'
import { fsyncDir, IoError, shown } from '../../../platform/src/index.ts'

const GROUP_OR_OTHER_WRITE = 0o022
const STICKY = 0o1000

/**
 * Creates `dir` (and its parents) with mode 0700 when it does not exist.
 *
 * @throws {IoError} `ERR_IO`.
 * @example
 * ```ts
 * await ensureOutDir('/srv/line7')
 * ```
 */
export async function ensureOutDir(dir: string): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: FILE_MODES.keyDir })
    if (created !== undefined) {
      await chmod(dir, FILE_MODES.keyDir)
      await fsyncDir(dirname(dir))
    }
  } catch (err) {
    if (err instanceof IoError) throw err
    const code = (err as { code?: unknown }).code
    throw new IoError(
      code === 'EACCES' || code === 'EPERM' ? 'permission' : 'other',
      dir,
      `cannot create ${shown(dir, 200)}: ${String(code ?? err)}`,
      { cause: err },
    )
  }
}

/**
 * A warning line when `dir` is writable by group or others and not sticky, else `undefined`
 * (also when it does not exist, or on Windows).
 *
 * @example
 * ```ts
 * await writableByOthers('/srv/line7') // '"/srv/line7" is writable by group or others (mode 777): …'
 * ```
 */
export async function writableByOthers(dir: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined
  let mode: number
  try {
    mode = (await stat(dir)).mode
  } catch {
    return undefined
  }
  if ((mode & GROUP_OR_OTHER_WRITE) === 0 || (mode & STICKY) !== 0) return undefined
  return (
    `${shown(dir, 200)} is writable by group or others (mode ${(mode & 0o7777).toString(8)}): ` +
    'another user could replace what the station writes there; chmod go-w it'
  )
}
