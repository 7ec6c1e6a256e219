/**
 * The one retry policy on its own: full-jitter backoff from platform's fullJitterDelay, exactly
 * maxRetries retries, non-retryable errors untouched, and time only through the injected clock
 * (ManualClock: no test here waits on real time).
 */
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../platform/src/index.ts'
import { RetryExhausted, withRetry } from '../../kms-client/src/index.ts'
import { checkRetryConfig } from '../../kms-client/src/retry.ts'
import type { RetryEvent } from '../../kms-client/src/index.ts'
import { caught, instantClock } from './_helpers.ts'

const transient = (): Error => Object.assign(new Error('Rate exceeded'), { name: 'Throttled' })
const isTransient = (e: unknown): boolean => (e as Error).name === 'Throttled'

/** Lets pending promise callbacks run (no timers involved). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

describe('withRetry', () => {
  it('sleeps full-jitter delays: random × min(maxMs, initialMs · 2^retry), floored', async () => {
    const clock = instantClock()
    const events: RetryEvent[] = []
    let calls = 0
    const out = await withRetry(
      async () => {
        if (++calls <= 4) throw transient()
        return 'ok'
      },
      isTransient,
      { maxRetries: 5, initialMs: 100, maxMs: 500 },
      { clock, random: () => 0.5, onRetry: (e) => events.push(e) },
    )
    expect(out).toBe('ok')
    expect(calls).toBe(5)
    // caps 100, 200, 400, 500 (capped) → half of each
    expect(clock.sleeps).toEqual([50, 100, 200, 250])
    expect(events.map((e) => [e.attempt, e.delayMs])).toEqual([
      [0, 50],
      [1, 100],
      [2, 200],
      [3, 250],
    ])
  })

  it('full jitter spans [0, cap): random 0 gives no wait, random just under 1 the cap − 1', async () => {
    for (const [random, want] of [
      [0, 0],
      [0.9999999, 399],
    ] as const) {
      const clock = instantClock()
      await caught(
        withRetry(
          async () => {
            throw transient()
          },
          isTransient,
          { maxRetries: 3, initialMs: 100, maxMs: 1_000 },
          { clock, random: () => random },
        ),
      )
      expect(clock.sleeps.at(-1)).toBe(want)
    }
  })

  it('gives up after maxRetries retries with RetryExhausted (attempts, last error as cause)', async () => {
    const clock = instantClock()
    let calls = 0
    const last = transient()
    const err = await caught(
      withRetry(
        async () => {
          calls++
          throw calls === 3 ? last : transient()
        },
        isTransient,
        { maxRetries: 2, initialMs: 10, maxMs: 10 },
        { clock },
      ),
    )
    expect(err).toBeInstanceOf(RetryExhausted)
    expect(err.attempts).toBe(3)
    expect(err.cause).toBe(last)
    expect(calls).toBe(3)
    expect(clock.sleeps).toHaveLength(2)
  })

  it('maxRetries 0: one attempt, no sleep', async () => {
    const clock = instantClock()
    const err = await caught(
      withRetry(
        async () => {
          throw transient()
        },
        isTransient,
        { maxRetries: 0, initialMs: 10, maxMs: 10 },
        { clock },
      ),
    )
    expect(err).toMatchObject({ name: 'RetryExhausted', attempts: 1 })
    expect(err.message).toBe('gave up after 1 attempt')
    expect(clock.sleeps).toEqual([])
  })

  it('rethrows a non-retryable error at once, unwrapped', async () => {
    const clock = instantClock()
    const refusal = Object.assign(new Error('no such key'), { name: 'NotFoundException' })
    let calls = 0
    const err = await caught(
      withRetry(
        async () => {
          calls++
          throw refusal
        },
        isTransient,
        { maxRetries: 5, initialMs: 10, maxMs: 10 },
        { clock },
      ),
    )
    expect(err).toBe(refusal)
    expect(calls).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('waits on the injected clock: nothing happens until the ManualClock moves', async () => {
    const clock = new ManualClock(0)
    let calls = 0
    const done = withRetry(
      async () => {
        if (++calls === 1) throw transient()
        return calls
      },
      isTransient,
      { maxRetries: 1, initialMs: 1_000, maxMs: 1_000 },
      { clock, random: () => 0.5 },
    )
    await flush()
    expect(calls).toBe(1)
    expect(clock.pending).toBe(1)
    clock.advance(499)
    await flush()
    expect(calls).toBe(1)
    clock.advance(1)
    expect(await done).toBe(2)
  })

  it('an aborted signal ends the backoff with its reason', async () => {
    const clock = new ManualClock(0)
    const stop = new AbortController()
    const done = withRetry(
      async () => {
        throw transient()
      },
      isTransient,
      { maxRetries: 3, initialMs: 1_000, maxMs: 1_000 },
      { clock, random: () => 0.5, signal: stop.signal },
    )
    await flush()
    const reason = new Error('shutting down')
    stop.abort(reason)
    expect(await caught(done)).toBe(reason)
  })

  it('refuses a config that is not three integers ≥ 0 (TypeError naming the field)', async () => {
    for (const [config, field] of [
      [{ maxRetries: -1, initialMs: 1, maxMs: 1 }, 'maxRetries'],
      [{ maxRetries: 1, initialMs: 1.5, maxMs: 1 }, 'initialMs'],
      [{ maxRetries: 1, initialMs: 1, maxMs: Number.NaN }, 'maxMs'],
      [{ maxRetries: 1, initialMs: 1 }, 'maxMs'],
    ] as const) {
      expect(() => checkRetryConfig(config as never)).toThrow(new RegExp(field))
      const err = await caught(withRetry(async () => 1, isTransient, config as never))
      expect(err).toBeInstanceOf(TypeError)
    }
  })
})
