/**
 * Moves bytes from a source to an {@link Output}: stops at the stop signal, counts progress, and
 * commits the output only when the whole source went through; any failure drops it.
 *
 * @example
 * ```ts
 * await pump(sealStream(guarded(input.chunks(), signal, progress), { wrapper }), output)
 * ```
 */
import { filesDefaults } from '../defaults.ts'
import { interrupted } from '../errors.ts'
import type { ByteProgress } from './progress.ts'
import type { Output } from './output.ts'

// Bun's collector (JavaScriptCore) frees dead ArrayBuffers lazily: a put's segment and part
// buffers piled up (+60 MiB of peak RSS for +96 MiB of file, 280 MiB at 160 MiB). A full
// collection every 16 MiB (a few ms; the non-blocking `Bun.gc(false)` did not keep up) keeps it
// flat: 179 / 187 MiB for 64 / 160 MiB. Node's V8 needs no help (heap_settings.ts).
const bunGc = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc

/** The iterator's next result, or `ERR_INTERRUPTED` as soon as `signal` aborts. */
function nextOrStop<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(interrupted())
    signal.addEventListener('abort', onAbort, { once: true })
    it.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort)
        resolve(result)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

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
  // A stop must not wait for the next chunk: stdin may stay silent for ever. Each read races the
  // signal (a listener per read: racing one long-lived promise would keep every chunk reachable
  // from it), and a source left early is destroyed (stdin too), so the process can exit.
  const it = source[Symbol.asyncIterator]()
  let sinceGc = 0
  let done = false
  try {
    for (;;) {
      // Aborted while the consumer was busy with the last chunk (no 'abort' event comes again).
      if (signal.aborted) throw interrupted()
      const next = await nextOrStop(it, signal)
      if (next.done === true) {
        done = true
        break
      }
      const chunk = next.value
      progress?.add(chunk.length)
      sinceGc += chunk.length
      if (sinceGc >= filesDefaults.bunGcEveryBytes) {
        sinceGc = 0
        bunGc?.(true)
      }
      yield chunk
    }
  } finally {
    if (!done) {
      // An async iterator's return() waits behind a pending next(): a stream is destroyed instead.
      const stream = source as { destroy?: () => void }
      if (typeof stream.destroy === 'function') stream.destroy()
      else void Promise.resolve(it.return?.()).catch(() => undefined)
    }
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
