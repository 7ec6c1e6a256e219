import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { metricValue, procStatusBytes } from '../../bench/src/agent_rss.ts'
import { createContext } from '../../bench/src/bench_context.ts'
import { benchReading, SEALED_MESSAGE_BYTES } from '../../bench/src/mqtt_trials.ts'
import {
  OUTBOX_ITEM_BYTES,
  outboxKey,
  outboxTrials,
  sealedPool,
} from '../../bench/src/outbox_trials.ts'
import { encodeRecords } from '../../envelope/src/index.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

describe('bench agent rows', () => {
  const ctx = createContext()

  it('reads VmRSS and VmHWM from /proc/<pid>/status text', () => {
    const status = 'Name:\tnode\nVmHWM:\t  150000 kB\nVmRSS:\t   90000 kB\nThreads:\t7\n'
    expect(procStatusBytes(status, 'VmHWM')).toBe(150_000 * 1024)
    expect(procStatusBytes(status, 'VmRSS')).toBe(90_000 * 1024)
    expect(procStatusBytes('Name:\tnode\n', 'VmHWM')).toBeUndefined()
  })

  it('sums a Prometheus counter over its label sets, or one label set', () => {
    const text = [
      '# HELP sealwire_agent_messages_sealed_total Messages sealed, by kind.',
      '# TYPE sealwire_agent_messages_sealed_total counter',
      'sealwire_agent_messages_sealed_total{kind="data",device="d"} 1000',
      'sealwire_agent_messages_sealed_total{kind="announcement",device="d"} 2',
      'sealwire_agent_messages_sealed_total_other{kind="data"} 5',
      'sealwire_agent_messages_acknowledged_total{device="d"} 1002',
    ].join('\n')
    expect(metricValue(text, 'sealwire_agent_messages_sealed_total')).toBe(1002)
    expect(metricValue(text, 'sealwire_agent_messages_sealed_total', 'kind="data"')).toBe(1000)
    expect(metricValue(text, 'sealwire_agent_messages_acknowledged_total')).toBe(1002)
    expect(metricValue(text, 'sealwire_agent_nothing_total')).toBe(0)
  })

  it('uses a reading whose one-record message seals to 300 bytes', () => {
    const reading = benchReading()
    const record = { ...reading, time: Date.now(), clock: 0 as const }
    // compact form at a 2-byte Partial IV: 40 bytes over the record array
    expect(encodeRecords([record]).length + 40).toBe(SEALED_MESSAGE_BYTES)
  })

  it('seals a pool of 300-byte compact messages and a full-form announcement', () => {
    const { announcement, epochId, pool } = sealedPool(ctx.spkiDer)
    expect(pool.every((b) => b.length === OUTBOX_ITEM_BYTES)).toBe(true)
    expect(new Set(pool.map((b) => Buffer.from(b).toString('hex'))).size).toBe(pool.length)
    expect(epochId).toHaveLength(8)
    expect(announcement[0]).toBe(0xd8) // tag 96, COSE_Encrypt
  })

  it('runs the outbox and bare-insert trials at both durabilities', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealwire-bench-test-'))
    dirs.push(dir)
    const trials = await outboxTrials(ctx.spkiDer, dir)
    try {
      expect([...trials.failed]).toEqual([])
      expect(trials.timed.map((t) => t.key)).toEqual([
        outboxKey('outbox', 'full'),
        outboxKey('bare', 'full'),
        outboxKey('outbox', 'normal'),
        outboxKey('bare', 'normal'),
      ])
      for (const t of trials.timed) {
        if (t.step.kind !== 'trial') throw new Error('expected a trial step')
        expect(await t.step.run(30)).toBeGreaterThan(0)
      }
      // 1,000 concurrent callers fill the group commit's 256-item batches.
      expect(trials.meanBatch('normal')).toBeGreaterThan(100)
    } finally {
      await trials.close()
    }
  })
})
