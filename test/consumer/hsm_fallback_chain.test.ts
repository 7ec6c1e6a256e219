/**
 * The KMS → HSM chain (`hsmFallbackUnwrap`) with scripted unwraps: which failures go to the
 * second unwrap (unavailability only), which never do (a refused ciphertext, a denied or disabled
 * key), the "KMS known down" window, the `hsm-first` order, and what each use reports.
 */
import { describe, expect, it } from 'vitest'
import { DecryptionFailedError, KeyRejectedError } from '../../envelope/src/index.ts'
import { hsmFallbackUnwrap } from '../../consumer/src/keys/hsm_fallback.ts'
import type { FallbackEvent, FallbackOrder } from '../../consumer/src/keys/hsm_fallback.ts'
import type { Hsm } from '../../hsm/src/index.ts'
import { HsmError } from '../../hsm/src/index.ts'
import { KmsError } from '../../kms-client/src/index.ts'
import { ManualClock } from '../../platform/src/index.ts'
import { caught } from '../helpers/index.ts'

const KID = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
const KID_HEX = '0102030405060708'
const WRAPPED = new Uint8Array(256)
const CEK = new Uint8Array(32).fill(7)
const unavailable = () =>
  new KmsError('ERR_KMS_UNAVAILABLE', 'Decrypt', 'KMS Decrypt failed after 5 attempts')

type Step = Uint8Array | Error

function chain(kms: Step[], hsm: Step[], order: FallbackOrder = 'kms-first') {
  const calls = { kms: 0, hsm: 0 }
  const events: FallbackEvent[] = []
  const clock = new ManualClock()
  const next = (steps: Step[]): Promise<Uint8Array> => {
    const s = steps.shift()
    if (s === undefined) throw new Error('unexpected call')
    return s instanceof Error ? Promise.reject(s) : Promise.resolve(Uint8Array.from(s))
  }
  const fakeHsm = {
    name: 'fake',
    decrypt: (label: string) => {
      expect(label).toBe('fleet-rsa')
      calls.hsm++
      return next(hsm)
    },
  } as unknown as Hsm
  const unwrap = hsmFallbackUnwrap({
    primary: () => {
      calls.kms++
      return next(kms)
    },
    hsm: fakeHsm,
    labels: new Map([[KID_HEX, 'fleet-rsa']]),
    order,
    kmsRetryAfterMs: 30_000,
    onFallback: (e) => events.push(e),
    clock,
  })
  return { unwrap: async (kid = KID) => unwrap(WRAPPED, kid), calls, events, clock }
}

describe('hsmFallbackUnwrap, kms-first', () => {
  it('KMS answers: the HSM is not asked', async () => {
    const t = chain([CEK], [])
    expect(await t.unwrap()).toEqual(CEK)
    expect(t.calls).toEqual({ kms: 1, hsm: 0 })
    expect(t.events).toEqual([])
  })

  it('KMS unavailable: the HSM decrypts, reported once', async () => {
    const t = chain([unavailable()], [CEK])
    expect(await t.unwrap()).toEqual(CEK)
    expect(t.events).toEqual([
      { kid: KID_HEX, from: 'kms', to: 'hsm', reason: 'ERR_KMS_UNAVAILABLE', outcome: 'unwrapped' },
    ])
  })

  it('never asks the HSM after a refused ciphertext, a denial, a disabled key or a refused request', async () => {
    for (const err of [
      new DecryptionFailedError(),
      new KmsError('ERR_KMS_DENIED', 'Decrypt', 'denied'),
      new KeyRejectedError('ERR_KEY_STATE', 'disabled'),
      new KmsError('ERR_KMS_REQUEST', 'Decrypt', 'refused'),
    ]) {
      const t = chain([err], [])
      expect(await caught(t.unwrap())).toBe(err)
      expect(t.calls.hsm).toBe(0)
      expect(t.events).toEqual([])
    }
  })

  it('KMS unavailable and the HSM refuses the ciphertext: the one opaque error', async () => {
    const t = chain([unavailable()], [new DecryptionFailedError()])
    const err = await caught(t.unwrap())
    expect(err.code).toBe('ERR_DECRYPTION_FAILED')
    expect(err.message).toBe(new DecryptionFailedError().message)
    expect(t.events.map((e) => e.outcome)).toEqual(['decryption-failed'])
  })

  it('a CEK from the HSM that is not 32 bytes is the opaque error', async () => {
    const t = chain([unavailable()], [new Uint8Array(31)])
    expect((await caught(t.unwrap())).code).toBe('ERR_DECRYPTION_FAILED')
  })

  it("both unavailable: KMS's error (retry later)", async () => {
    const kmsErr = unavailable()
    const t = chain([kmsErr], [new HsmError('ERR_HSM_UNAVAILABLE', 'token gone')])
    expect(await caught(t.unwrap())).toBe(kmsErr)
    expect(t.events.map((e) => e.outcome)).toEqual(['unavailable'])
  })

  it('while KMS is known down the HSM goes first; after kmsRetryAfterMs KMS is tried again', async () => {
    const t = chain([unavailable(), CEK], [CEK, CEK])
    await t.unwrap()
    t.clock.advance(29_999)
    await t.unwrap()
    expect(t.calls).toEqual({ kms: 1, hsm: 2 })
    expect(t.events.at(-1)!.reason).toBe('kms-down')
    t.clock.advance(1)
    await t.unwrap()
    expect(t.calls).toEqual({ kms: 2, hsm: 2 })
  })

  it('a kid with no HSM label goes to KMS alone', async () => {
    const t = chain([unavailable()], [])
    expect((await caught(t.unwrap(new Uint8Array(8)))).code).toBe('ERR_KMS_UNAVAILABLE')
    expect(t.calls.hsm).toBe(0)
  })
})

describe('hsmFallbackUnwrap, hsm-first', () => {
  it('the HSM answers; KMS only when the HSM is unusable, never after a refused ciphertext', async () => {
    const a = chain([], [CEK], 'hsm-first')
    expect(await a.unwrap()).toEqual(CEK)
    expect(a.calls).toEqual({ kms: 0, hsm: 1 })
    const b = chain([CEK], [new HsmError('ERR_HSM_UNAVAILABLE', 'gone')], 'hsm-first')
    expect(await b.unwrap()).toEqual(CEK)
    expect(b.events).toEqual([
      { kid: KID_HEX, from: 'hsm', to: 'kms', reason: 'ERR_HSM_UNAVAILABLE', outcome: 'unwrapped' },
    ])
    const c = chain([], [new DecryptionFailedError()], 'hsm-first')
    expect((await caught(c.unwrap())).code).toBe('ERR_DECRYPTION_FAILED')
    expect(c.calls.kms).toBe(0)
  })
})

describe('the KMS gate in front of the chain', () => {
  it('gives each caller a CEK of its own even when the unwrap returns a Buffer (the HSM path)', async () => {
    const { gatedUnwrap } = await import('../../consumer/src/keys/kms_gate.ts')
    const { AdaptiveRateLimiter } = await import('../../consumer/src/keys/rate_limiter.ts')
    const gate = gatedUnwrap({
      unwrap: () => Promise.resolve(Buffer.alloc(32, 7)),
      limiter: new AdaptiveRateLimiter({ perSecond: 100 }),
      maxConcurrent: 4,
      throttleRetryMs: 0,
    })
    const [a, b] = await Promise.all([gate(WRAPPED, KID), gate(WRAPPED, KID)])
    expect(a).toEqual(CEK)
    expect(b).toEqual(CEK)
    expect(Buffer.isBuffer(a)).toBe(false)
  })
})
