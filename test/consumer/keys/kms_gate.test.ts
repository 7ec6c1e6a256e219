/**
 * The guards in front of KMS Decrypt, with a scripted inner unwrap: one call per wrapped key
 * however many ask at once, each caller its own copy of the CEK (the Opener zeroes what it is
 * given) and the shared one zeroed; concurrency bounded; throttling retried after kms-client gave
 * up, until `throttleRetryMs`; other failures passed through at once.
 */
import { describe, expect, it } from 'vitest'
import { DecryptionFailedError } from '../../../envelope/src/index.ts'
import { gatedUnwrap, isThrottling } from '../../../consumer/src/keys/kms_gate.ts'
import { AdaptiveRateLimiter } from '../../../consumer/src/keys/rate_limiter.ts'
import { KmsError } from '../../../kms-client/src/index.ts'

const KID = new Uint8Array(8).fill(7)
const wrappedOf = (n: number) => new Uint8Array(256).fill(n)
const throttled = () =>
  new KmsError(
    'ERR_KMS_UNAVAILABLE',
    'Decrypt',
    'KMS Decrypt failed after 5 attempts: ThrottlingException',
    {
      awsCode: 'ThrottlingException',
    },
  )

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

describe('gatedUnwrap', () => {
  it('makes one call for concurrent unwraps of one wrapped key, and gives each caller its own CEK', async () => {
    const calls: Uint8Array[] = []
    const pending = deferred<Uint8Array>()
    const shared = new Uint8Array(32).fill(9)
    const unwrap = gatedUnwrap({
      unwrap: (w) => (
        calls.push(w),
        calls.length === 1 ? pending.promise : Promise.resolve(new Uint8Array(32))
      ),
      limiter: new AdaptiveRateLimiter({ perSecond: 100 }),
      maxConcurrent: 4,
      throttleRetryMs: 1000,
    })
    const results = Array.from({ length: 50 }, () => unwrap(wrappedOf(1), KID))
    await new Promise((r) => setTimeout(r, 10))
    pending.resolve(shared)
    const ceks = await Promise.all(results)
    expect(calls).toHaveLength(1)
    expect(new Set(ceks).size).toBe(50)
    for (const c of ceks) expect(c).toEqual(new Uint8Array(32).fill(9))
    ceks[0]!.fill(0) // what the Opener does: the others are untouched
    expect(ceks[1]).toEqual(new Uint8Array(32).fill(9))
    expect(shared).toEqual(new Uint8Array(32)) // the shared one was zeroed
    expect(unwrap.stats()).toEqual({ calls: 1, coalesced: 49, throttleRetries: 0 })
    // Once settled, nothing is remembered: a later unwrap of the same key is a new call.
    await unwrap(wrappedOf(1), KID)
    expect(calls).toHaveLength(2)
  })

  it('keeps different wrapped keys apart, at most maxConcurrent at once', async () => {
    let running = 0
    let most = 0
    const unwrap = gatedUnwrap({
      unwrap: async (w) => {
        running++
        most = Math.max(most, running)
        await new Promise((r) => setTimeout(r, 5))
        running--
        return new Uint8Array(32).fill(w[0]!)
      },
      limiter: new AdaptiveRateLimiter({ perSecond: 1000 }),
      maxConcurrent: 3,
      throttleRetryMs: 1000,
    })
    const ceks = await Promise.all(Array.from({ length: 12 }, (_, i) => unwrap(wrappedOf(i), KID)))
    expect(ceks.map((c) => c[0])).toEqual(Array.from({ length: 12 }, (_, i) => i))
    expect(most).toBe(3)
  })

  it('tries a throttled unwrap again, slower, until throttleRetryMs; other errors pass at once', async () => {
    let n = 0
    const limiter = new AdaptiveRateLimiter({ perSecond: 1000 })
    let counted = 0
    const unwrap = gatedUnwrap({
      unwrap: async () => {
        if (++n < 3) throw throttled()
        return new Uint8Array(32)
      },
      limiter,
      maxConcurrent: 2,
      throttleRetryMs: 10_000,
      onThrottled: () => counted++,
      random: () => 0,
    })
    await expect(unwrap(wrappedOf(2), KID)).resolves.toHaveLength(32)
    expect(n).toBe(3)
    expect(counted).toBe(2)
    expect(limiter.rate).toBeLessThan(1000)
    expect(unwrap.stats().throttleRetries).toBe(2)

    const giveUp = gatedUnwrap({
      unwrap: async () => {
        throw throttled()
      },
      limiter: new AdaptiveRateLimiter({ perSecond: 1000 }),
      maxConcurrent: 2,
      throttleRetryMs: 0,
    })
    await expect(giveUp(wrappedOf(3), KID)).rejects.toMatchObject({ code: 'ERR_KMS_UNAVAILABLE' })

    let opaque = 0
    const refused = gatedUnwrap({
      unwrap: async () => {
        opaque++
        throw new DecryptionFailedError()
      },
      limiter: new AdaptiveRateLimiter({ perSecond: 1000 }),
      maxConcurrent: 2,
      throttleRetryMs: 10_000,
    })
    await expect(refused(wrappedOf(4), KID)).rejects.toBeInstanceOf(DecryptionFailedError)
    expect(opaque).toBe(1)
  })

  it('tells throttling answers from the rest', () => {
    expect(isThrottling(throttled())).toBe(true)
    expect(isThrottling(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(true)
    expect(isThrottling({ $metadata: { httpStatusCode: 429 } })).toBe(true)
    expect(isThrottling(new KmsError('ERR_KMS_UNAVAILABLE', 'Decrypt', 'refused'))).toBe(false)
    expect(isThrottling(new Error('ECONNRESET'))).toBe(false)
    expect(isThrottling(undefined)).toBe(false)
  })
})
