/**
 * Crash-safe file writes: a reader sees the old file or the new one, never a torn one.
 *
 * The data goes to a temporary file in the same directory (so the rename cannot cross file
 * systems), opened exclusively, given its mode explicitly (the umask would otherwise decide),
 * written and `fsync`ed; then it is renamed over the target (POSIX `rename` replaces atomically)
 * and the directory is `fsync`ed so the rename itself survives a power cut.
 *
 * @example
 * ```ts
 * await ensureKeyDir(dir)
 * await writeFileAtomic(join(dir, 'public_key.der'), spki, FILE_MODES.publicKey)
 * ```
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { FILE_MODES } from '../defaults.ts'
import { IoError } from '../errors.ts'
import { shown } from '../_sanitize.ts'

const TEMP_SUFFIX = '.tmp'

/**
 * True when `name` is a temporary file left by {@link writeFileAtomic} (a crash between write and
 * rename leaves one; it is never read).
 *
 * @example
 * ```ts
 * isTempName('.manifest.json.4242.a1b2c3d4e5f6.tmp') // true
 * ```
 */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX)
}

function ioError(what: string, path: string, err: unknown): IoError {
  const code = (err as { code?: unknown } | null)?.code
  return new IoError(
    `cannot ${what} ${shown(path, 200)}: ${typeof code === 'string' ? code : String(err)}`,
    err,
  )
}

/**
 * `fsync`s a directory so that renames and creations in it are durable. File systems and
 * platforms that cannot sync a directory (Windows: EPERM/EISDIR) are skipped: there the rename is
 * as durable as the platform makes it.
 *
 * @example
 * ```ts
 * await fsyncDir('/out/dev-1')
 * ```
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') {
      throw ioError('sync directory', dir, err)
    }
  } finally {
    await fh?.close()
  }
}

/**
 * Writes `data` to `path` atomically with file mode `mode`.
 *
 * @throws {IoError} `ERR_IO` when any step fails; the temporary file is removed.
 * @example
 * ```ts
 * await writeFileAtomic('/out/dev-1/manifest.json', text, FILE_MODES.manifest)
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  mode: number,
): Promise<void> {
  const dir = dirname(path)
  const temp = join(
    dir,
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`,
  )
  let fh
  try {
    fh = await open(temp, 'wx', mode)
    await fh.chmod(mode)
    await fh.writeFile(data)
    await fh.sync()
    await fh.close()
    fh = undefined
    await rename(temp, path)
  } catch (err) {
    await fh?.close().catch(() => undefined)
    await rm(temp, { force: true }).catch(() => undefined)
    throw ioError('write', path, err)
  }
  await fsyncDir(dir)
}

/**
 * Creates a key bundle folder (and its parents) and sets it to {@link FILE_MODES}.keyDir, 0700,
 * whatever the umask. The parent is synced so the new folder survives a power cut.
 *
 * @throws {IoError} `ERR_IO`.
 * @example
 * ```ts
 * await ensureKeyDir('/out/dev-1')
 * ```
 */
export async function ensureKeyDir(dir: string): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: FILE_MODES.keyDir })
    await chmod(dir, FILE_MODES.keyDir)
    if (created !== undefined) await fsyncDir(dirname(dir))
  } catch (err) {
    if (err instanceof IoError) throw err
    throw ioError('create folder', dir, err)
  }
}

/**
 * Removes temporary files that a crashed write left in `dir`, when older than `minAgeMs` (so a
 * write in progress elsewhere is left alone). A missing folder is fine.
 *
 * @example
 * ```ts
 * await removeStaleTemps('/out/dev-1')
 * ```
 */
export async function removeStaleTemps(dir: string, minAgeMs = 10 * 60 * 1000): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  const now = Date.now()
  for (const name of names) {
    if (!isTempName(name)) continue
    const path = join(dir, name)
    try {
      if (now - (await stat(path)).mtimeMs >= minAgeMs) await rm(path, { force: true })
    } catch {
      // Gone already, or not ours to remove: either way nothing reads it.
    }
  }
}

/**
 * True when `path` exists (any type). Errors other than "not found" are rethrown as `ERR_IO`.
 *
 * @example
 * ```ts
 * if (await pathExists(dir)) inspect(dir)
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return false
    throw ioError('read', path, err)
  }
}
