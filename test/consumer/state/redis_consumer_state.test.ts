/**
 * RedisConsumerState against the Redis of the machine (CI runs one; see `_redis.ts`): the
 * ConsumerState contract with two clients per namespace, then what is Redis's own: the key
 * layout, TTLs, a window-size mismatch between instances, failures as coded errors, credentials
 * kept out of messages.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { RedisConsumerState } from '../../../consumer/src/state/index.ts'
import { caught } from '../../helpers/index.ts'
import { consumerStateContract } from './consumer_state_contract.ts'
import { adminClient, dropTestPrefixes, keysUnder, redisUrl, testPrefix } from './_redis.ts'

let admin: Redis
const opened: RedisConsumerState[] = []

beforeAll(async () => {
  admin = await adminClient()
})

afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close()
})

afterAll(async () => {
  await dropTestPrefixes()
  await admin?.quit()
})

async function connect(
  options: ConstructorParameters<typeof RedisConsumerState>[1] = {},
): Promise<RedisConsumerState> {
  const state = await RedisConsumerState.connect(redisUrl, options)
  opened.push(state)
  return state
}

consumerStateContract('RedisConsumerState', async ({ windowSize, instances }) => {
  const keyPrefix = testPrefix()
  return Promise.all(
    Array.from({ length: instances }, () =>
      RedisConsumerState.connect(redisUrl, { keyPrefix, windowSize }),
    ),
  )
})

describe('RedisConsumerState', () => {
  it('keeps every key under its prefix, one device’s keys under one hash tag', async () => {
    const keyPrefix = testPrefix()
    const s = await connect({ keyPrefix })
    await s.markDelivered('dev-1', 1)
    await s.putAnnouncement({
      deviceId: 'dev-1',
      epochIdHex: '0011223344556677',
      topic: 't',
      bytes: Uint8Array.of(1),
      receivedAt: 5,
    })
    await s.countNewEpoch('dev-1', 120_000, 60_000)
    expect(await keysUnder(admin, keyPrefix)).toEqual([
      `${keyPrefix}ann:{dev-1}:0011223344556677`,
      `${keyPrefix}budget:total:60000:2`,
      `${keyPrefix}budget:{dev-1}:60000:2`,
      `${keyPrefix}replay:{dev-1}:b`,
      `${keyPrefix}replay:{dev-1}:h`,
    ])
    expect(await admin.hgetall(`${keyPrefix}replay:{dev-1}:h`)).toEqual({ h: '1', w: '4096' })
  })

  it('announcements expire announcementTtlMs after the last put; budgets after their window', async () => {
    const keyPrefix = testPrefix()
    const s = await connect({ keyPrefix, announcementTtlMs: 5_000 })
    const key = `${keyPrefix}ann:{dev-1}:0011223344556677`
    const a = {
      deviceId: 'dev-1',
      epochIdHex: '0011223344556677',
      topic: 't',
      bytes: Uint8Array.of(1),
      receivedAt: 5,
    }
    await s.putAnnouncement(a)
    expect(await admin.pttl(key)).toBeGreaterThan(4_000)
    await admin.pexpire(key, 1_000)
    await s.putAnnouncement(a)
    expect(await admin.pttl(key)).toBeGreaterThan(4_000)
    await s.countNewEpoch('dev-1', 60_000 * 10 + 59_000, 60_000) // 1 s left in the window
    const ttl = await admin.pttl(`${keyPrefix}budget:{dev-1}:60000:10`)
    expect(ttl).toBeGreaterThan(60_000)
    expect(ttl).toBeLessThanOrEqual(61_000)
  })

  it('announcementTtlMs 0 keeps announcements without expiry', async () => {
    const keyPrefix = testPrefix()
    const s = await connect({ keyPrefix, announcementTtlMs: 0 })
    await s.putAnnouncement({
      deviceId: 'd',
      epochIdHex: '0011223344556677',
      topic: 't',
      bytes: Uint8Array.of(1),
      receivedAt: 5,
    })
    expect(await admin.pttl(`${keyPrefix}ann:{d}:0011223344556677`)).toBe(-1)
  })

  it('an instance with another window size is refused (ERR_STATE_WINDOW_MISMATCH), nothing changed', async () => {
    const keyPrefix = testPrefix()
    const a = await connect({ keyPrefix, windowSize: 64 })
    const b = await connect({ keyPrefix, windowSize: 128 })
    await a.markDelivered('dev-1', 500)
    for (const call of [b.markDelivered('dev-1', 501), b.seen('dev-1', 501)]) {
      const err = await caught(call)
      expect(err.code).toBe('ERR_STATE_WINDOW_MISMATCH')
      expect(err.message).toMatch(/stored 64, given 128/)
    }
    expect(await a.seen('dev-1', 501)).toBe('new')
  })

  it('a jump that clears whole bytes of a large window leaves exactly the right bits', async () => {
    const s = await connect({ keyPrefix: testPrefix(), windowSize: 1000 })
    for (const seq of [0, 1, 7, 8, 9, 15, 16, 500, 998, 999]) await s.markDelivered('d', seq)
    await s.markDelivered('d', 1500) // 1000 … 1500 enter: positions 0 … 500 cleared
    expect(await s.seen('d', 998)).toBe('duplicate')
    expect(await s.seen('d', 999)).toBe('duplicate')
    expect(await s.seen('d', 600)).toBe('new')
    for (const seq of [1000, 1001, 1007, 1008, 1009, 1015, 1016, 1499]) {
      expect(await s.seen('d', seq)).toBe('new')
    }
    expect(await s.seen('d', 1500)).toBe('duplicate')
    expect(await s.seen('d', 500)).toBe('too-old')
  })

  it('stats counts only its own prefix, with glob characters in it', async () => {
    const keyPrefix = `${testPrefix()}[*?]`
    const s = await connect({ keyPrefix })
    const other = await connect({ keyPrefix: testPrefix() })
    await s.markDelivered('dev-1', 1)
    await other.markDelivered('dev-1', 1)
    await other.markDelivered('dev-2', 1)
    expect(await s.stats()).toEqual({ devices: 1, announcements: 0 })
  })

  it('a Redis that does not answer: connect fails with ERR_STATE_UNAVAILABLE, no password shown', async () => {
    const err = await caught(
      RedisConsumerState.connect('redis://user:s3cret@127.0.0.1:1/0', { connectTimeoutMs: 2_000 }),
    )
    expect(err.code).toBe('ERR_STATE_UNAVAILABLE')
    expect(err.message).toMatch(/^redis:\/\/127\.0\.0\.1:1\/0: /)
    expect(err.message).not.toContain('s3cret')
  })

  it('a command that fails is ERR_STATE_UNAVAILABLE naming the operation', async () => {
    const client = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    })
    client.on('error', () => undefined)
    const s = new RedisConsumerState(client)
    opened.push(s)
    const err = await caught(s.markDelivered('dev-1', 1))
    expect(err.code).toBe('ERR_STATE_UNAVAILABLE')
    expect(err.message).toMatch(/^redis markDelivered: /)
  })

  it('describes itself by host, port, db and prefix, never the password', async () => {
    // The test Redis has no password: ioredis warns and carries on when one is given anyway.
    const url = new URL(redisUrl)
    url.password = 'not-needed-but-s3cret'
    const s = await connect({ keyPrefix: 'p:' })
    expect(s.description).toBe(`redis://${url.hostname}:${url.port || 6379}/0 (prefix "p:")`)
    const withPassword = await RedisConsumerState.connect(url.toString(), { keyPrefix: 'p:' })
    opened.push(withPassword)
    expect(withPassword.description).toBe(s.description)
  })
})
