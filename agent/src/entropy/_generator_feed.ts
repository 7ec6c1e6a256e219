/**
 * Samples from in-process sources: a synchronous generator `(n) => Uint8Array` (at most `n`
 * samples; none means "not yet", and the feed waits `pollIntervalMs` on the clock before asking
 * again), or an async iterable of chunks (a chunk larger than asked is handed out in pieces; the
 * end of the iterable is a source failure, since it can never give samples again).
 */
import { EntropyError } from './errors.ts'
import type { FeedContext, SampleFeed } from './_feed.ts'

function sourceError(message: string, cause?: unknown): EntropyError {
  return new EntropyError('ERR_ENTROPY_SOURCE', message, { cause, latched: true })
}

/** A feed over a synchronous generator. */
export function generatorFeed(generate: (n: number) => Uint8Array, ctx: FeedContext): SampleFeed {
  const closing = new AbortController()
  // One controller per poll sleep, so no listener piles up on a long-lived signal.
  let sleeping: AbortController | undefined
  return {
    async read(max: number): Promise<Uint8Array> {
      const want = Math.min(max, ctx.readChunkSamples)
      for (;;) {
        if (closing.signal.aborted) return new Uint8Array(0)
        let out: unknown
        try {
          out = generate(want)
        } catch (err) {
          throw sourceError('the sample generator threw', err)
        }
        if (!(out instanceof Uint8Array)) {
          throw sourceError('the sample generator returned something other than a Uint8Array')
        }
        if (out.length > want) {
          throw sourceError(
            `the sample generator returned ${out.length} samples, more than the ${want} asked`,
          )
        }
        if (out.length > 0) return out
        sleeping = new AbortController()
        try {
          await ctx.clock.sleep(ctx.pollIntervalMs, sleeping.signal)
        } catch {
          return new Uint8Array(0)
        } finally {
          sleeping = undefined
        }
      }
    },
    async close(): Promise<void> {
      closing.abort()
      sleeping?.abort()
    },
  }
}

/** A feed over an async iterable of sample chunks. */
export function streamFeed(stream: AsyncIterable<Uint8Array>): SampleFeed {
  const iterator = stream[Symbol.asyncIterator]()
  let rest: Uint8Array = new Uint8Array(0)
  let closed = false
  // Settles the pending `next()` race on close; one per read, so nothing accumulates.
  let cancelPending: (() => void) | undefined
  const nextOrClosed = (): Promise<IteratorResult<Uint8Array> | undefined> =>
    new Promise((resolve, reject) => {
      cancelPending = () => resolve(undefined)
      iterator.next().then(
        (step) => {
          cancelPending = undefined
          resolve(step)
        },
        (err: unknown) => {
          cancelPending = undefined
          reject(err)
        },
      )
    })
  return {
    async read(max: number): Promise<Uint8Array> {
      while (rest.length === 0) {
        if (closed) return new Uint8Array(0)
        let step: IteratorResult<Uint8Array> | undefined
        try {
          step = await nextOrClosed()
        } catch (err) {
          throw sourceError('the sample stream threw', err)
        }
        if (step === undefined || closed) {
          if (step?.value instanceof Uint8Array) step.value.fill(0)
          return new Uint8Array(0)
        }
        if (step.done === true) throw sourceError('the sample stream ended')
        if (!(step.value instanceof Uint8Array)) {
          throw sourceError('the sample stream gave something other than a Uint8Array')
        }
        rest = step.value
      }
      const out = rest.subarray(0, Math.min(max, rest.length))
      rest = rest.subarray(out.length)
      return out
    },
    async close(): Promise<void> {
      if (closed) return
      closed = true
      rest.fill(0)
      cancelPending?.()
      // Not awaited: an async generator suspended in its own await finishes `return()` only
      // after that await, which may never come.
      iterator.return?.()?.catch(() => undefined)
    },
  }
}
