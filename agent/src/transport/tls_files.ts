/**
 * Loads the TLS files of an `mqtts://` connection: a CA bundle, and for mutual TLS a client
 * certificate and its private key. A private key file that group or others may read
 * (`mode & 0o077`) is refused, as the AWS IoT Device Client refuses it (its `Permissions`
 * constants: private key 0600). The key is opened once and checked with `fstat` on the open
 * descriptor, so the file checked is the file read; a FIFO or device is refused without blocking.
 *
 * @example
 * ```ts
 * const files = await loadTlsFiles({ caFile: 'ca.pem', certFile: 'dev.crt', keyFile: 'dev.key' })
 * ```
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { readFileBounded, shown } from '../../../platform/src/index.ts'
import { transportDefaults } from './defaults.ts'
import { TransportError, configError } from './errors.ts'

/**
 * Permission bits a private key file must not have: any access by group or others. The Device
 * Client's `Permissions::PRIVATE_KEY` is 0600; 0400 passes too.
 */
const PRIVATE_KEY_FORBIDDEN_MODE_BITS = 0o077

/** Paths of the TLS files; each optional (the system CAs serve when `caFile` is absent). */
export interface TlsFilePaths {
  readonly caFile?: string
  readonly certFile?: string
  readonly keyFile?: string
}

/** The loaded bytes, as passed to `tls.connect` (`ca`, `cert`, `key`). */
export interface TlsMaterial {
  readonly ca?: Uint8Array
  readonly cert?: Uint8Array
  readonly key?: Uint8Array
}

async function readSetting(setting: string, path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readFileBounded(path, maxBytes)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw configError(`tls.${setting}`, `cannot read ${shown(path, 200)}: ${why}`, err)
  }
}

/**
 * Reads a private key file, refusing one readable by group or others.
 *
 * @throws {TransportError} `ERR_TRANSPORT_KEY_PERMISSIONS` naming the file and its mode;
 *   `ERR_TRANSPORT_CONFIG` when it cannot be read or is not a regular file.
 * @example
 * ```ts
 * const key = await readPrivateKeyFile('/etc/sealwire/dev-1.key')
 * ```
 */
export async function readPrivateKeyFile(
  path: string,
  maxBytes: number = transportDefaults.maxTlsFileBytes,
): Promise<Uint8Array> {
  const setting = 'tls.keyFile'
  let fh
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const why = (err as { code?: string }).code ?? String(err)
    throw configError(setting, `cannot open ${shown(path, 200)} (${why})`, err)
  }
  try {
    const info = await fh.stat()
    if (!info.isFile()) throw configError(setting, `${shown(path, 200)} is not a regular file`)
    const loose = info.mode & PRIVATE_KEY_FORBIDDEN_MODE_BITS
    if (loose !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
      throw new TransportError(
        'ERR_TRANSPORT_KEY_PERMISSIONS',
        `${setting} ${shown(path, 200)} is readable by group or others (mode ${mode}); ` +
          'allow the owner only (chmod 600)',
        { setting, path },
      )
    }
    if (info.size > maxBytes) {
      throw configError(setting, `${shown(path, 200)} is over the ${maxBytes}-byte limit`)
    }
    const buf = await fh.readFile()
    if (buf.length > maxBytes) {
      throw configError(setting, `${shown(path, 200)} is over the ${maxBytes}-byte limit`)
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length)
  } finally {
    await fh.close()
  }
}

/**
 * Loads every file named in `paths`. A certificate needs its key and the other way round.
 *
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG` or `ERR_TRANSPORT_KEY_PERMISSIONS`.
 * @example
 * ```ts
 * const { ca } = await loadTlsFiles({ caFile: '/etc/ssl/AmazonRootCA1.pem' })
 * ```
 */
export async function loadTlsFiles(
  paths: TlsFilePaths,
  maxBytes: number = transportDefaults.maxTlsFileBytes,
): Promise<TlsMaterial> {
  if ((paths.certFile === undefined) !== (paths.keyFile === undefined)) {
    const missing = paths.certFile === undefined ? 'tls.certFile' : 'tls.keyFile'
    throw configError(missing, 'mutual TLS needs both tls.certFile and tls.keyFile')
  }
  const key =
    paths.keyFile === undefined ? undefined : await readPrivateKeyFile(paths.keyFile, maxBytes)
  const cert =
    paths.certFile === undefined
      ? undefined
      : await readSetting('certFile', paths.certFile, maxBytes)
  const ca =
    paths.caFile === undefined ? undefined : await readSetting('caFile', paths.caFile, maxBytes)
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  }
}
