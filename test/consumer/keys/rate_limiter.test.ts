/**
 * AdaptiveRateLimiter on fake time: one second of requests at once, then one per 1/rate, in
 * arrival order; a throttling answer halves the rate (once per 250 ms, never below the minimum);
 * successes climb back slowly, fast after 10 s without throttling.
 */
import { describe, expect, it } from 'vitest'
import { AdaptiveRateLimiter } from '../../../consumer/src/keys/rate_limiter.ts'
import { ManualClock } from '../../../platform/src/index.ts'

const tick = () => new Promise((r) => setImmediate(r))

describe('AdaptiveRateLimiter', () => {
  it('gives a second of requests at once, then one per 1/rate, in arrival order', async () => {
    const clock = new ManualClock()
    const limiter = new AdaptiveRateLimiter({ perSecond: 4, clock })
    const order: number[] = []
    const takes = Array.from({ length: 6 }, (_, i) => limiter.take().then(() => order.push(i)))
    await tick()
    expect(order).toEqual([0, 1, 2, 3])
    clock.advance(249)
    await tick()
    expect(order).toHaveLength(4)
    clock.advance(1)
    await tick()
    expect(order).toEqual([0, 1, 2, 3, 4])
    clock.advance(250)
    await Promise.all(takes)
    expect(order).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('halves on throttling at most every 250 ms, down to the minimum, and climbs back', () => {
    const clock = new ManualClock()
    const limiter = new AdaptiveRateLimiter({ perSecond: 400, minPerSecond: 2, clock })
    limiter.throttled()
    limiter.throttled() // the same burst: one signal
    expect(limiter.rate).toBe(200)
    for (let i = 0; i < 10; i++) {
      clock.advance(250)
      limiter.throttled()
    }
    expect(limiter.rate).toBe(2)
    // Right after throttling: +1/rate per success (about +1 per second at the rate).
    limiter.succeeded()
    expect(limiter.rate).toBeCloseTo(2.5)
    clock.advance(10_000)
    for (let i = 0; i < 500; i++) limiter.succeeded()
    expect(limiter.rate).toBe(400)
  })

  it('refuses rates that are no rate, and stops waiting when aborted', async () => {
    expect(() => new AdaptiveRateLimiter({ perSecond: 0 })).toThrow(RangeError)
    expect(() => new AdaptiveRateLimiter({ perSecond: 5, minPerSecond: 6 })).toThrow(RangeError)
    const clock = new ManualClock()
    const limiter = new AdaptiveRateLimiter({ perSecond: 1, clock })
    await limiter.take()
    const stop = new AbortController()
    const waiting = limiter.take(stop.signal)
    stop.abort(new Error('stopping'))
    await expect(waiting).rejects.toThrow('stopping')
    // The next taker is not blocked by the aborted one.
    clock.advance(1000)
    await limiter.take()
  })
})
