/**
 * The contract every {@link ConsumerState} must pass (`consumer/src/state/README.md` states it):
 * replay verdicts (new, duplicate, too-old), out-of-order numbers inside the window, gap reports,
 * idempotent and atomic marks (two instances racing on one number: exactly one `newly`), a
 * differential check against a plain model over random traffic, announcements (first write wins,
 * exact bytes), the new-epoch budget per device and in total across window rollover, stats,
 * argument checks and close.
 *
 * @example
 * ```ts
 * consumerStateContract('MemoryConsumerState', async ({ windowSize, instances }) => {
 *   const state = new MemoryConsumerState({ windowSize })
 *   return Array.from({ length: instances }, () => state)
 * })
 * ```
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConsumerState, StoredAnnouncement } from '../../../consumer/src/state/index.ts'
import { caught } from '../../helpers/index.ts'

/** What a contract test asks of the implementation under test. */
export interface OpenStates {
  (options: {
    readonly windowSize: number
    readonly instances: number
  }): Promise<readonly ConsumerState[]>
}

/** The plain model the implementations are held to. */
class ModelWindow {
  readonly marked = new Set<number>()
  highest = -1
  readonly size: number
  constructor(size: number) {
    this.size = size
  }
  verdict(seq: number): string {
    if (this.highest < 0 || seq > this.highest) return 'new'
    if (seq <= this.highest - this.size) return 'too-old'
    return this.marked.has(seq) ? 'duplicate' : 'new'
  }
  mark(seq: number): { highest: number; gap: number; newly: boolean } {
    if (this.highest < 0 || seq > this.highest) {
      const gap = this.highest < 0 ? 0 : seq - this.highest - 1
      this.highest = seq
      this.marked.add(seq)
      return { highest: seq, gap, newly: true }
    }
    if (seq <= this.highest - this.size) return { highest: this.highest, gap: 0, newly: false }
    const newly = !this.marked.has(seq)
    this.marked.add(seq)
    return { highest: this.highest, gap: 0, newly }
  }
}

let epochCounter = 0
function announcement(deviceId = 'dev-1', extra: Partial<StoredAnnouncement> = {}) {
  const n = ++epochCounter
  return {
    deviceId,
    epochIdHex: n.toString(16).padStart(16, '0'),
    topic: `sealwire/${deviceId}/keys`,
    bytes: Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + n) & 0xff),
    receivedAt: 1_700_000_000_000 + n,
    ...extra,
  } satisfies StoredAnnouncement
}

/**
 * Registers the contract's tests for one implementation. `open` gives `instances` states that
 * share one fresh, empty storage (one object repeated for an in-process store; separate clients
 * of one Redis namespace for a shared one). The suite closes them after each test.
 */
export function consumerStateContract(name: string, open: OpenStates): void {
  const opened: ConsumerState[] = []
  const states = async (windowSize = 64, instances = 1): Promise<readonly ConsumerState[]> => {
    const list = await open({ windowSize, instances })
    opened.push(...list)
    return list
  }
  const one = async (windowSize = 64): Promise<ConsumerState> => (await states(windowSize))[0]!

  afterEach(async () => {
    while (opened.length > 0) await opened.pop()!.close()
  })

  describe(`ConsumerState contract: ${name}`, () => {
    describe('replay window', () => {
      it('a number never marked is new; once marked it is a duplicate', async () => {
        const s = await one()
        expect(await s.seen('dev-1', 5)).toBe('new')
        expect(await s.markDelivered('dev-1', 5)).toEqual({ highest: 5, gap: 0, newly: true })
        expect(await s.seen('dev-1', 5)).toBe('duplicate')
        expect(await s.seen('dev-1', 6)).toBe('new')
        expect(await s.seen('dev-1', 4)).toBe('new')
      })

      it('seen changes nothing', async () => {
        const s = await one()
        for (let i = 0; i < 3; i++) expect(await s.seen('dev-1', 9)).toBe('new')
        expect((await s.markDelivered('dev-1', 9)).newly).toBe(true)
      })

      it('numbers at or below highest - windowSize are too-old, and marking one changes nothing', async () => {
        const s = await one(64)
        await s.markDelivered('dev-1', 1000)
        expect(await s.seen('dev-1', 1000 - 64)).toBe('too-old')
        expect(await s.seen('dev-1', 0)).toBe('too-old')
        expect(await s.seen('dev-1', 1000 - 63)).toBe('new')
        expect(await s.markDelivered('dev-1', 900)).toEqual({ highest: 1000, gap: 0, newly: false })
        expect(await s.seen('dev-1', 900)).toBe('too-old')
      })

      it('out-of-order numbers inside the window are new once, then duplicates', async () => {
        const s = await one(64)
        for (const seq of [10, 14, 12]) await s.markDelivered('dev-1', seq)
        expect(await s.seen('dev-1', 11)).toBe('new')
        expect(await s.seen('dev-1', 13)).toBe('new')
        expect(await s.seen('dev-1', 12)).toBe('duplicate')
        expect(await s.markDelivered('dev-1', 11)).toEqual({ highest: 14, gap: 0, newly: true })
        expect(await s.markDelivered('dev-1', 11)).toEqual({ highest: 14, gap: 0, newly: false })
        expect(await s.seen('dev-1', 11)).toBe('duplicate')
      })

      it('reports the numbers a mark skips over; the first mark of a device reports none', async () => {
        const s = await one(64)
        expect((await s.markDelivered('dev-1', 100)).gap).toBe(0)
        expect((await s.markDelivered('dev-1', 101)).gap).toBe(0)
        expect(await s.markDelivered('dev-1', 105)).toEqual({ highest: 105, gap: 3, newly: true })
        expect((await s.markDelivered('dev-1', 103)).gap).toBe(0)
        expect(await s.markDelivered('dev-1', 1105)).toEqual({
          highest: 1105,
          gap: 999,
          newly: true,
        })
      })

      it('a jump of a window or more forgets every older mark', async () => {
        const s = await one(64)
        for (let seq = 0; seq < 64; seq++) await s.markDelivered('dev-1', seq)
        await s.markDelivered('dev-1', 63 + 64)
        for (const seq of [64, 65, 100, 126]) expect(await s.seen('dev-1', seq)).toBe('new')
        expect(await s.seen('dev-1', 63)).toBe('too-old')
        expect(await s.seen('dev-1', 127)).toBe('duplicate')
      })

      it('a jump smaller than the window clears exactly the numbers that enter it (wrap-around)', async () => {
        const s = await one(20)
        for (let seq = 0; seq < 20; seq++) await s.markDelivered('dev-1', seq)
        await s.markDelivered('dev-1', 33) // 20 … 33 enter; positions wrap past 19
        for (let seq = 14; seq <= 19; seq++) expect(await s.seen('dev-1', seq)).toBe('duplicate')
        for (let seq = 20; seq <= 32; seq++) expect(await s.seen('dev-1', seq)).toBe('new')
        expect(await s.seen('dev-1', 13)).toBe('too-old')
      })

      it('keeps devices apart', async () => {
        const s = await one()
        await s.markDelivered('dev-1', 7)
        expect(await s.seen('dev-2', 7)).toBe('new')
        expect((await s.markDelivered('dev-2', 7)).newly).toBe(true)
      })

      it('handles sequence numbers up to 2^53 - 1 exactly', async () => {
        const s = await one(64)
        const top = Number.MAX_SAFE_INTEGER
        expect(await s.markDelivered('dev-1', top - 10)).toEqual({
          highest: top - 10,
          gap: 0,
          newly: true,
        })
        expect(await s.markDelivered('dev-1', top)).toEqual({ highest: top, gap: 9, newly: true })
        expect(await s.seen('dev-1', top - 10)).toBe('duplicate')
        expect(await s.seen('dev-1', top - 9)).toBe('new')
        expect(await s.seen('dev-1', top - 64)).toBe('too-old')
        expect(await s.seen('dev-1', top - 63)).toBe('new')
      })

      it('matches the plain model over random traffic (window 20 and 64)', async () => {
        for (const size of [20, 64]) {
          await fc.assert(
            fc.asyncProperty(
              fc.array(
                fc.record({
                  op: fc.constantFrom('seen', 'mark'),
                  step: fc.integer({ min: -90, max: 90 }),
                }),
                { minLength: 1, maxLength: 60 },
              ),
              async (ops) => {
                const [s] = await open({ windowSize: size, instances: 1 })
                try {
                  const model = new ModelWindow(size)
                  let at = 1000
                  for (const { op, step } of ops) {
                    at = Math.max(0, at + step)
                    if (op === 'seen') expect(await s!.seen('dev-p', at)).toBe(model.verdict(at))
                    else expect(await s!.markDelivered('dev-p', at)).toEqual(model.mark(at))
                  }
                } finally {
                  await s!.close()
                }
              },
            ),
            { numRuns: 40 },
          )
        }
      })
    })

    describe('two instances sharing the state', () => {
      it('see each other’s marks', async () => {
        const [a, b] = await states(64, 2)
        await a!.markDelivered('dev-1', 3)
        expect(await b!.seen('dev-1', 3)).toBe('duplicate')
        expect(await b!.markDelivered('dev-1', 3)).toEqual({ highest: 3, gap: 0, newly: false })
      })

      it('racing marks of the same numbers: exactly one newly for each number', async () => {
        const [a, b] = await states(4096, 2)
        const seqs = Array.from({ length: 300 }, (_, i) => 10_000 + ((i * 37) % 300))
        const results = await Promise.all(
          seqs.flatMap((seq) => [
            a!.markDelivered('dev-race', seq).then((r) => [seq, r.newly] as const),
            b!.markDelivered('dev-race', seq).then((r) => [seq, r.newly] as const),
          ]),
        )
        const newly = new Map<number, number>()
        for (const [seq, n] of results) newly.set(seq, (newly.get(seq) ?? 0) + (n ? 1 : 0))
        expect(newly.size).toBe(300)
        for (const count of newly.values()) expect(count).toBe(1)
        expect(await a!.seen('dev-race', 10_000)).toBe('duplicate')
      })

      it('both saw new, both marked: one newly, the other counts a duplicate', async () => {
        const [a, b] = await states(64, 2)
        expect([await a!.seen('dev-1', 8), await b!.seen('dev-1', 8)]).toEqual(['new', 'new'])
        const marks = await Promise.all([
          a!.markDelivered('dev-1', 8),
          b!.markDelivered('dev-1', 8),
        ])
        expect(marks.map((m) => m.newly).sort()).toEqual([false, true])
      })
    })

    describe('announcements', () => {
      it('get returns what was put, bytes exact; unknown → undefined', async () => {
        const s = await one()
        const a = announcement('dev-1', {
          bytes: Uint8Array.from({ length: 256 }, (_, i) => i),
          topic: 'sealwire/dev-1/keys/ü',
        })
        expect(await s.putAnnouncement(a)).toBe(true)
        expect(await s.getAnnouncement('dev-1', a.epochIdHex)).toEqual(a)
        expect(await s.getAnnouncement('dev-1', 'ffffffffffffffff')).toBeUndefined()
        expect(await s.getAnnouncement('dev-2', a.epochIdHex)).toBeUndefined()
      })

      it('the first put for a (device, epoch) wins', async () => {
        const s = await one()
        const first = announcement('dev-1')
        const second = { ...first, bytes: Uint8Array.of(1, 2, 3), receivedAt: first.receivedAt + 5 }
        expect(await s.putAnnouncement(first)).toBe(true)
        expect(await s.putAnnouncement(second)).toBe(false)
        expect(await s.getAnnouncement('dev-1', first.epochIdHex)).toEqual(first)
      })

      it('racing puts from two instances: exactly one stores', async () => {
        const [a, b] = await states(64, 2)
        const x = announcement('dev-1')
        const y = { ...x, bytes: Uint8Array.of(9) }
        const stored = await Promise.all([a!.putAnnouncement(x), b!.putAnnouncement(y)])
        expect(stored.sort()).toEqual([false, true])
        const got = await b!.getAnnouncement('dev-1', x.epochIdHex)
        expect([x.bytes, y.bytes]).toContainEqual(got!.bytes)
      })

      it('what get returns is a copy: changing it changes nothing stored', async () => {
        const s = await one()
        const a = announcement('dev-1')
        const put = { ...a, bytes: Uint8Array.from(a.bytes) }
        await s.putAnnouncement(put)
        put.bytes.fill(0)
        const got = await s.getAnnouncement('dev-1', a.epochIdHex)
        ;(got!.bytes as Uint8Array).fill(0)
        expect((await s.getAnnouncement('dev-1', a.epochIdHex))!.bytes).toEqual(a.bytes)
      })

      it('an empty announcement body and a large one (64 KiB) both survive', async () => {
        const s = await one()
        const empty = announcement('dev-1', { bytes: new Uint8Array(0) })
        const large = announcement('dev-1', {
          bytes: Uint8Array.from({ length: 65536 }, (_, i) => (i * 31) & 0xff),
        })
        await s.putAnnouncement(empty)
        await s.putAnnouncement(large)
        const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0
        expect(same((await s.getAnnouncement('dev-1', empty.epochIdHex))!.bytes, empty.bytes)).toBe(
          true,
        )
        const got = (await s.getAnnouncement('dev-1', large.epochIdHex))!.bytes
        expect(got).toBeInstanceOf(Uint8Array)
        expect(got.length).toBe(65536)
        expect(same(got, large.bytes)).toBe(true)
      })
    })

    describe('new-epoch budget', () => {
      it('counts per device and in total within one window', async () => {
        const s = await one()
        const w = 60_000
        const t = 1_700_000_040_000 // window [1_700_000_040_000, +60 s)
        expect(await s.countNewEpoch('dev-a', t, w)).toEqual({ device: 1, total: 1 })
        expect(await s.countNewEpoch('dev-a', t + 10, w)).toEqual({ device: 2, total: 2 })
        expect(await s.countNewEpoch('dev-b', t + 59_999, w)).toEqual({ device: 1, total: 3 })
      })

      it('starts again at the next window boundary (windows aligned to multiples of windowMs)', async () => {
        const s = await one()
        const w = 1000
        await s.countNewEpoch('dev-a', 5_500, w)
        await s.countNewEpoch('dev-a', 5_999, w)
        expect(await s.countNewEpoch('dev-a', 6_000, w)).toEqual({ device: 1, total: 1 })
        expect(await s.countNewEpoch('dev-b', 6_999, w)).toEqual({ device: 1, total: 2 })
        expect(await s.countNewEpoch('dev-a', 9_000, w)).toEqual({ device: 1, total: 1 })
      })

      it('windows of different lengths count apart', async () => {
        const s = await one()
        await s.countNewEpoch('dev-a', 5_000, 1000)
        expect(await s.countNewEpoch('dev-a', 5_000, 60_000)).toEqual({ device: 1, total: 1 })
      })

      it('two instances count into one budget', async () => {
        const [a, b] = await states(64, 2)
        const counts = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? a! : b!).countNewEpoch('dev-a', 10_000, 60_000),
          ),
        )
        expect(counts.map((c) => c.device).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        )
        expect(await a!.countNewEpoch('dev-b', 10_000, 60_000)).toEqual({ device: 1, total: 21 })
      })
    })

    describe('stats and lifecycle', () => {
      it('stats counts devices with a replay window and stored announcements', async () => {
        const s = await one()
        expect(await s.stats()).toEqual({ devices: 0, announcements: 0 })
        await s.markDelivered('dev-1', 1)
        await s.markDelivered('dev-1', 2)
        await s.markDelivered('dev-2', 1)
        await s.seen('dev-3', 1) // looking is not holding
        await s.putAnnouncement(announcement('dev-1'))
        await s.putAnnouncement(announcement('dev-1'))
        await s.putAnnouncement(announcement('dev-9'))
        expect(await s.stats()).toEqual({ devices: 2, announcements: 3 })
      })

      it('has a description', async () => {
        const s = await one()
        expect(typeof s.description).toBe('string')
        expect(s.description.length).toBeGreaterThan(0)
      })

      it('refuses calls after close (ERR_STATE_CLOSED); close twice is fine', async () => {
        const s = await one()
        await s.close()
        await s.close()
        const err = await caught(s.seen('dev-1', 1))
        expect(err.code).toBe('ERR_STATE_CLOSED')
        expect(err.message).toBe('the consumer state is closed')
      })

      it('rejects caller bugs with TypeError / RangeError', async () => {
        const s = await one()
        for (const seq of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) {
          const err = await caught(s.seen('dev-1', seq))
          expect(err).toBeInstanceOf(RangeError)
          expect(err.message).toMatch(/^seq: expected a safe integer ≥ 0/)
        }
        expect(await caught(s.markDelivered('', 1))).toBeInstanceOf(TypeError)
        expect(await caught(s.getAnnouncement('dev-1', 'ABCDEF0123456789'))).toBeInstanceOf(
          RangeError,
        )
        expect(await caught(s.countNewEpoch('dev-1', 1, 0))).toBeInstanceOf(RangeError)
        expect(
          await caught(s.putAnnouncement({ ...announcement(), epochIdHex: 'xyz' })),
        ).toBeInstanceOf(RangeError)
      })
    })
  })
}
