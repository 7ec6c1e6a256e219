/**
 * Everything that must not be delivered, through kms-local: each kind of bad message is counted
 * under its own reason and kept as a dead letter (bytes, topic, reason, time), none is delivered,
 * and none costs a KMS call it need not. Then `replay`, once the missing announcement has
 * arrived, delivers the parked messages exactly once and keeps the rest with their reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeCbor } from '../../../envelope/src/index.ts'
import type { PipelineSettings } from '../../../consumer/src/pipeline/pipeline.ts'
import { replayDeadLetters } from '../../../consumer/src/replay.ts'
import { MemoryConsumerState } from '../../../consumer/src/state/index.ts'
import type { ConsumerState } from '../../../consumer/src/state/index.ts'
import { KmsSession } from '../../../kms-client/src/index.ts'
import type { Msg, TestKms } from '../_helpers.ts'
import {
  KMS_ENV,
  MemorySink,
  SimDevice,
  startTestKms,
  testCore,
  uniquePrefix,
  until,
} from '../_helpers.ts'

let kms: TestKms

beforeAll(async () => {
  kms = await startTestKms()
})

afterAll(async () => {
  await kms?.close()
})

function setup(
  prefix: string,
  over: Partial<PipelineSettings> = {},
  parts: { state?: ConsumerState; session?: KmsSession; sink?: MemorySink } = {},
) {
  const { core, state, sink, letters, events } = testCore(kms, prefix, {
    ...parts,
    state: parts.state ?? new MemoryConsumerState({ windowSize: 8 }),
    pipeline: over,
  })
  const send = (m: { topic: string; payload: Uint8Array }, at = Date.now()) =>
    core.pipeline.handle({ topic: m.topic, payload: m.payload, receivedAt: at })
  const sendAll = async (msgs: readonly Msg[]) => {
    const out = []
    for (const m of msgs) out.push(await send(m))
    return out
  }
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await core.metrics.registry.metrics()
    const escaped = `${name}${labels}`.replace(/[{}"]/g, (c) => `\\${c}`)
    const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)
    return m === null ? NaN : Number(m[1])
  }
  return { core, state, sink, letters, events, send, sendAll, metric }
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[at < 0 ? out.length + at : at]! ^= 0x01
  return out
}

function replaceSeq(bytes: Uint8Array, find: number[], replace: number[]): Uint8Array {
  for (let i = 0; i + find.length <= bytes.length; i++) {
    if (find.every((b, j) => bytes[i + j] === b)) {
      const out = Uint8Array.from(bytes)
      out.set(replace, i)
      return out
    }
  }
  throw new Error('pattern not found')
}

describe('bad traffic', () => {
  it('counts, dead-letters and never delivers each kind of bad message; replay delivers the parked ones once', async () => {
    const prefix = uniquePrefix()
    const t = setup(prefix, { parking: { maxMessages: 100, maxAgeMs: 300 } })
    const a = new SimDevice('dev-a', prefix, kms.key)
    const b = new SimDevice('dev-b', prefix, kms.key)
    const good = [
      ...Array.from({ length: 30 }, (_, i) => a.seal(a.reading(i))).flat(),
      ...Array.from({ length: 3 }, (_, i) => b.seal(b.reading(i))).flat(),
    ]
    const decryptsBefore = kms.decrypts()
    const goodOutcomes = await t.sendAll(good)
    expect(goodOutcomes.map((o) => o.kind).filter((k) => k !== 'delivered')).toEqual([
      'announcement',
      'announcement',
    ])
    expect(kms.decrypts() - decryptsBefore).toBe(2)
    const delivered = t.sink.rows.size
    expect(delivered).toBe(33)
    const aData = good.filter((m) => m.topic === a.topics.data)
    const aAnnouncement = good.find((m) => m.topic === a.topics.key)!

    // A device whose announcement is withheld: its compact messages park.
    const late = new SimDevice('dev-late', prefix, kms.key)
    const lateMsgs = Array.from({ length: 4 }, (_, i) => late.seal(late.reading(i))).flat()
    const lateAnnouncement = lateMsgs.find((m) => m.topic === late.topics.key)!
    const lateData = lateMsgs.filter((m) => m.topic === late.topics.data)

    // A device sealing to a key this consumer does not serve.
    const stranger = new SimDevice('dev-x', prefix, await kms.otherKey())
    const strangerMsgs = stranger.seal(stranger.reading(1), 'full')

    // A plaintext that is not records, sealed properly.
    const odd = a.sealer.seal(encodeCbor(new Map([[1, 'not records']])), () => ++a.seq, 'compact')
    const fullOfA = a.seal(a.reading(99), 'full')[0]!

    const bad: [string, { topic: string; payload: Uint8Array }][] = [
      ['replayed', aData[25]!],
      ['reordered below the window', aData[2]!],
      ['tampered', { topic: a.topics.data, payload: flip(aData[29]!.payload, -1) }],
      ['tampered sequence number', { topic: a.topics.data, payload: flip(aData[28]!.payload, 19) }],
      ['moved (compact)', { topic: b.topics.data, payload: aData[27]!.payload }],
      ['moved (full)', { topic: b.topics.data, payload: fullOfA.payload }],
      ['moved (announcement)', { topic: b.topics.key, payload: aAnnouncement.payload }],
      ['unknown epoch', lateData[0]!],
      ['unknown epoch', lateData[1]!],
      ['unknown epoch', lateData[2]!],
      ['unknown kid (announcement)', strangerMsgs[0]!],
      ['unknown kid (data)', { topic: stranger.topics.data, payload: strangerMsgs[1]!.payload }],
      [
        'wrong content algorithm',
        {
          topic: a.topics.data,
          payload: replaceSeq(
            aData[20]!.payload,
            [0x43, 0xa1, 0x01, 0x03],
            [0x43, 0xa1, 0x01, 0x01],
          ),
        },
      ],
      [
        'wrong key algorithm',
        {
          topic: a.topics.data,
          payload: replaceSeq(fullOfA.payload, [0x01, 0x38, 0x28, 0x04], [0x01, 0x38, 0x27, 0x04]),
        },
      ],
      ['malformed (junk)', { topic: a.topics.data, payload: new Uint8Array([1, 2, 3, 4, 5]) }],
      [
        'malformed (truncated)',
        { topic: a.topics.data, payload: aData[21]!.payload.subarray(0, 20) },
      ],
      [
        'malformed (compact on the key topic)',
        { topic: a.topics.key, payload: aData[22]!.payload },
      ],
      ['records invalid', { topic: a.topics.data, payload: odd.message.bytes }],
      ['bad topic', { topic: `${prefix}//data`, payload: aData[23]!.payload }],
    ]
    const decryptsBeforeBad = kms.decrypts()
    const outcomes = []
    for (const [label, m] of bad)
      outcomes.push([label, (await t.send(m)).kind, ...Object.values(await t.send(m)).slice(1)])
    // (each sent twice: a second copy of a bad message is bad the same way)
    expect(
      Object.fromEntries(
        outcomes.map(([label, kind, detail]) => [label, `${kind} ${detail ?? ''}`.trim()]),
      ),
    ).toEqual({
      replayed: 'duplicate duplicate',
      'reordered below the window': 'duplicate too-old',
      tampered: 'dead-lettered decryption-failed',
      'tampered sequence number': 'dead-lettered decryption-failed',
      'moved (compact)': 'dead-lettered decryption-failed',
      'moved (full)': 'dead-lettered decryption-failed',
      'moved (announcement)': 'dead-lettered decryption-failed',
      'unknown epoch': `parked ${lateData[2]!.epochId}`,
      'unknown kid (announcement)': 'dead-lettered unknown-kid',
      'unknown kid (data)': 'dead-lettered unknown-kid',
      'wrong content algorithm': 'dead-lettered unsupported-alg',
      'wrong key algorithm': 'dead-lettered unsupported-alg',
      'malformed (junk)': 'dead-lettered malformed',
      'malformed (truncated)': 'dead-lettered malformed',
      'malformed (compact on the key topic)': 'dead-lettered malformed',
      'records invalid': 'dead-lettered records-invalid',
      'bad topic': 'dead-lettered bad-topic',
    })
    // No KMS call for any of them: moved messages are known to belong to another device,
    // unknown kids are refused before KMS.
    expect(kms.decrypts() - decryptsBeforeBad).toBe(0)
    expect(t.sink.rows.size).toBe(delivered)

    // Parked messages wait 300 ms for their announcement, then stay dead-lettered.
    expect(await t.metric('sealwire_consumer_parked_messages')).toBe(6)
    await until(
      async () => (await t.metric('sealwire_consumer_parked_messages')) === 0,
      'park expiry',
    )
    const expected = {
      malformed: 6,
      'unsupported-alg': 4,
      'unknown-kid': 4,
      'decryption-failed': 10,
      'epoch-unknown': 6,
      'epoch-budget': 0,
      'kms-unavailable': 0,
      'records-invalid': 2,
      'sink-failed': 0,
      'bad-topic': 2,
    }
    for (const [reason, n] of Object.entries(expected)) {
      expect(
        await t.metric('sealwire_consumer_dead_letters_total', `{reason="${reason}"}`),
        reason,
      ).toBe(n)
    }
    expect(await t.letters.count()).toEqual(
      Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0)),
    )
    expect(await t.metric('sealwire_consumer_duplicates_total', '{verdict="duplicate"}')).toBe(2)
    expect(await t.metric('sealwire_consumer_duplicates_total', '{verdict="too-old"}')).toBe(2)
    for (const l of t.letters.letters.values()) {
      expect(l.bytes.length).toBeGreaterThan(0)
      expect(l.at).toBeGreaterThan(0)
      expect(l.detail).not.toMatch(/[\n\r]/)
    }
    // The opaque error says nothing about why.
    expect(new Set(t.letters.byReason('decryption-failed').map((l) => l.detail))).toEqual(
      new Set(['ERR_DECRYPTION_FAILED: decryption failed']),
    )

    // The missing announcement arrives; replay delivers the parked messages, once.
    expect((await t.send(lateAnnouncement)).kind).toBe('announcement')
    const first = await replayDeadLetters(t.core.pipeline, t.letters, {
      isAnnouncement: (topic) => topic.endsWith('/key'),
    })
    expect(first.delivered).toBe(3)
    expect(first.duplicates).toBe(3)
    expect(first.kept).toEqual({
      ...Object.fromEntries(
        Object.entries(expected).filter(([r, n]) => n > 0 && r !== 'epoch-unknown'),
      ),
    })
    expect([...t.sink.rows.values()].filter((r) => r.deviceId === 'dev-late')).toHaveLength(3)
    expect(t.letters.byReason('epoch-unknown')).toHaveLength(0)
    const second = await replayDeadLetters(t.core.pipeline, t.letters, {
      isAnnouncement: (topic) => topic.endsWith('/key'),
    })
    expect(second.delivered).toBe(0)
    expect(t.sink.rows.size).toBe(delivered + 3)
    await t.core.stop(1000)
  })

  it('unparks at once when the announcement arrives within the park time', async () => {
    const prefix = uniquePrefix()
    const t = setup(prefix)
    const d = new SimDevice('dev-p', prefix, kms.key)
    const msgs = Array.from({ length: 5 }, (_, i) => d.seal(d.reading(i))).flat()
    const announcement = msgs.shift()!
    expect((await t.sendAll(msgs)).map((o) => o.kind)).toEqual(Array(5).fill('parked'))
    expect(t.letters.letters.size).toBe(5)
    await t.send(announcement)
    await until(() => t.sink.rows.size === 5, 'unparked delivery')
    await until(() => t.letters.letters.size === 0, 'letters removed')
    expect(await t.metric('sealwire_consumer_unparked_total')).toBe(5)
    expect(await t.metric('sealwire_consumer_dead_letters_total', '{reason="epoch-unknown"}')).toBe(
      0,
    )
    await t.core.stop(1000)
  })

  it('dead-letters new epochs beyond the budget, with no KMS call for them', async () => {
    const prefix = uniquePrefix()
    const t = setup(prefix, { epochBudget: { windowMs: 600_000, perDevice: 2, total: 6 } })
    const loop = Array.from({ length: 4 }, () => new SimDevice('dev-loop', prefix, kms.key))
    const before = kms.decrypts()
    // A reboot loop: every boot a new epoch, announced in full form.
    const kinds = []
    for (const boot of loop) {
      boot.seq = 100 * kinds.length
      for (const m of boot.seal(boot.reading(1))) kinds.push((await t.send(m)).kind)
    }
    expect(kinds).toEqual([
      'announcement',
      'delivered',
      'announcement',
      'delivered',
      'dead-lettered',
      'parked',
      'dead-lettered',
      'parked',
    ])
    expect(kms.decrypts() - before).toBe(2)
    // Refused attempts count too (4 so far): two more devices fit in the total, a third not.
    const other = [
      new SimDevice('dev-o1', prefix, kms.key),
      new SimDevice('dev-o2', prefix, kms.key),
      new SimDevice('dev-o3', prefix, kms.key),
    ]
    const more = []
    for (const o of other) more.push((await t.send(o.seal(o.reading(1))[0]!)).kind)
    expect(more).toEqual(['announcement', 'announcement', 'dead-lettered'])
    expect(await t.metric('sealwire_consumer_dead_letters_total', '{reason="epoch-budget"}')).toBe(
      3,
    )
    expect(t.letters.byReason('epoch-budget')[0]!.detail).toMatch(
      /^ERR_EPOCH_BUDGET: new-epoch budget spent: device dev-loop opened 3 new epochs \(limit 2\)/,
    )
    await t.core.stop(1000)
  })

  it('holds a message while the sink fails, delivers it when the sink is back, dead-letters it as sink-failed after the limit', async () => {
    const prefix = uniquePrefix()
    const sink = new MemorySink()
    const t = setup(
      prefix,
      {
        sink: {
          initialMs: 5,
          maxMs: 20,
          deadLetterAfterMs: 300,
          batchMaxRecords: 100,
          batchesInFlight: 1,
        },
      },
      { sink },
    )
    const d = new SimDevice('dev-s', prefix, kms.key)
    const [ann, m1] = d.seal(d.reading(1))
    await t.send(ann!)
    sink.failures = 3
    expect((await t.send(m1!)).kind).toBe('delivered')
    expect(await t.metric('sealwire_consumer_sink_failures_total')).toBe(3)
    sink.down = true
    const [m2] = d.seal(d.reading(2))
    const started = Date.now()
    expect(await t.send(m2!)).toEqual({ kind: 'dead-lettered', reason: 'sink-failed' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(t.letters.byReason('sink-failed')[0]!.detail).toMatch(
      /^ERR_SINK_UNAVAILABLE: the sink failed for \d+ ms: sink down$/,
    )
    sink.down = false
    const r = await replayDeadLetters(t.core.pipeline, t.letters, {
      isAnnouncement: (x) => x.endsWith('/key'),
    })
    expect(r.delivered).toBe(1)
    expect(sink.rows.size).toBe(2)
    await t.core.stop(1000)
  })

  it('dead-letters as kms-unavailable when KMS stays away after the retries, and replays once it is back', async () => {
    const prefix = uniquePrefix()
    const down = new KmsSession({
      endpoint: 'http://127.0.0.1:9', // discard port: nothing listens
      region: kms.server.region,
      env: KMS_ENV,
      retry: { maxRetries: 1, initialMs: 10, maxMs: 20 },
      connectionTimeoutMs: 500,
    })
    const state = new MemoryConsumerState()
    const t = setup(prefix, {}, { session: down, state })
    const d = new SimDevice('dev-k', prefix, kms.key)
    const [ann, m1] = d.seal(d.reading(1))
    expect(await t.send(ann!)).toEqual({ kind: 'dead-lettered', reason: 'kms-unavailable' })
    expect((await t.send(m1!)).kind).toBe('parked')
    expect(t.letters.byReason('kms-unavailable')[0]!.detail).toMatch(
      /^ERR_UNWRAP_UNAVAILABLE: .*KMS Decrypt at http:\/\/127\.0\.0\.1:9 failed after 2 attempts/,
    )
    down.close()
    // KMS is back: a replay (announcements first) delivers everything.
    const back = setup(prefix, {}, { state, sink: t.sink })
    for (const l of t.letters.letters.values()) await back.letters.put(l)
    const r = await replayDeadLetters(back.core.pipeline, back.letters, {
      isAnnouncement: (x) => x.endsWith('/key'),
    })
    expect(r).toMatchObject({ announcements: 1, delivered: 1, kept: {} })
    expect(t.sink.rows.size).toBe(1)
    await t.core.stop(100)
    await back.core.stop(1000)
  })
})
