/**
 * The Redis of the consumer's tests: `SEALWIRE_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`
 * (CI runs one). Each test namespace is a fresh random key prefix, deleted by
 * {@link dropTestPrefixes}. A Redis that does not answer fails the tests that need it, with a line
 * saying so: never a silent skip.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

/** The URL the tests use. */
export const redisUrl = process.env.SEALWIRE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

const prefixes: string[] = []

/** A fresh key prefix, remembered for {@link dropTestPrefixes}. */
export function testPrefix(): string {
  const prefix = `sw_test_${randomBytes(6).toString('hex')}:`
  prefixes.push(prefix)
  return prefix
}

/** A plain client of the test Redis (the caller quits it); throws a clear line when it is down. */
export async function adminClient(): Promise<Redis> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    redis.disconnect()
    throw new Error(
      `Redis at ${redisUrl} does not answer (start it, or set SEALWIRE_TEST_REDIS_URL): ${(err as Error).message}`,
      { cause: err },
    )
  }
  return redis
}

/** Every key under `prefix`. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys.sort()
}

/** Deletes every key under every prefix handed out so far. */
export async function dropTestPrefixes(): Promise<void> {
  if (prefixes.length === 0) return
  const redis = await adminClient()
  try {
    while (prefixes.length > 0) {
      const keys = await keysUnder(redis, prefixes.pop()!)
      if (keys.length > 0) await redis.del(...keys)
    }
  } finally {
    await redis.quit()
  }
}
