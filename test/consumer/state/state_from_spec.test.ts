/**
 * `stateFromSpec`: `memory` and `redis://…` open the right store; anything else is ERR_CONFIG
 * (exit 78) with the spec shown without credentials.
 */
import { afterAll, describe, expect, it } from 'vitest'
import {
  MemoryConsumerState,
  RedisConsumerState,
  stateFromSpec,
} from '../../../consumer/src/state/index.ts'
import { caught } from '../../helpers/index.ts'
import { dropTestPrefixes, redisUrl, testPrefix } from './_redis.ts'

afterAll(dropTestPrefixes)

describe('stateFromSpec', () => {
  it('memory → MemoryConsumerState', async () => {
    const state = await stateFromSpec('memory')
    expect(state).toBeInstanceOf(MemoryConsumerState)
    expect(state.description).toBe('memory')
    await state.close()
  })

  it('redis://… → a connected RedisConsumerState with the options given', async () => {
    const keyPrefix = testPrefix()
    const state = await stateFromSpec(redisUrl, { keyPrefix, windowSize: 64 })
    expect(state).toBeInstanceOf(RedisConsumerState)
    await state.markDelivered('d', 100)
    expect(await state.seen('d', 36)).toBe('too-old')
    await state.close()
  })

  it.each([
    ['', /^--state: expected "memory" or redis:\/\/host\[:port\]\[\/db\], got ""$/],
    ['Memory', /got "Memory"$/],
    ['postgres://u:pw@db/x', /got "postgres:\/\/db\/x"$/],
    ['redis://', /^--state: "redis:\/\/" names no host$/],
    ['redis://u:pw@[::1', /^--state: "redis:\/\/\[::1" is not a valid URL$/],
  ])('%j → ERR_CONFIG', async (spec, message) => {
    const err = await caught(stateFromSpec(spec))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toMatch(message)
    expect(err.message).not.toContain('pw')
  })

  it('an option out of range is ERR_CONFIG naming it', async () => {
    const err = await caught(stateFromSpec('memory', { windowSize: 3 }))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toMatch(/^--state: windowSize: expected an integer from 8 to 1048576/)
  })

  it('a Redis that does not answer is ERR_STATE_UNAVAILABLE, not ERR_CONFIG', async () => {
    const err = await caught(stateFromSpec('redis://127.0.0.1:1', { connectTimeoutMs: 2_000 }))
    expect(err.code).toBe('ERR_STATE_UNAVAILABLE')
  })
})
