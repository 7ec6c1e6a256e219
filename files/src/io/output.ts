/**
 * Where a command writes: a file, committed only on success, or `-`, standard output.
 *
 * A file output goes to a temporary file in the target's folder (`.<name>.<pid>.<12 hex>.tmp`,
 * platform's naming, mode 0600, created exclusively), is `fsync`ed, then renamed over the target
 * and the folder `fsync`ed. On any failure or interruption the temporary file is removed: an
 * interrupted or failed run leaves **no partial output file**, and an existing target is left
 * untouched. Temporary files of the same target left by a killed run (SIGKILL, power cut) are
 * removed when the next run for that target starts.
 *
 * Standard output cannot be taken back: what was written stays written (README, "Output").
 *
 * @example
 * ```ts
 * const out = await openOutput('big.bin', io)
 * try { await out.write(bytes); await out.commit() } finally { await out.abort() }
 * ```
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { lstat, open, rename, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fsyncDir, IoError, removeTempsOf, shown } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'

/** An output being written. */
export interface Output {
  /** The path, or `stdout`. */
  readonly name: string
  write(chunk: Uint8Array): Promise<void>
  /** Makes the output final (renames the temporary file over the target). */
  commit(): Promise<void>
  /** Drops the output if it was not committed (removes the temporary file); idempotent. */
  abort(): Promise<void>
}

/** A byte sink like `process.stdout`. */
export interface ByteWritable {
  write(chunk: Uint8Array): boolean
  once(event: 'drain' | 'error', listener: (...args: unknown[]) => void): unknown
}

function writeError(path: string, err: unknown): IoError {
  if (err instanceof IoError) return err
  const code = (err as { code?: unknown }).code
  const reason =
    code === 'ENOENT'
      ? 'missing'
      : code === 'EACCES'
        ? 'permission'
        : code === 'ENOSPC'
          ? 'no-space'
          : 'other'
  return new IoError(reason, path, `cannot write ${shown(path, 200)}: ${String(code ?? err)}`, {
    cause: err,
  })
}

/**
 * Opens `path` (`-` = `stdout`) for writing.
 *
 * @throws {IoError} `ERR_IO` (reason `symlink` for a target that is a symbolic link).
 * @example
 * ```ts
 * const out = await openOutput('-', { stdoutBytes: process.stdout })
 * ```
 */
export async function openOutput(
  path: string,
  io: { readonly stdoutBytes: ByteWritable },
): Promise<Output> {
  if (path === '-') {
    const sink = io.stdoutBytes
    return {
      name: 'stdout',
      async write(chunk) {
        if (!sink.write(chunk)) await once(sink as never, 'drain')
      },
      commit: async () => undefined,
      abort: async () => undefined,
    }
  }
  try {
    if ((await lstat(path)).isSymbolicLink()) {
      throw new IoError('symlink', path, `refusing to replace ${shown(path, 200)}: a symbolic link`)
    }
  } catch (err) {
    if (err instanceof IoError) throw err
    if ((err as { code?: unknown }).code !== 'ENOENT') throw writeError(path, err)
  }
  const dir = dirname(path)
  removeTempsOf(dir, [basename(path)])
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let fh: FileHandle | undefined
  try {
    fh = await open(temp, 'wx', filesDefaults.outputMode)
  } catch (err) {
    throw writeError(path, err)
  }
  let done = false
  return {
    name: path,
    async write(chunk) {
      try {
        let at = 0
        while (at < chunk.length) {
          const { bytesWritten } = await fh!.write(chunk, at, chunk.length - at)
          at += bytesWritten
        }
      } catch (err) {
        throw writeError(path, err)
      }
    },
    async commit() {
      try {
        await fh!.sync()
        await fh!.close()
        fh = undefined
        await rename(temp, path)
        done = true
      } catch (err) {
        throw writeError(path, err)
      }
      await fsyncDir(dir)
    },
    async abort() {
      if (done) return
      done = true
      await fh?.close().catch(() => undefined)
      fh = undefined
      await rm(temp, { force: true }).catch(() => undefined)
    },
  }
}
