/**
 * The pipeline's small parts: the keyed queue (per-key order, keys in parallel, a failure does not
 * stop the queue), the parking lot (by epoch, bounded in count and time, expired ones reported),
 * group commit (concurrent writes in one sink write, limits, a record the sink refuses isolated
 * to its message), and the reason table.
 */
import { describe, expect, it } from 'vitest'
import {
  DecryptionFailedError,
  EnvelopeMalformedError,
  EpochUnknownError,
  UnwrapUnavailableError,
} from '../../../envelope/src/index.ts'
import { EpochBudgetError, SinkUnavailableError } from '../../../consumer/src/errors.ts'
import { GroupCommit } from '../../../consumer/src/pipeline/group_commit.ts'
import { KeyedQueue } from '../../../consumer/src/pipeline/keyed_queue.ts'
import { ParkingLot } from '../../../consumer/src/pipeline/parking_lot.ts'
import type { Parked } from '../../../consumer/src/pipeline/parking_lot.ts'
import { undeliverableOf } from '../../../consumer/src/pipeline/reasons.ts'
import type { OutputRecord, Sink, SinkWriteResult } from '../../../consumer/src/sinks/sink.ts'
import { ManualClock } from '../../../platform/src/index.ts'

const later = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('KeyedQueue', () => {
  it('runs tasks of one key in order, keys in parallel, and goes on after a failure', async () => {
    const q = new KeyedQueue()
    const log: string[] = []
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`)
        await later(ms)
        log.push(`end ${name}`)
        if (fail) throw new Error(name)
        return name
      }
    const a1 = q.run('a', task('a1', 20, true))
    const a2 = q.run('a', task('a2', 1))
    const b1 = q.run('b', task('b1', 1))
    await expect(a1).rejects.toThrow('a1')
    expect(await a2).toBe('a2')
    expect(await b1).toBe('b1')
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'))
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'))
    await later(1)
    expect(q.size).toBe(0)
  })

  it('lets a caller take an idle key without a task, and queues run() behind it until leave()', async () => {
    const q = new KeyedQueue()
    const log: string[] = []
    expect(q.tryEnter('a')).toBe(true)
    expect(q.tryEnter('a')).toBe(false) // busy: the caller's own turn
    const a2 = q.run('a', async () => (log.push('a2'), 'a2'))
    const b1 = q.run('b', async () => (log.push('b1'), 'b1'))
    await later(5)
    expect(log).toEqual(['b1']) // a2 waits for the caller holding 'a'
    expect(q.size).toBe(1)
    q.leave('a')
    expect(await a2).toBe('a2')
    expect(await b1).toBe('b1')
    await later(1)
    expect(q.size).toBe(0)
    expect(q.tryEnter('a')).toBe(true)
    q.leave('a')
    expect(q.size).toBe(0)
    q.leave('never-entered') // no effect
    expect(q.size).toBe(0)
  })

  it('enter() starts at once on an idle key, else in turn after what was queued before it', async () => {
    const q = new KeyedQueue()
    const log: string[] = []
    q.enter('a', () => log.push('e1'))
    expect(log).toEqual(['e1']) // idle: at once
    const r = q.run('a', async () => void log.push('r2'))
    q.enter('a', () => {
      log.push('e3')
      setTimeout(() => q.leave('a'), 1)
    })
    await later(5)
    expect(log).toEqual(['e1']) // e1 still holds the key
    q.leave('a')
    await r
    await later(5)
    expect(log).toEqual(['e1', 'r2', 'e3'])
    expect(q.size).toBe(0)
  })

  it('turns a task that throws synchronously into a rejection, and goes on', async () => {
    const q = new KeyedQueue()
    const bad = q.run('a', () => {
      throw new Error('sync')
    })
    const next = q.run('a', async () => 'next')
    await expect(bad).rejects.toThrow('sync')
    expect(await next).toBe('next')
  })
})

function parked(device: string, epoch: string, n: number): Parked {
  return {
    deviceId: device,
    epochIdHex: epoch,
    letterId: `l${n}`,
    topic: `p/${device}/data`,
    bytes: new Uint8Array([n]),
    receivedAt: n,
  }
}

describe('ParkingLot', () => {
  it('gives back what waits for an epoch, oldest first, and lets out the old and the overflow', () => {
    const clock = new ManualClock()
    const expired: [string[], string][] = []
    const lot = new ParkingLot({
      maxMessages: 3,
      maxAgeMs: 1000,
      clock,
      sweepMs: 1_000_000,
      onExpired: (p, why) => expired.push([p.map((x) => x.letterId), why]),
    })
    lot.park(parked('d1', 'e1', 1))
    lot.park(parked('d1', 'e1', 2))
    lot.park(parked('d2', 'e1', 3))
    expect(lot.take('d1', 'e1').map((p) => p.letterId)).toEqual(['l1', 'l2'])
    expect(lot.take('d1', 'e1')).toEqual([])
    clock.advance(500)
    lot.park(parked('d1', 'e2', 4))
    lot.park(parked('d1', 'e2', 5))
    lot.park(parked('d1', 'e2', 6)) // the fourth: the oldest (l3) leaves
    expect(expired).toEqual([[['l3'], 'full']])
    expect(lot.size).toBe(3)
    clock.advance(999)
    lot.sweep()
    expect(lot.size).toBe(3)
    clock.advance(1)
    lot.sweep()
    expect(expired.at(-1)).toEqual([['l4', 'l5', 'l6'], 'timeout'])
    expect(lot.size).toBe(0)
    lot.close()
  })

  it('parks nothing when parking is off', () => {
    const expired: string[] = []
    const lot = new ParkingLot({
      maxMessages: 0,
      maxAgeMs: 1000,
      onExpired: (p) => expired.push(...p.map((x) => x.letterId)),
    })
    expect(lot.park(parked('d', 'e', 1))).toBe(false)
    expect(expired).toEqual(['l1'])
    lot.close()
  })
})

function rec(device: string, seq: number, index = 0): OutputRecord {
  return {
    deviceId: device,
    seq,
    index,
    stream: 's',
    time: 1,
    clock: 0,
    value: seq,
    epochId: '00'.repeat(8),
    receivedAt: 2,
  }
}

class SlowSink implements Sink {
  readonly description = 'slow'
  readonly batches: number[] = []
  rejectSeq: number | undefined
  async write(records: readonly OutputRecord[]): Promise<SinkWriteResult> {
    this.batches.push(records.length)
    await later(10)
    if (records.some((r) => r.seq === this.rejectSeq)) {
      throw Object.assign(new Error('NUL'), { code: 'ERR_SINK_RECORD_REJECTED' })
    }
    return { inserted: records.length, duplicates: 0 }
  }
  async close(): Promise<void> {}
}

describe('GroupCommit', () => {
  it('writes what is queued while a batch is in flight as one batch, within maxRecords', async () => {
    const sink = new SlowSink()
    const sizes: number[] = []
    const gc = new GroupCommit(sink, {
      maxRecords: 5,
      maxBatches: 1,
      onBatch: (_r, n) => sizes.push(n),
    })
    await Promise.all(Array.from({ length: 12 }, (_, i) => gc.write([rec('d', i)])))
    expect(sink.batches).toEqual([1, 5, 5, 1])
    expect(sizes).toEqual([1, 5, 5, 1])
  })

  it('refuses only the message holding a record the sink can never store', async () => {
    const sink = new SlowSink()
    sink.rejectSeq = 3
    const gc = new GroupCommit(sink, { maxRecords: 100, maxBatches: 1 })
    const first = gc.write([rec('d', 0)])
    const rest = [1, 2, 3, 4].map((i) => gc.write([rec('d', i)]))
    await first
    const results = await Promise.allSettled(rest)
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ])
  })
})

describe('undeliverableOf', () => {
  it('maps every error of the open path to its reason, and nothing else', () => {
    expect(undeliverableOf(new EnvelopeMalformedError('truncated head'))?.reason).toBe('malformed')
    expect(undeliverableOf(new DecryptionFailedError())).toEqual({
      reason: 'decryption-failed',
      detail: 'ERR_DECRYPTION_FAILED: decryption failed',
    })
    expect(undeliverableOf(new EpochUnknownError('00'.repeat(8)))?.reason).toBe('epoch-unknown')
    expect(
      undeliverableOf(new UnwrapUnavailableError(new Error('KMS Decrypt failed after 5 attempts'))),
    ).toMatchObject({
      reason: 'kms-unavailable',
      detail: expect.stringMatching(
        /^ERR_UNWRAP_UNAVAILABLE: .*KMS Decrypt failed after 5 attempts$/,
      ),
    })
    expect(
      undeliverableOf(
        new EpochBudgetError('d', { device: 3, total: 3 }, { perDevice: 2, total: 9, windowMs: 1 }),
      )?.reason,
    ).toBe('epoch-budget')
    expect(undeliverableOf(new SinkUnavailableError(10, new Error('down')))?.reason).toBe(
      'sink-failed',
    )
    expect(undeliverableOf(new Error('a bug'))).toBeUndefined()
    expect(undeliverableOf('text')).toBeUndefined()
    expect(
      undeliverableOf(Object.assign(new Error('x\ny'), { code: 'ERR_ENVELOPE_INVALID' }))?.detail,
    ).toBe('ERR_ENVELOPE_INVALID: x\\ny')
  })
})
