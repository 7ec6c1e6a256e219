/**
 * KMS quota: kms-local throttles Decrypt at 5 requests/s; 200 devices start a new epoch at once.
 * Every epoch is decrypted (kms-client retries throttling with backoff, the consumer's adaptive
 * limit slows down, and tries again once kms-client's retries are spent), no message is lost or
 * dead-lettered, and the throttling answers are counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConsumerCore } from '../../../consumer/src/consumer_core.ts'
import type { TestKms } from '../_helpers.ts'
import { SimDevice, startTestKms, testCore, uniquePrefix } from '../_helpers.ts'

let kms: TestKms
let core: ConsumerCore | undefined

beforeAll(async () => {
  kms = await startTestKms({ rateLimits: { cryptographic: 5 } }, undefined, (op, e) =>
    core?.onKmsRetry(op, { attempt: 0, delayMs: 0, error: e.error }),
  )
})

afterAll(async () => {
  await kms?.close()
})

describe('KMS throttling', () => {
  it('decrypts 200 new epochs at 5 Decrypt/s with none lost, counting the throttles', async () => {
    const prefix = uniquePrefix()
    const devices = Array.from(
      { length: 200 },
      (_, i) => new SimDevice(`dev-${String(i).padStart(3, '0')}`, prefix, kms.key),
    )
    const msgs = devices.flatMap((d) => [...d.seal(d.reading(1)), ...d.seal(d.reading(2))])
    const made = testCore(kms, prefix, { keys: { throttleRetryMs: 55_000 } })
    const { sink, letters } = made
    core = made.core
    const c = core
    const started = Date.now()
    const outcomes = await Promise.all(
      msgs.map((m) =>
        c.pipeline.handle({ topic: m.topic, payload: m.payload, receivedAt: Date.now() }),
      ),
    )
    const took = Date.now() - started
    expect(outcomes.filter((o) => o.kind === 'announcement')).toHaveLength(200)
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(400)
    expect(sink.rows.size).toBe(400)
    expect(letters.letters.size).toBe(0)
    const text = await c.metrics.registry.metrics()
    expect(text).toMatch(/^sealwire_consumer_kms_unwraps_total\{outcome="unwrapped"\} 200$/m)
    const throttles = Number(
      /^sealwire_consumer_kms_throttles_total\{operation="Decrypt"\} (\d+)$/m.exec(text)![1],
    )
    expect(throttles).toBeGreaterThan(0)
    // kms-local counts every request it answered, throttled ones included.
    expect(kms.decrypts()).toBeGreaterThanOrEqual(200 + throttles)
    expect(
      Number(/^sealwire_consumer_kms_rate_limit_per_second (\S+)$/m.exec(text)![1]),
    ).toBeLessThan(400)
    await c.stop(1000)
    console.info(
      `200 epochs at 5/s: ${took} ms, ${throttles} throttling answers, ${kms.decrypts()} requests`,
    )
  }, 90_000)
})
