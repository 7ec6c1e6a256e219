/**
 * Turns a Node file system error into an {@link IoError} with a reason and a message that names
 * the path (sanitized) and the errno code (internal).
 */
import type { IoReason } from '../errors.ts'
import { IoError } from '../errors.ts'
import { shown } from '../sanitize.ts'

const REASONS: Readonly<Record<string, IoReason>> = Object.assign(Object.create(null), {
  ENOENT: 'missing',
  ENOTDIR: 'missing',
  EACCES: 'permission',
  EPERM: 'permission',
  EROFS: 'permission',
  ENOSPC: 'no-space',
  EDQUOT: 'no-space',
  EFBIG: 'too-large',
  ELOOP: 'symlink',
  EISDIR: 'not-regular',
})

/** The errno code of `err` (`'ENOENT'`…), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** An IoError for `what` (a verb phrase: "write", "read") on `path` that failed with `err`. */
export function ioErrorOf(what: string, path: string, err: unknown): IoError {
  if (err instanceof IoError) return err
  const errno = errnoOf(err)
  const reason = (errno !== undefined ? REASONS[errno] : undefined) ?? 'other'
  return new IoError(reason, path, `cannot ${what} ${shown(path, 200)}: ${errno ?? String(err)}`, {
    cause: err,
  })
}
