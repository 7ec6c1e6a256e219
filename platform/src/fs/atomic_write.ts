/**
 * Crash-safe file writes: a reader sees the old file or the new one, never a torn one. Hand-written
 * on purpose: the npm packages for this (write-file-atomic and kin) do not `fsync` the directory
 * after the rename, so the rename itself can be lost in a power cut, and they follow a symlinked
 * target silently.
 *
 * The data goes to a temporary file in the same directory (so the rename cannot cross file
 * systems), created exclusively, given its mode explicitly (the umask would otherwise decide),
 * written and `fsync`ed; it is then renamed over the target (POSIX `rename` replaces atomically)
 * and the directory is `fsync`ed so the rename survives a power cut.
 *
 * One policy, async and sync alike:
 * - a target that is a **symbolic link is refused** (`ERR_IO`, reason `symlink`): renaming over it
 *   would replace the link with a regular file and leave the old contents at the link's target;
 * - a directory `fsync` that the platform or file system does not support (`EISDIR`, `EPERM`,
 *   `EINVAL`, `EBADF`: Windows, some FUSE and network file systems) is skipped, since the rename is
 *   then as durable as that platform makes it; any other directory `fsync` failure (`EIO`) is an
 *   `ERR_IO` — the data may not be durable, and the caller must not report success;
 * - on failure the temporary file is removed and nothing else is changed.
 *
 * Temporary names are `.<name>.<pid>.<12 hex>.tmp`; {@link removeStaleTemps} sweeps the ones a
 * crash left behind.
 *
 * @example
 * ```ts
 * await ensureDir(dir, 0o700)
 * await writeFileAtomic(join(dir, 'public_key.der'), spki, 0o644)
 * ```
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { chmod, lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { IoError } from '../errors.ts'
import { platformDefaults } from '../defaults.ts'
import { shown } from '../sanitize.ts'
import { errnoOf, ioErrorOf } from './_io_error.ts'

const TEMP_SUFFIX = '.tmp'
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EBADF'])

// The pid part is optional: kms-local's state writes before the shared helper had none.
const TEMP_NAME = /^\.(.+?)\.(?:\d+\.)?[0-9a-f]{12}\.tmp$/

/**
 * The target name a temporary file of {@link writeFileAtomic} stands for, or `undefined` when
 * `name` is not one: `.manifest.json.4242.a1b2c3d4e5f6.tmp` → `manifest.json`.
 *
 * @example
 * ```ts
 * tempTargetOf('.agent.json.77.0123456789ab.tmp') // 'agent.json'
 * ```
 */
export function tempTargetOf(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1]
}

/**
 * Removes the temporary files that interrupted writes of the given target names left in `dir`
 * (`.<target>.<pid>.<12 hex>.tmp`, whatever their age: call it only where this process is the
 * one writer of those targets). Temporary files of other names are left alone. A missing folder
 * is fine. Returns the names removed.
 *
 * @example
 * ```ts
 * removeTempsOf('/out/dev-1', ['manifest.json', 'agent.json']) // ['.manifest.json.4242.a1b2c3d4e5f6.tmp']
 * ```
 */
export function removeTempsOf(dir: string, targets: readonly string[]): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const wanted = new Set(targets)
  const removed: string[] = []
  for (const name of names) {
    const target = tempTargetOf(name)
    if (target === undefined || !wanted.has(target)) continue
    try {
      rmSync(join(dir, name), { force: true })
      removed.push(name)
    } catch {
      // Gone already, or not ours to remove: either way nothing reads it.
    }
  }
  return removed
}

/**
 * True when `name` is a temporary file of {@link writeFileAtomic} (never read by anyone).
 *
 * @example
 * ```ts
 * isTempName('.manifest.json.4242.a1b2c3d4e5f6.tmp') // true
 * ```
 */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX)
}

function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`,
  )
}

function symlinkRefused(path: string): IoError {
  return new IoError(
    'symlink',
    path,
    `refusing to replace ${shown(path, 200)}: it is a symbolic link (give the real path)`,
  )
}

/**
 * `fsync`s a directory so that renames and creations in it are durable (see the module doc for
 * the platforms where this is skipped).
 *
 * @throws {IoError} `ERR_IO` when the sync fails for another reason.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has(errnoOf(err) ?? '')) throw ioErrorOf('sync directory', dir, err)
  } finally {
    await fh?.close().catch(() => undefined)
  }
}

/** {@link fsyncDir}, synchronously. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has(errnoOf(err) ?? '')) throw ioErrorOf('sync directory', dir, err)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Writes `data` to `path` atomically with file mode `mode`.
 *
 * @throws {IoError} `ERR_IO` when any step fails (the temporary file is removed, the target is
 *   unchanged), or reason `symlink` when `path` is a symbolic link.
 * @example
 * ```ts
 * await writeFileAtomic('/out/dev-1/manifest.json', text, 0o644)
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  mode: number,
): Promise<void> {
  try {
    if ((await lstat(path)).isSymbolicLink()) throw symlinkRefused(path)
  } catch (err) {
    if (err instanceof IoError) throw err
    if (errnoOf(err) !== 'ENOENT') throw ioErrorOf('write', path, err)
  }
  const temp = tempPathFor(path)
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
    throw ioErrorOf('write', path, err)
  }
  await fsyncDir(dirname(path))
}

/**
 * {@link writeFileAtomic}, synchronously: for a server that must not interleave two writes of
 * one file (kms-local's state file).
 *
 * @throws {IoError} as {@link writeFileAtomic}.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string, mode: number): void {
  try {
    if (lstatSync(path).isSymbolicLink()) throw symlinkRefused(path)
  } catch (err) {
    if (err instanceof IoError) throw err
    if (errnoOf(err) !== 'ENOENT') throw ioErrorOf('write', path, err)
  }
  const temp = tempPathFor(path)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  let fd: number | undefined
  try {
    fd = openSync(temp, 'wx', mode)
    fchmodSync(fd, mode)
    let offset = 0
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(temp, path)
  } catch (err) {
    if (fd !== undefined) closeSync(fd)
    rmSync(temp, { force: true })
    throw ioErrorOf('write', path, err)
  }
  fsyncDirSync(dirname(path))
}

/**
 * Creates a folder (and its parents) and sets it to `mode` whatever the umask. The parent is
 * synced when the folder is new, so it survives a power cut.
 *
 * @throws {IoError} `ERR_IO`.
 * @example
 * ```ts
 * await ensureDir('/out/dev-1', 0o700)
 * ```
 */
export async function ensureDir(dir: string, mode: number): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode })
    await chmod(dir, mode)
    if (created !== undefined) await fsyncDir(dirname(dir))
  } catch (err) {
    throw ioErrorOf('create folder', dir, err)
  }
}

/**
 * Removes the temporary files that an interrupted {@link writeFileAtomic} left in `dir`, when
 * older than `minAgeMs` (a write in progress in another process is left alone; pass 0 when this
 * process owns the folder). A missing folder is fine. Returns the names removed.
 *
 * @example
 * ```ts
 * await removeStaleTemps('/out/dev-1', 0) // ['.manifest.json.4242.a1b2c3d4e5f6.tmp']
 * ```
 */
export async function removeStaleTemps(
  dir: string,
  minAgeMs: number = platformDefaults.staleTempMs,
  now: number = Date.now(),
): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    if (!isTempName(name)) continue
    const path = join(dir, name)
    try {
      if (now - (await stat(path)).mtimeMs >= minAgeMs) {
        await rm(path, { force: true })
        removed.push(name)
      }
    } catch {
      // Gone already, or not ours to remove: either way nothing reads it.
    }
  }
  return removed
}

/**
 * True when `path` exists (any type, a dangling symlink included).
 *
 * @throws {IoError} `ERR_IO` for errors other than "not found".
 * @example
 * ```ts
 * if (await pathExists(dir)) inspect(dir)
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false
    throw ioErrorOf('read', path, err)
  }
}
