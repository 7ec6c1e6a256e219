/**
 * The verifier on evidence built by hand: a clean run gives ok with zeros, and each fault
 * injected on purpose (a lost reading, a duplicate line, a nonce repeat, a sequence reuse, an
 * undelivered published message, an unexpected dead letter, too many Decrypt calls) is flagged
 * and counted exactly, with the others untouched.
 */
import { describe, expect, it } from 'vitest'
import { verifyFleet } from '../../firmware-sim/src/verify/index.ts'
import type {
  ConfirmedReading,
  DeliveredRecord,
  FleetEvidence,
  WireMessage,
} from '../../firmware-sim/src/verify/index.ts'

const T0 = 1_800_000_000_000
const sha = (tag: string): string => tag.padEnd(64, '0')

/**
 * A clean run: `devices` devices, each two epochs; epoch 1 = announcement at seq 1 and data
 * 2..6, epoch 2 (after a reboot that skipped the rest of a reserved block) = announcement at
 * seq 1001, data 1002..1006. One reading per message, values 0..9 per device.
 */
function cleanRun(devices = 3): {
  confirmed: ConfirmedReading[]
  delivered: DeliveredRecord[]
  wire: WireMessage[]
} {
  const confirmed: ConfirmedReading[] = []
  const delivered: DeliveredRecord[] = []
  const wire: WireMessage[] = []
  for (let d = 0; d < devices; d++) {
    const deviceId = `dev-${d}`
    let value = 0
    for (const [epochId, first] of [
      [`${d}`.padStart(16, 'a'), 1],
      [`${d}`.padStart(16, 'b'), 1001],
    ] as const) {
      wire.push(wireOf(deviceId, 'key', epochId, first, `k${d}${first}`))
      for (let seq = first + 1; seq <= first + 5; seq++, value++) {
        confirmed.push({ deviceId, stream: 'temp', value, confirmedAt: T0 + value })
        wire.push(wireOf(deviceId, 'data', epochId, seq, `d${d}-${seq}`))
        delivered.push(recordOf(deviceId, seq, epochId, value))
      }
    }
  }
  return { confirmed, delivered, wire }
}

function wireOf(
  deviceId: string,
  kind: 'data' | 'key',
  epochId: string,
  seq: number,
  payload: string,
): WireMessage {
  return {
    deviceId,
    topic: `fleet/${deviceId}/${kind}`,
    kind,
    form: kind === 'key' ? 'full' : 'compact',
    epochId,
    seq,
    payloadSha256: sha(payload),
    size: 60,
    retain: kind === 'key',
    at: T0,
  }
}

function recordOf(deviceId: string, seq: number, epochId: string, value: number): DeliveredRecord {
  return {
    deviceId,
    seq,
    index: 0,
    stream: 'temp',
    time: T0,
    clock: 0,
    value,
    epochId,
    receivedAt: T0 + 50,
  }
}

function evidence(over: Partial<FleetEvidence> = {}): FleetEvidence {
  const run = cleanRun()
  return { ...run, kms: { decryptCalls: 6 }, deadLetters: [], ...over }
}

describe('verifyFleet: a clean run', () => {
  it('is ok, with zeros everywhere and the gaps explained', () => {
    const v = verifyFleet(evidence())
    expect(v).toMatchObject({
      ok: true,
      failures: [],
      devices: 3,
      confirmed: 30,
      delivered: 30,
      lost: 0,
      duplicated: 0,
      unconfirmedDelivered: 0,
      nonceRepeats: 0,
      redeliveries: 0,
      sequenceReuses: 0,
      unexplainedGaps: 0,
      epochs: 6,
      decryptCalls: 6,
      decryptPerEpoch: 1,
      decryptBudget: 1,
      wire: { messages: 36, malformed: 0, notSeen: 0 },
      deadLettered: { expected: 0, unexpected: 0, byReason: {} },
      examples: {
        lost: [],
        duplicated: [],
        nonceRepeats: [],
        sequenceReuses: [],
        unexplainedGaps: [],
      },
    })
    // Per device, delivered 2..1006 minus 10 delivered: 995 missing = 1 announcement (1001) +
    // 994 never published (7..1000: the reserved block the reboot skipped).
    expect(v.gaps).toEqual({
      missing: 3 * 995,
      announcements: 3,
      deadLettered: 0,
      neverPublished: 3 * 994,
      unexplained: 0,
    })
  })

  it('is ok with nothing at all', () => {
    const v = verifyFleet({
      confirmed: [],
      delivered: [],
      wire: [],
      kms: { decryptCalls: 0 },
      deadLetters: [],
    })
    expect(v.ok).toBe(true)
    expect(v.epochs).toBe(0)
    expect(v.decryptPerEpoch).toBe(0)
  })

  it('counts redeliveries of the same bytes (QoS 1, retained, re-announced) without failing', () => {
    const run = cleanRun()
    run.wire.push({ ...run.wire[0]! }, { ...run.wire[1]! }, { ...run.wire[1]! })
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.ok).toBe(true)
    expect(v.redeliveries).toBe(3)
    expect(v.nonceRepeats).toBe(0)
  })

  it('accepts a delivered reading that was never confirmed (its answer was lost) and counts it', () => {
    const run = cleanRun()
    run.confirmed.splice(4, 1) // dev-0 value 4: delivered, never confirmed
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.ok).toBe(true)
    expect(v.unconfirmedDelivered).toBe(1)
    expect(v.confirmed).toBe(29)
  })
})

describe('verifyFleet: faults injected on purpose', () => {
  it('flags one lost reading, exactly, with an example', () => {
    const run = cleanRun()
    // dev-1 value 7 (seq 1004) confirmed, never delivered, and never published either
    const i = run.delivered.findIndex((r) => r.deviceId === 'dev-1' && r.value === 7)
    run.delivered.splice(i, 1)
    run.wire = run.wire.filter((m) => !(m.deviceId === 'dev-1' && m.seq === 1004))
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.ok).toBe(false)
    expect(v.failures).toEqual(['lost'])
    expect(v.lost).toBe(1)
    expect(v.duplicated).toBe(0)
    expect(v.nonceRepeats).toBe(0)
    expect(v.examples.lost).toEqual(['dev-1 value 7 (stream temp)'])
    expect(v.delivered).toBe(29)
  })

  it('flags a duplicate line, counting extra copies: 1 for two lines, 2 more for three', () => {
    const run = cleanRun()
    run.delivered.push({ ...run.delivered[3]!, receivedAt: T0 + 99 })
    let v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.failures).toEqual(['duplicated'])
    expect(v.duplicated).toBe(1)
    expect(v.delivered).toBe(31)
    expect(v.lost).toBe(0)
    expect(v.examples.duplicated).toEqual(['dev-0 value 3 delivered 2 times'])
    // The same reading under another (seq, index): the consumer's key would not catch it.
    run.delivered.push(
      { ...run.delivered[12]!, seq: 7, index: 3 },
      { ...run.delivered[12]!, seq: 8 },
    )
    v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.duplicated).toBe(3)
    expect(v.examples.duplicated).toEqual([
      'dev-0 value 3 delivered 2 times',
      'dev-1 value 2 delivered 3 times',
    ])
  })

  it('flags a nonce repeat: two different payloads with one (device, epoch, seq)', () => {
    const run = cleanRun()
    const original = run.wire.find((m) => m.deviceId === 'dev-2' && m.seq === 4)!
    run.wire.push({ ...original, payloadSha256: sha('forged') })
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.failures).toEqual(['nonce-repeats'])
    expect(v.nonceRepeats).toBe(1)
    expect(v.redeliveries).toBe(0)
    expect(v.examples.nonceRepeats).toEqual([
      `dev-2 epoch ${'2'.padStart(16, 'a')} seq 4: 2 different payloads`,
    ])
    // A third distinct payload is one more repeat; the same bytes again is a redelivery.
    run.wire.push({ ...original, payloadSha256: sha('third') }, { ...original })
    const w = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(w.nonceRepeats).toBe(2)
    expect(w.redeliveries).toBe(1)
  })

  it('flags a sequence number reused under another epoch', () => {
    const run = cleanRun()
    run.wire.push({ ...run.wire[2]!, epochId: 'ffffffffffffffff', payloadSha256: sha('other') })
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.failures).toEqual(['sequence-reuses'])
    expect(v.sequenceReuses).toBe(1)
    expect(v.nonceRepeats).toBe(0)
    expect(v.examples.sequenceReuses).toEqual([
      `dev-0 seq 3 under epochs ${'0'.padStart(16, 'a')}, ffffffffffffffff`,
    ])
  })

  it('flags a gap the wire saw published as data but nothing delivered, even when unconfirmed', () => {
    const run = cleanRun()
    // dev-0 seq 4 (value 2) published, not delivered, and its answer lost (never confirmed)
    run.delivered = run.delivered.filter((r) => !(r.deviceId === 'dev-0' && r.seq === 4))
    run.confirmed = run.confirmed.filter((c) => !(c.deviceId === 'dev-0' && c.value === 2))
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.failures).toEqual(['unexplained-gaps'])
    expect(v.unexplainedGaps).toBe(1)
    expect(v.lost).toBe(0)
    expect(v.examples.unexplainedGaps).toEqual([
      'dev-0 seq 4: published as data, neither delivered nor dead-lettered',
    ])
    // A gap never published (a seal refused, a crash before the commit) is explained.
    run.wire = run.wire.filter((m) => !(m.deviceId === 'dev-0' && m.seq === 4))
    const w = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(w.ok).toBe(true)
    expect(w.gaps.neverPublished).toBe(3 * 994 + 1)
  })

  it('counts dead letters by reason; only unexpected ones fail; their sequence numbers explain gaps', () => {
    const run = cleanRun()
    run.delivered = run.delivered.filter((r) => !(r.deviceId === 'dev-1' && r.seq === 5))
    run.confirmed = run.confirmed.filter((c) => !(c.deviceId === 'dev-1' && c.value === 3))
    // A compact message with Partial IV 5: d0 83 43a10103 a2 04 48 <8> 06 41 05 50 <16>
    const bytes = Uint8Array.from([
      0xd0,
      0x83,
      0x43,
      0xa1,
      0x01,
      0x03,
      0xa2,
      0x04,
      0x48,
      ...new Array(8).fill(0xaa),
      0x06,
      0x41,
      0x05,
      0x50,
      ...new Array(16).fill(0),
    ])
    const deadLetters = [
      { reason: 'epoch-unknown', topic: 'fleet/dev-1/data', bytes },
      { reason: 'malformed', topic: 'fleet/dev-9/data' },
    ]
    const expectedDeadLetterReasons = new Set(['epoch-unknown'])
    const v = verifyFleet({
      ...run,
      kms: { decryptCalls: 6 },
      deadLetters,
      expectedDeadLetterReasons,
    })
    expect(v.failures).toEqual(['dead-letters'])
    expect(v.deadLettered).toEqual({
      expected: 1,
      unexpected: 1,
      byReason: { 'epoch-unknown': 1, malformed: 1 },
    })
    expect(v.gaps.deadLettered).toBe(1)
    expect(v.unexplainedGaps).toBe(0)
    const w = verifyFleet({
      ...run,
      kms: { decryptCalls: 6 },
      deadLetters: deadLetters.slice(0, 1),
      expectedDeadLetterReasons,
    })
    expect(w.ok).toBe(true)
  })

  it('holds KMS Decrypt calls to the budget per epoch', () => {
    let v = verifyFleet(evidence({ kms: { decryptCalls: 7 } }))
    expect(v.failures).toEqual(['kms-decrypt'])
    expect(v.decryptPerEpoch).toBe(1.167)
    v = verifyFleet(evidence({ kms: { decryptCalls: 12, maxPerEpoch: 2 } }))
    expect(v.ok).toBe(true)
    expect(v.decryptBudget).toBe(2)
    expect(verifyFleet(evidence({ kms: { decryptCalls: 2 } })).ok).toBe(true)
  })

  it('reports several faults at once, each counted on its own, examples capped', () => {
    const run = cleanRun()
    run.delivered = run.delivered.filter((r) => r.seq !== 6) // 3 lost (one per device), 3 unexplained
    run.delivered.push(run.delivered[0]!)
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [], examples: 2 })
    expect(v.failures).toEqual(['lost', 'duplicated', 'unexplained-gaps'])
    expect([v.lost, v.duplicated, v.unexplainedGaps]).toEqual([3, 1, 3])
    expect(v.examples.lost).toHaveLength(2)
    expect(v.examples.unexplainedGaps).toHaveLength(2)
  })

  it('counts malformed wire payloads and delivered messages the tap never saw', () => {
    const run = cleanRun()
    run.wire = run.wire.filter((m) => !(m.deviceId === 'dev-0' && m.seq === 2))
    run.wire.push({
      ...run.wire[0]!,
      form: undefined,
      epochId: undefined,
      seq: undefined,
      problem: 'ERR_ENVELOPE_MALFORMED',
    })
    const v = verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })
    expect(v.ok).toBe(true)
    expect(v.wire).toEqual({ messages: 36, malformed: 1, notSeen: 1 })
  })

  it('refuses evidence that is the runner’s bug, not a finding', () => {
    const run = cleanRun()
    run.confirmed.push(run.confirmed[0]!)
    expect(() => verifyFleet({ ...run, kms: { decryptCalls: 6 }, deadLetters: [] })).toThrow(
      new RangeError(
        'confirmed readings must be unique per (deviceId, value): dev-0 0 given twice',
      ),
    )
    expect(() => verifyFleet(evidence({ kms: { decryptCalls: -1 } }))).toThrow(
      new RangeError('kms.decryptCalls must be a non-negative integer'),
    )
  })
})

describe('verifyFleet: record time', () => {
  const rec = (seq: number, time: number, clock: 0 | 1) => ({
    deviceId: 'dev-1',
    seq,
    index: 0,
    stream: 's',
    time,
    clock,
    value: seq,
    epochId: '0011223344556677',
    receivedAt: time + 5,
  })
  const evidence = (delivered: ReturnType<typeof rec>[]) => ({
    confirmed: delivered.map((r) => ({
      deviceId: r.deviceId,
      stream: 's',
      value: r.value,
      confirmedAt: 0,
    })),
    delivered,
    wire: [],
    kms: { decryptCalls: 0 },
    deadLetters: [],
  })

  it('counts records stamped before the clock synced, and passes a time that only goes up', () => {
    const v = verifyFleet(
      evidence([rec(1, 1_000, 1), rec(2, 1_000, 1), rec(3, 1_700_000_000_000, 0)]),
    )
    expect(v.clock).toEqual({ unsynced: 2, backwards: 0 })
    expect(v.failures).toEqual([])
  })

  it('fails clock-backwards when a later sequence number has an earlier time, whatever the delivery order', () => {
    const v = verifyFleet(evidence([rec(3, 2_000, 0), rec(1, 1_000, 1), rec(2, 3_000, 0)]))
    expect(v.clock).toEqual({ unsynced: 1, backwards: 1 })
    expect(v.failures).toEqual(['clock-backwards'])
    expect(v.examples.clockBackwards).toEqual(['dev-1 seq 3[0] at 2000 after seq 2[0] at 3000'])
  })
})
