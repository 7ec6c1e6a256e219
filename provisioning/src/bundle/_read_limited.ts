/**
 * Reads one bundle file with a size cap (internal). "Not found" is `ERR_BUNDLE_MISSING`, a file
 * over the cap or not a regular file is `ERR_BUNDLE_CORRUPT`, anything else is `ERR_IO`.
 */
import { open } from 'node:fs/promises'
import { BundleError, IoError } from '../errors.ts'
import { shown } from '../_sanitize.ts'

/**
 * The bytes of `path`, at most `maxBytes` of them.
 *
 * @example
 * ```ts
 * const spki = await readLimited(join(dir, 'public_key.der'), defaults.limits.maxSpkiBytes)
 * ```
 */
export async function readLimited(path: string, maxBytes: number): Promise<Uint8Array> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT')
      throw new BundleError('ERR_BUNDLE_MISSING', `${shown(path, 200)} is missing`)
    throw new IoError(`cannot read ${shown(path, 200)}: ${String(code ?? err)}`, err)
  }
  try {
    const info = await fh.stat()
    if (!info.isFile()) {
      throw new BundleError('ERR_BUNDLE_CORRUPT', `${shown(path, 200)} is not a regular file`)
    }
    if (info.size > maxBytes) {
      throw new BundleError(
        'ERR_BUNDLE_CORRUPT',
        `${shown(path, 200)} is ${info.size} bytes, over the ${maxBytes}-byte limit`,
      )
    }
    const bytes = await fh.readFile()
    if (bytes.length > maxBytes) {
      throw new BundleError('ERR_BUNDLE_CORRUPT', `${shown(path, 200)} grew while being read`)
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
  } catch (err) {
    if (err instanceof BundleError) throw err
    const code = (err as { code?: unknown }).code
    if (code === 'EISDIR') {
      throw new BundleError('ERR_BUNDLE_CORRUPT', `${shown(path, 200)} is not a regular file`)
    }
    throw new IoError(`cannot read ${shown(path, 200)}: ${String(code ?? err)}`, err)
  } finally {
    await fh.close()
  }
}
