/**
 * Progress of a large transfer on stderr, in MiB, through platform's `ProgressReporter`: only for
 * inputs of known size of at least `filesDefaults.progressMinBytes`, and never with `--quiet`.
 *
 * @example
 * ```ts
 * const progress = byteProgress(input.size, io, quiet)
 * progress.add(chunk.length); progress.finish()
 * ```
 */
import type { CliIo } from '../../../platform/src/index.ts'
import { ProgressReporter } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'

const MIB = 1024 * 1024

/** Counts bytes; reports whole MiB. */
export interface ByteProgress {
  add(bytes: number): void
  finish(): void
}

const NONE: ByteProgress = Object.freeze({ add: () => undefined, finish: () => undefined })

/**
 * A progress report for `totalBytes`, or one that prints nothing.
 *
 * @example
 * ```ts
 * byteProgress(64 * 2 ** 20, io, false).add(2 ** 20)
 * ```
 */
export function byteProgress(
  totalBytes: number | undefined,
  io: Pick<CliIo, 'stderr'>,
  quiet: boolean,
): ByteProgress {
  if (quiet || totalBytes === undefined || totalBytes < filesDefaults.progressMinBytes) return NONE
  // Rounded, not up: a sealed file of 64 MiB of plaintext is 64.004 MiB and reads as 64/64.
  const total = Math.max(1, Math.round(totalBytes / MIB))
  const reporter = new ProgressReporter(total, io.stderr, { label: 'MiB' })
  let bytes = 0
  let reported = 0
  return {
    add(n) {
      bytes += n
      // 100 % only from finish(): a total rounded down must not show done before the end.
      const mib = Math.min(total - 1, Math.floor(bytes / MIB))
      if (mib > reported) {
        reporter.tick(mib - reported)
        reported = mib
      }
    },
    finish() {
      const rest = reporter.total - reporter.done
      if (rest > 0) reporter.tick(rest)
      reporter.finish()
    },
  }
}
