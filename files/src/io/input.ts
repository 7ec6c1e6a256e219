/**
 * Where a command reads from: a regular file (size known, random access: the stream's final
 * segment can be checked first) or `-`, standard input (sequential only).
 *
 * @example
 * ```ts
 * const input = await openInput('big.bin', io)
 * try { for await (const chunk of input.chunks()) … } finally { await input.close() }
 * ```
 */
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { RandomAccessSource } from '../../../envelope/src/index.ts'
import { IoError, shown } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'

/** An opened input. */
export interface Input {
  /** What to show in messages: the path, or `stdin`. */
  readonly name: string
  /** Total bytes, when the input is a regular file. */
  readonly size: number | undefined
  /** Random access, when the input is a regular file. */
  readonly random: RandomAccessSource | undefined
  /** The bytes in order, from the start. */
  chunks(): AsyncIterable<Uint8Array>
  close(): Promise<void>
}

function ioError(path: string, err: unknown): IoError {
  const code = (err as { code?: unknown }).code
  const reason = code === 'ENOENT' ? 'missing' : code === 'EACCES' ? 'permission' : 'other'
  return new IoError(reason, path, `cannot read ${shown(path, 200)}: ${String(code ?? err)}`, {
    cause: err,
  })
}

/**
 * Reads exactly `length` bytes at `offset` (fewer only at the end of the file).
 *
 * @example
 * ```ts
 * const header = await readAt(fh, 0, 40)
 * ```
 */
async function readAt(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(out, got, length - got, offset + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got === length ? out : out.subarray(0, got)
}

/**
 * Opens `path` (`-` = `stdin`).
 *
 * @throws {IoError} `ERR_IO` when the file cannot be opened or is not a regular file.
 * @example
 * ```ts
 * const input = await openInput('-', { stdin: process.stdin })
 * ```
 */
export async function openInput(
  path: string,
  io: { readonly stdin: AsyncIterable<Uint8Array> },
): Promise<Input> {
  if (path === '-') {
    return {
      name: 'stdin',
      size: undefined,
      random: undefined,
      chunks: () => io.stdin,
      close: async () => undefined,
    }
  }
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (err) {
    throw ioError(path, err)
  }
  const stat = await fh.stat()
  if (!stat.isFile()) {
    await fh.close()
    throw new IoError('not-regular', path, `${shown(path, 200)} is not a regular file`)
  }
  const size = stat.size
  const step = filesDefaults.readBytes
  return {
    name: path,
    size,
    random: { size, read: (at, n) => readAt(fh, at, n) },
    async *chunks() {
      for (let at = 0; at < size;) {
        const part = await readAt(fh, at, Math.min(step, size - at))
        if (part.length === 0) return
        at += part.length
        yield part
      }
    },
    close: () => fh.close(),
  }
}
