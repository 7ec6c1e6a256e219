/**
 * The contract suite of {@link EntropySource}: every implementation runs it (STYLE §2.4, §8.5).
 * A harness factory gives a fresh, unstarted source per case, and, for a source that can fail on
 * demand, a way to make it fail.
 *
 * @example
 * ```ts
 * describeEntropySourceContract('os', async () => ({ source: new OsEntropySource() }), {
 *   cannotFailBecause: 'the OS CSPRNG has no failure to inject',
 * })
 * ```
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { EntropyErrorCode, EntropySource } from '../../../agent/src/entropy/index.ts'
import { EntropyError } from '../../../agent/src/entropy/index.ts'
import { toHex, turnsUntil } from './_helpers.ts'

/** One source under test. */
export interface EntropySourceHarness {
  readonly source: EntropySource
  /** Drives the source into a latched failure; resolves once it has failed. */
  readonly fail?: () => Promise<void>
  /** The code that `fail` latches. */
  readonly failureCode?: EntropyErrorCode
  /** Lets background refilling run (event-loop turns, a clock); resolves when `done()` holds. */
  readonly settle?: (done: () => boolean) => Promise<void>
  /** Extra cleanup after `stop()`: temporary files, writers. */
  readonly cleanup?: () => Promise<void>
}

/** Options of {@link describeEntropySourceContract}. */
export interface ContractOptions {
  /** For a source that cannot be made to fail: the reason its failure cases are skipped. */
  readonly cannotFailBecause?: string
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

function expectEntropyError(err: unknown, code: EntropyErrorCode, latched: boolean): void {
  expect(err).toBeInstanceOf(EntropyError)
  expect((err as EntropyError).code).toBe(code)
  expect((err as EntropyError).latched).toBe(latched)
  expect((err as EntropyError).name).toBe('EntropyError')
}

/** Runs the contract suite against the sources `make` returns. */
export function describeEntropySourceContract(
  label: string,
  make: () => Promise<EntropySourceHarness>,
  options: ContractOptions = {},
): void {
  describe(`EntropySource contract: ${label}`, () => {
    let current: EntropySourceHarness | undefined

    async function open(): Promise<EntropySourceHarness> {
      current = await make()
      return current
    }

    async function settle(h: EntropySourceHarness, done: () => boolean): Promise<void> {
      if (h.settle !== undefined) await h.settle(done)
      else await turnsUntil(done)
    }

    /** Bytes, waiting for a pooled source to refill if it is momentarily empty. */
    async function draw(h: EntropySourceHarness, n: number): Promise<Uint8Array> {
      await settle(h, () => (h.source.health().pool?.bytes ?? n) >= n)
      return h.source.randomBytes(n)
    }

    afterEach(async () => {
      await current?.source.stop()
      await current?.cleanup?.()
      current = undefined
    })

    it('has a short stable name', async () => {
      const { source } = await open()
      expect(source.name).toMatch(/^[a-z0-9][a-z0-9_.:-]{0,39}$/i)
      expect(source.health().name).toBe(source.name)
    })

    it("refuses bytes before start() with ERR_ENTROPY_NOT_READY (state 'starting')", async () => {
      const { source } = await open()
      expect(source.health().state).toBe('starting')
      expectEntropyError(
        thrown(() => source.randomBytes(32)),
        'ERR_ENTROPY_NOT_READY',
        false,
      )
      expect(source.health().requestsRefused).toBe(1)
    })

    it("starts, reports 'ok', and gives 32 fresh bytes synchronously", async () => {
      const { source } = await open()
      await source.start()
      expect(source.health().state).toBe('ok')
      expect(source.health().failure).toBeNull()
      const bytes = source.randomBytes(32)
      expect(bytes).toBeInstanceOf(Uint8Array)
      expect(bytes.length).toBe(32)
    })

    it('start() is idempotent', async () => {
      const { source } = await open()
      const a = source.start()
      const b = source.start()
      await Promise.all([a, b])
      await source.start()
      expect(source.health().state).toBe('ok')
    })

    it('gives a new array each call, never the same bytes twice', async () => {
      const h = await open()
      await h.source.start()
      const seen = new Set<string>()
      for (let i = 0; i < 64; i++) {
        const bytes = await draw(h, 32)
        const hex = toHex(bytes)
        expect(seen.has(hex)).toBe(false)
        seen.add(hex)
        bytes.fill(0) // the caller owns it: zeroing must not affect the source
      }
      const all = [...seen].join('')
      // 2,048 bytes: every byte value should appear; a stuck or biased output would not.
      const counts = new Map<string, number>()
      for (let i = 0; i < all.length; i += 2) {
        const b = all.slice(i, i + 2)
        counts.set(b, (counts.get(b) ?? 0) + 1)
      }
      expect(counts.size).toBeGreaterThan(240)
      expect(Math.max(...counts.values())).toBeLessThan(30)
    })

    it('gives 0 bytes as an empty array, and up to maxRequestBytes in one call', async () => {
      const h = await open()
      const { source } = h
      expect(Number.isSafeInteger(source.maxRequestBytes)).toBe(true)
      expect(source.maxRequestBytes).toBeGreaterThanOrEqual(32)
      await source.start()
      expect(source.randomBytes(0)).toEqual(new Uint8Array(0))
      const big = await draw(h, source.maxRequestBytes)
      expect(big.length).toBe(source.maxRequestBytes)
    })

    it('throws RangeError for a length that is not an integer in [0, maxRequestBytes]', async () => {
      const { source } = await open()
      await source.start()
      const bad: unknown[] = [-1, 1.5, NaN, Infinity, source.maxRequestBytes + 1, '32', undefined]
      for (const n of bad) {
        expect(() => source.randomBytes(n as number), String(n)).toThrow(RangeError)
      }
      expect(source.health().state).toBe('ok')
    })

    it('counts bytes and requests in health(), a frozen snapshot with no random bytes', async () => {
      const h = await open()
      await h.source.start()
      const before = h.source.health()
      const got = [await draw(h, 32), await draw(h, 16)]
      const after = h.source.health()
      expect(Object.isFrozen(after)).toBe(true)
      expect(after.bytesServed - before.bytesServed).toBe(48)
      expect(after.requestsServed - before.requestsServed).toBe(2)
      expect(before.bytesServed).toBe(0)
      const text = JSON.stringify(after)
      for (const bytes of got) expect(text).not.toContain(toHex(bytes).slice(0, 8))
    })

    it("stops: state 'stopped', bytes refused, start() refused, stop() idempotent", async () => {
      const { source } = await open()
      await source.start()
      await source.stop()
      await source.stop()
      expect(source.health().state).toBe('stopped')
      expectEntropyError(
        thrown(() => source.randomBytes(32)),
        'ERR_ENTROPY_NOT_READY',
        false,
      )
      await expect(source.start()).rejects.toMatchObject({ code: 'ERR_ENTROPY_NOT_READY' })
      expect(source.health().pool?.bytes ?? 0).toBe(0)
    })

    it('stop() before start() leaves it stopped; start() then rejects', async () => {
      const { source } = await open()
      await source.stop()
      await expect(source.start()).rejects.toMatchObject({ code: 'ERR_ENTROPY_NOT_READY' })
      expect(source.health().state).toBe('stopped')
    })

    it('calls no failure listener while healthy; onFailure returns an unsubscribe', async () => {
      const h = await open()
      let calls = 0
      const off = h.source.onFailure(() => calls++)
      expect(typeof off).toBe('function')
      await h.source.start()
      for (let i = 0; i < 10; i++) await draw(h, 32)
      off()
      await h.source.stop()
      expect(calls).toBe(0)
      expect(() => h.source.onFailure(42 as never)).toThrow(TypeError)
    })

    const failCases = (): void => {
      it('latches a failure: state, code, every later request throws, listeners once', async () => {
        const h = await open()
        const { source } = h
        const calls: EntropyError[] = []
        let removedCalls = 0
        source.onFailure((err) => calls.push(err))
        const off = source.onFailure(() => removedCalls++)
        source.onFailure(() => {
          throw new Error('a listener bug must not undo the latch')
        })
        off()
        await source.start()
        await h.fail!()
        const health = source.health()
        expect(health.state).toBe('failed')
        expect(health.failure?.code).toBe(h.failureCode)
        expect(health.failure?.message.length).toBeGreaterThan(10)
        expect(typeof health.failure?.atMs).toBe('number')
        for (let i = 0; i < 1000; i++) {
          expectEntropyError(
            thrown(() => source.randomBytes(32)),
            h.failureCode!,
            true,
          )
        }
        expect(calls).toHaveLength(1)
        expectEntropyError(calls[0], h.failureCode!, true)
        expect(removedCalls).toBe(0)
        let late = 0
        source.onFailure(() => late++)
        expect(late).toBe(1)
        await source.stop()
        expect(source.health().state).toBe('failed')
        expect(calls).toHaveLength(1)
        await expect(source.start()).rejects.toMatchObject({ code: h.failureCode })
      })
    }

    if (options.cannotFailBecause === undefined) {
      failCases()
    } else {
      it.skip(`latches a failure (skipped: ${options.cannotFailBecause})`, () => undefined)
    }
  })
}
