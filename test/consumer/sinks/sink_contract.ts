/**
 * The contract every {@link Sink} must pass (`consumer/src/sinks/README.md` states it): exactly
 * the OutputRecord fields stored, idempotent rewrites with duplicates counted (within a batch,
 * across batches, concurrently, and across a reopen where the sink promises it), a batch of
 * 1,000, values that round-trip (nested JSON, unicode, floats, the extremes of every number), a
 * failure that rejects with nothing of the batch stored, close, and caller bugs.
 *
 * @example
 * ```ts
 * sinkContract('JsonlSink (file)', async () => {
 *   const path = join(await tempDir(), 'out.jsonl')
 *   return { open: () => JsonlSink.open(path), stored: () => readJsonl(path), survivesReopen: true }
 * })
 * ```
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OutputRecord, Sink } from '../../../consumer/src/sinks/index.ts'
import { caught } from '../../helpers/index.ts'

/** One storage for one test. */
export interface SinkUnderTest {
  /** A sink over this storage; called again in a test, it is a restart over the same storage. */
  open(): Promise<Sink>
  /** Everything stored, any order, as OutputRecords with exactly their fields. */
  stored(): Promise<OutputRecord[]>
  /** Makes the storage fail, so the sink's next write must reject (with `traits.breakable`). */
  readonly breakIt?: (sink: Sink) => Promise<void>
  /** After `breakIt`: the storage works again (what was stored before it is still there). */
  readonly repair?: () => Promise<void>
}

/** What the implementation promises beyond the core (a test it cannot run is skipped, visibly). */
export interface SinkTraits {
  /** A reopened sink still drops what an earlier one wrote (not stdout: nothing to read back). */
  readonly survivesReopen: boolean
  /** The test can make the storage fail (`breakIt`). */
  readonly breakable: boolean
}

/** A record with every field set from `n`. */
export function record(n: number, extra: Partial<OutputRecord> = {}): OutputRecord {
  return {
    deviceId: `dev-${n % 7}`,
    seq: 1000 + Math.floor(n / 3),
    index: n % 3,
    stream: `s${n % 5}`,
    time: 1_700_000_000_000 + n,
    clock: (n % 2) as 0 | 1,
    value: { n, v: n / 4, tags: ['a', n] },
    epochId: (0xabc000 + (n % 4)).toString(16).padStart(16, '0'),
    receivedAt: 1_700_000_100_000 + n,
    ...extra,
  }
}

const byKey = (a: OutputRecord, b: OutputRecord) =>
  a.deviceId.localeCompare(b.deviceId) || a.seq - b.seq || a.index - b.index

/** Plain objects with exactly the OutputRecord fields, sorted by key. */
function plain(records: readonly OutputRecord[]): OutputRecord[] {
  return records
    .map((r) => ({
      deviceId: r.deviceId,
      seq: r.seq,
      index: r.index,
      stream: r.stream,
      time: r.time,
      clock: r.clock,
      value: r.value,
      epochId: r.epochId,
      receivedAt: r.receivedAt,
    }))
    .sort(byKey)
}

/** Values that must come back equal. */
const ROUND_TRIP_VALUES: readonly OutputRecord['value'][] = [
  0,
  -1,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  0.1,
  -2.5e-300,
  1.7976931348623157e308,
  5e-324,
  123456.789e10,
  1 / 3,
  true,
  false,
  null,
  '',
  'ascii',
  'ünïcødé 温度 🌡️ ‮rtl‬ e\u0301',
  'quotes " and \\ backslashes \\u0000 (text, not NUL) \n\t\r newlines',
  '\ud83d\ude00 surrogate pair',
  [],
  {},
  [1, [2, [3, [4, { deep: [5, { deeper: 'x' }] }]]]],
  { a: 1, nested: { list: [1.5, 'two', null, false], empty: {} }, 'key with spaces': 'v', ü: 'ü' },
]

/**
 * Registers the contract's tests for one sink; `fresh` gives one new, empty storage per test.
 */
export function sinkContract(
  name: string,
  fresh: () => Promise<SinkUnderTest>,
  traits: SinkTraits,
): void {
  const opened: Sink[] = []
  const openOn = async (t: SinkUnderTest): Promise<Sink> => {
    const sink = await t.open()
    opened.push(sink)
    return sink
  }
  const setup = async () => {
    const t = await fresh()
    return { t, sink: await openOn(t) }
  }

  afterEach(async () => {
    while (opened.length > 0) await opened.pop()!.close()
  })

  describe(`Sink contract: ${name}`, () => {
    it('stores exactly the records written, with exactly the OutputRecord fields', async () => {
      const { t, sink } = await setup()
      const records = [0, 1, 2, 3, 4].map((n) => record(n))
      expect(await sink.write(records)).toEqual({ inserted: 5, duplicates: 0 })
      const stored = await t.stored()
      for (const r of stored) {
        expect(Object.keys(r).sort()).toEqual([
          'clock',
          'deviceId',
          'epochId',
          'index',
          'receivedAt',
          'seq',
          'stream',
          'time',
          'value',
        ])
      }
      expect(plain(stored)).toEqual(plain(records))
    })

    it('stores only the OutputRecord fields of a record that carries more', async () => {
      const { t, sink } = await setup()
      await sink.write([{ ...record(1), extra: 'dropped' } as OutputRecord])
      expect(Object.keys((await t.stored())[0]!)).not.toContain('extra')
    })

    it('an empty batch stores nothing and reports nothing', async () => {
      const { t, sink } = await setup()
      expect(await sink.write([])).toEqual({ inserted: 0, duplicates: 0 })
      expect(await t.stored()).toEqual([])
    })

    it('writing the same records again stores them once and counts duplicates', async () => {
      const { t, sink } = await setup()
      const records = [0, 1, 2].map((n) => record(n))
      await sink.write(records)
      expect(await sink.write(records)).toEqual({ inserted: 0, duplicates: 3 })
      expect(await sink.write([record(2), record(3)])).toEqual({ inserted: 1, duplicates: 1 })
      expect(plain(await t.stored())).toEqual(plain([0, 1, 2, 3].map((n) => record(n))))
    })

    it('idempotency is by (device, seq, index) only: a rewrite with other fields is a duplicate', async () => {
      const { t, sink } = await setup()
      await sink.write([record(1)])
      expect(await sink.write([record(1, { value: 'changed', stream: 'other' })])).toEqual({
        inserted: 0,
        duplicates: 1,
      })
      expect(plain(await t.stored())).toEqual(plain([record(1)]))
    })

    it('the same key twice in one batch is stored once, one duplicate', async () => {
      const { t, sink } = await setup()
      expect(await sink.write([record(1), record(2), record(1)])).toEqual({
        inserted: 2,
        duplicates: 1,
      })
      expect(await t.stored()).toHaveLength(2)
    })

    it('keys differ by device, by seq and by index', async () => {
      const { t, sink } = await setup()
      const base = record(0)
      const records = [
        base,
        { ...base, deviceId: 'other' },
        { ...base, seq: base.seq + 1 },
        { ...base, index: base.index + 1 },
      ]
      expect(await sink.write(records)).toEqual({ inserted: 4, duplicates: 0 })
      expect(await t.stored()).toHaveLength(4)
    })

    it('a batch of 1,000 records in one write', async () => {
      const { t, sink } = await setup()
      const records = Array.from({ length: 1000 }, (_, n) => record(n))
      expect(await sink.write(records)).toEqual({ inserted: 1000, duplicates: 0 })
      expect(await sink.write(records)).toEqual({ inserted: 0, duplicates: 1000 })
      expect(plain(await t.stored())).toEqual(plain(records))
    })

    it('concurrent overlapping writes store each record once; the counts add up', async () => {
      const { t, sink } = await setup()
      const batches = Array.from({ length: 10 }, (_, b) =>
        Array.from({ length: 50 }, (_, i) => record(b * 25 + i)),
      ) // 10 × 50, overlapping by 25: 275 distinct
      const results = await Promise.all(batches.map((batch) => sink.write(batch)))
      const inserted = results.reduce((sum, r) => sum + r.inserted, 0)
      const duplicates = results.reduce((sum, r) => sum + r.duplicates, 0)
      expect(inserted).toBe(275)
      expect(duplicates).toBe(500 - 275)
      expect(await t.stored()).toHaveLength(275)
    })

    it('values, strings and numbers round-trip exactly (nested JSON, unicode, floats, extremes)', async () => {
      const { t, sink } = await setup()
      const records = ROUND_TRIP_VALUES.map((value, n) =>
        record(n, {
          value,
          stream: n % 2 ? 'températüre/°C ✓' : 's',
          deviceId: 'dev-round',
          seq: Number.MAX_SAFE_INTEGER - n,
          time: n === 0 ? Number.MAX_SAFE_INTEGER : n,
          receivedAt: n === 1 ? Number.MAX_SAFE_INTEGER : 0,
        }),
      )
      await sink.write(records)
      expect(plain(await t.stored())).toEqual(plain(records))
    })

    it.runIf(traits.survivesReopen)(
      'a reopened sink still drops what the earlier one wrote',
      async () => {
        const t = await fresh()
        const first = await openOn(t)
        await first.write([0, 1, 2].map((n) => record(n)))
        await first.close()
        const second = await openOn(t)
        expect(await second.write([1, 2, 3].map((n) => record(n)))).toEqual({
          inserted: 1,
          duplicates: 2,
        })
        expect(await t.stored()).toHaveLength(4)
      },
    )

    it.runIf(traits.breakable)(
      'a failing storage rejects the write with a coded error, and nothing of the batch is stored',
      async () => {
        const t = await fresh()
        const sink = await openOn(t)
        await sink.write([record(0)])
        await t.breakIt!(sink)
        const err = await caught(sink.write([1, 2, 3].map((n) => record(n))))
        expect(err.code).toBe('ERR_SINK_UNAVAILABLE')
        expect(err.message.startsWith(sink.description.split(' ')[0]!)).toBe(true)
        if (t.repair !== undefined) {
          await t.repair()
          expect(plain(await t.stored())).toEqual(plain([record(0)]))
        }
      },
    )

    it('close waits for writes in flight; a write after close rejects with ERR_SINK_CLOSED', async () => {
      const { t, sink } = await setup()
      const pending = sink.write([record(0), record(1)])
      const closing = sink.close()
      expect(await pending).toEqual({ inserted: 2, duplicates: 0 })
      await closing
      await sink.close()
      const err = await caught(sink.write([record(2)]))
      expect(err.code).toBe('ERR_SINK_CLOSED')
      expect(await t.stored()).toHaveLength(2)
    })

    it('rejects a record of the wrong shape as a caller bug, storing nothing of the batch', async () => {
      const { t, sink } = await setup()
      const cases: [Partial<Record<keyof OutputRecord, unknown>>, RegExp][] = [
        [{ deviceId: '' }, /^records\[1\]\.deviceId: expected a non-empty string$/],
        [{ seq: -1 }, /^records\[1\]\.seq: expected an integer from 0 to/],
        [{ seq: 2 ** 53 }, /^records\[1\]\.seq: /],
        [{ index: 1.5 }, /^records\[1\]\.index: /],
        [{ time: NaN }, /^records\[1\]\.time: /],
        [{ clock: 2 }, /^records\[1\]\.clock: expected 0 or 1$/],
        [{ value: undefined }, /^records\[1\]\.value: expected a JSON value$/],
        [{ value: Infinity }, /^records\[1\]\.value: expected a finite number$/],
        [{ epochId: 'ABC' }, /^records\[1\]\.epochId: /],
        [{ receivedAt: -5 }, /^records\[1\]\.receivedAt: /],
      ]
      for (const [bad, message] of cases) {
        const err = await caught(() =>
          sink.write([record(0), { ...record(1), ...bad } as OutputRecord]),
        )
        expect(err).toBeInstanceOf(err.name === 'TypeError' ? TypeError : RangeError)
        expect(err.message).toMatch(message)
      }
      expect(await t.stored()).toEqual([])
    })

    it('describes itself', async () => {
      const { sink } = await setup()
      expect(sink.description).toMatch(/^(jsonl:|postgres(ql)?:\/\/)/)
    })
  })
}
