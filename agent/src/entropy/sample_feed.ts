/**
 * Where the hardware source reads raw 8-bit samples from, and how each kind is opened as a
 * reader (`_feed.ts`). Three inputs:
 *
 * - `{ path }`: a character device (`/dev/hwrng`), a FIFO that a simulator writes, or a regular
 *   file of recorded samples. Opened with `O_NONBLOCK` and read asynchronously, at most
 *   `readChunkSamples` at a time, only while output is wanted: the event loop never blocks, and
 *   the kernel's pipe buffer holds back a fast writer. No data yet (`EAGAIN`) or no writer (end of
 *   file) is not an error: the reader waits `pollIntervalMs` on the injected clock and tries
 *   again, and the starvation timeout decides when waiting has lasted too long.
 * - `{ generate }`: an in-process generator `(n) => Uint8Array` giving at most `n` samples (fewer,
 *   even none, means "not yet"). The firmware simulator plugs its seeded noise model here.
 * - `{ stream }`: an in-process async iterable of sample chunks. Its end is a source failure.
 *
 * The source takes ownership of the sample arrays it receives and zeroes them after use.
 *
 * @example
 * ```ts
 * new HardwareEntropySource({ input: { path: '/dev/hwrng' } })
 * new HardwareEntropySource({ input: { generate: (n) => noise.next(n) } })
 * ```
 */
import { openDeviceFeed } from './_device_feed.ts'
import { generatorFeed, streamFeed } from './_generator_feed.ts'
import type { FeedContext, SampleFeed } from './_feed.ts'

/**
 * A source of raw 8-bit samples: a device or FIFO path, a generator, or an async iterable.
 *
 * @example
 * ```ts
 * const input: SampleInput = { path: '/dev/hwrng' }
 * ```
 */
export type SampleInput =
  | { readonly path: string }
  | { readonly generate: (n: number) => Uint8Array }
  | { readonly stream: AsyncIterable<Uint8Array> }

/**
 * Checks that `input` is one of the three {@link SampleInput} shapes.
 *
 * @throws {TypeError} otherwise.
 * @example
 * ```ts
 * checkSampleInput({ path: '/dev/hwrng' }) // ok
 * ```
 */
export function checkSampleInput(input: SampleInput): void {
  if (input !== null && typeof input === 'object') {
    if ('path' in input && typeof input.path === 'string' && input.path !== '') return
    if ('generate' in input && typeof input.generate === 'function') return
    if ('stream' in input && isAsyncIterable(input.stream)) return
  }
  throw new TypeError('input: expected { path }, { generate } or { stream }')
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  )
}

/**
 * Opens `input` (checked by {@link checkSampleInput}) as a {@link SampleFeed}.
 *
 * @throws {EntropyError} `ERR_ENTROPY_SOURCE` when the path cannot be opened or is not a device,
 *   FIFO or file.
 * @example
 * ```ts
 * const feed = await openSampleFeed({ path: '/dev/hwrng' }, ctx)
 * ```
 */
export async function openSampleFeed(input: SampleInput, ctx: FeedContext): Promise<SampleFeed> {
  checkSampleInput(input)
  if ('path' in input) return openDeviceFeed(input.path, ctx)
  if ('generate' in input) return generatorFeed(input.generate, ctx)
  return streamFeed(input.stream)
}
