import {
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSServiceException,
  type KMSClient,
} from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal, type KmsLocalServer } from '../../kms-local/src/index.ts'
import { TokenBucket } from '../../kms-local/src/rate_limiter.ts'
import { caught, kmsClientFor } from '../helpers/index.ts'
import { fakeClock } from './_helpers.ts'

describe('TokenBucket', () => {
  it('holds one second of requests and refills continuously', () => {
    const b = new TokenBucket(2, 0)
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, false])
    expect(b.tryTake(499)).toBe(false)
    expect(b.tryTake(500)).toBe(true)
    expect(b.tryTake(10_000)).toBe(true)
    expect(b.tryTake(10_000)).toBe(true)
    expect(b.tryTake(10_000)).toBe(false)
  })

  it('refuses a rate that is not a positive number', () => {
    expect(() => new TokenBucket(0, 0)).toThrow(RangeError)
    expect(() => new TokenBucket(Number.NaN, 0)).toThrow(RangeError)
  })
})

describe('rate limits per operation family', () => {
  const clock = fakeClock()
  let server: KmsLocalServer
  let kms: KMSClient
  let keyId: string

  beforeAll(async () => {
    server = await startKmsLocal({
      port: 0,
      clock,
      rateLimits: { cryptographic: 5, management: 3 },
    })
    kms = kmsClientFor(server) // maxAttempts: 1, so the SDK does not retry the throttled call
    keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
  })

  afterAll(async () => {
    kms?.destroy()
    await server?.close()
  })

  it('answers ThrottlingException once the cryptographic quota of the second is spent', async () => {
    for (let i = 0; i < 5; i++) {
      await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }))
    }
    const err = await caught(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
    )
    expect(err).toBeInstanceOf(KMSServiceException)
    expect(err.name).toBe('ThrottlingException')
    expect(err.message).toBe(
      'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
    )
    expect(err.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 1 })
    expect(server.callCount('Encrypt')).toBe(6) // throttled calls count too
  })

  it('keeps management operations on their own quota', async () => {
    // CreateKey above took one management token: two are left.
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    const err = await caught(kms.send(new DescribeKeyCommand({ KeyId: keyId })))
    expect(err.name).toBe('ThrottlingException')
  })

  it('serves again as the bucket refills', async () => {
    clock.advance(200) // one cryptographic token back (5 per second)
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }))
    const err = await caught(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
    )
    expect(err.name).toBe('ThrottlingException')
    clock.advance(1000)
    for (let i = 0; i < 5; i++) {
      await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }))
    }
  })
})
