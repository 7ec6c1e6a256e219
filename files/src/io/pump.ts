/**
 * Moves bytes from a source to an {@link Output}: stops at the stop signal, counts progress, and
 * commits the output only when the whole source went through; any failure drops it.
 *
 * @example
 * ```ts
 * await pump(sealStream(guarded(input.chunks(), signal, progress), { wrapper }), output)
 * ```
 */
import { interrupted } from '../errors.ts'
import type { ByteProgress } from './progress.ts'
import type { Output } from './output.ts'

/**
 * Yields `source`'s chunks, counting them into `progress`, and throws `ERR_INTERRUPTED` once
 * `signal` is aborted.
 *
 * @example
 * ```ts
 * for await (const c of guarded(input.chunks(), ctx.signal, progress)) …
 * ```
 */
export async function* guarded(
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  progress?: ByteProgress,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (signal.aborted) throw interrupted()
  for await (const chunk of source) {
    if (signal.aborted) throw interrupted()
    progress?.add(chunk.length)
    yield chunk
  }
  if (signal.aborted) throw interrupted()
}

/**
 * Writes every chunk of `source` to `output`, then commits it; drops it on any failure. Returns
 * the bytes written.
 *
 * @example
 * ```ts
 * const n = await pump(openStream(chunks, options), output)
 * ```
 */
export async function pump(source: AsyncIterable<Uint8Array>, output: Output): Promise<number> {
  let bytes = 0
  try {
    for await (const chunk of source) {
      await output.write(chunk)
      bytes += chunk.length
    }
    await output.commit()
    return bytes
  } finally {
    await output.abort()
  }
}
