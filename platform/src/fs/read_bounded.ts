/**
 * Reads a whole file with a size cap, checking its type **without blocking**: the file is opened
 * with `O_NONBLOCK`, so a FIFO or a character device given where a file belongs is refused at
 * once instead of hanging the program on `open()`, and `fstat` on the open descriptor decides
 * (no race between a `stat` and the `open`).
 *
 * Failures are {@link IoError}s with a reason the caller can map: `missing`, `not-regular`,
 * `too-large`, `permission`, `other`.
 *
 * @example
 * ```ts
 * const spki = await readFileBounded(join(dir, 'public_key.der'), 16 * 1024)
 * ```
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { IoError } from '../errors.ts'
import { shown } from '../sanitize.ts'
import { ioErrorOf } from './_io_error.ts'

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

function notRegular(path: string): IoError {
  return new IoError('not-regular', path, `${shown(path, 200)} is not a regular file`)
}

function tooLarge(path: string, size: number, maxBytes: number): IoError {
  return new IoError(
    'too-large',
    path,
    `${shown(path, 200)} is ${size} bytes, over the ${maxBytes}-byte limit`,
  )
}

/**
 * The bytes of regular file `path`, at most `maxBytes` of them.
 *
 * @throws {IoError} `ERR_IO` with reason `missing`, `not-regular`, `too-large`, `permission`…
 * @example
 * ```ts
 * const text = new TextDecoder().decode(await readFileBounded('manifest.json', 65536))
 * ```
 */
export async function readFileBounded(path: string, maxBytes: number): Promise<Uint8Array> {
  let fh
  try {
    fh = await open(path, OPEN_FLAGS)
  } catch (err) {
    throw ioErrorOf('read', path, err)
  }
  try {
    const info = await fh.stat()
    if (!info.isFile()) throw notRegular(path)
    if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes)
    // Read one byte past the cap, so a file that grew since fstat is caught, not cut.
    const buf = new Uint8Array(Math.min(maxBytes, info.size) + 1)
    let filled = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null)
      if (bytesRead === 0) break
      filled += bytesRead
      if (filled === buf.length) break
    }
    if (filled > maxBytes) throw tooLarge(path, filled, maxBytes)
    return buf.subarray(0, filled)
  } catch (err) {
    throw ioErrorOf('read', path, err)
  } finally {
    await fh.close().catch(() => undefined)
  }
}

/** {@link readFileBounded}, synchronously. */
export function readFileBoundedSync(path: string, maxBytes: number): Uint8Array {
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (err) {
    throw ioErrorOf('read', path, err)
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile()) throw notRegular(path)
    if (info.size > maxBytes) throw tooLarge(path, info.size, maxBytes)
    const buf = new Uint8Array(Math.min(maxBytes, info.size) + 1)
    let filled = 0
    for (;;) {
      const n = readSync(fd, buf, filled, buf.length - filled, null)
      if (n === 0) break
      filled += n
      if (filled === buf.length) break
    }
    if (filled > maxBytes) throw tooLarge(path, filled, maxBytes)
    return buf.subarray(0, filled)
  } catch (err) {
    throw ioErrorOf('read', path, err)
  } finally {
    closeSync(fd)
  }
}

/**
 * Checks that `path` is a regular file without blocking (a FIFO is refused at once), for callers
 * that then stream it. Returns its size.
 *
 * @throws {IoError} as {@link readFileBounded}.
 * @example
 * ```ts
 * await assertRegularFile(csvPath) // then createReadStream(csvPath)
 * ```
 */
export async function assertRegularFile(path: string): Promise<number> {
  let fh
  try {
    fh = await open(path, OPEN_FLAGS)
  } catch (err) {
    throw ioErrorOf('read', path, err)
  }
  try {
    const info = await fh.stat()
    if (!info.isFile()) throw notRegular(path)
    return info.size
  } finally {
    await fh.close().catch(() => undefined)
  }
}
