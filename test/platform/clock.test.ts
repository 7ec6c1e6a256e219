/**
 * ManualClock (the tests' clock) and full-jitter backoff.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock, fullJitterDelay, systemClock } from '../../platform/src/index.ts'
import { caught } from '../helpers/index.ts'

describe('ManualClock', () => {
  it('resolves sleeps only when advanced past them, earliest first', async () => {
    const clock = new ManualClock(1_000)
    const order: number[] = []
    const a = clock.sleep(300).then(() => order.push(300))
    const b = clock.sleep(100).then(() => order.push(100))
    clock.advance(99)
    await Promise.resolve()
    expect(order).toEqual([])
    expect(clock.pending).toBe(2)
    clock.advance(250)
    await Promise.all([a, b])
    expect(order).toEqual([100, 300])
    expect(clock.now()).toBe(1_349)
    expect(clock.monotonic()).toBe(349)
  })

  it('a wall-clock jump leaves monotonic time and sleeps alone', () => {
    const clock = new ManualClock(0)
    clock.setWall(1_700_000_000_000)
    expect(clock.now()).toBe(1_700_000_000_000)
    expect(clock.monotonic()).toBe(0)
  })

  it('an aborted sleep rejects with the reason and is forgotten', async () => {
    const clock = new ManualClock()
    const ac = new AbortController()
    const slept = clock.sleep(1_000, ac.signal)
    ac.abort(new Error('stop'))
    expect((await caught(slept)).message).toBe('stop')
    expect(clock.pending).toBe(0)
  })

  it('systemClock.sleep rejects at once for an aborted signal', async () => {
    const ac = new AbortController()
    ac.abort(new Error('already'))
    expect((await caught(systemClock.sleep(60_000, ac.signal))).message).toBe('already')
  })
})

describe('fullJitterDelay', () => {
  const bounds = { initialMs: 100, maxMs: 1_000 }
  it('is uniform below min(max, initial · 2^attempt)', () => {
    expect(fullJitterDelay(0, bounds, () => 0.999)).toBe(99)
    expect(fullJitterDelay(3, bounds, () => 0.5)).toBe(400)
    expect(fullJitterDelay(10, bounds, () => 0.5)).toBe(500)
    expect(fullJitterDelay(5000, bounds, () => 0.999)).toBe(999)
    expect(fullJitterDelay(2, bounds, () => 0)).toBe(0)
  })
  it('refuses a negative or fractional attempt', () => {
    expect(() => fullJitterDelay(-1, bounds, Math.random)).toThrow(RangeError)
    expect(() => fullJitterDelay(1.5, bounds, Math.random)).toThrow(RangeError)
  })
})
