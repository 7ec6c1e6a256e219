/**
 * The fleet verifier: from what the runner saw confirmed, what the sink holds, what crossed the
 * wire, KMS's count and the dead letters, it decides whether the run lost, duplicated or repeated
 * anything, independently of the consumer's own dedup and replay checks. VERIFY.md states every
 * rule this file implements, in the same order.
 *
 * @example
 * ```ts
 * const verdict = verifyFleet({
 *   confirmed, delivered: await collectJsonlSink('out.jsonl'), wire: tap.messages,
 *   kms: { decryptCalls: kms.stats.decrypt }, deadLetters: [],
 * })
 * if (!verdict.ok) console.log(verdict.failures)
 * ```
 */
import { verifyDefaults } from './defaults.ts'
import type { ConfirmedReading, FleetEvidence, FleetVerdict, GapAccount } from './evidence.ts'
import { sequenceOf } from './wire_message.ts'

/** One (epoch, payload) seen on the wire under a sequence number. */
interface Seen {
  readonly epochId: string
  readonly sha: string
}

/** Everything the verifier keeps about one device, keyed by numbers where it can. */
interface DeviceState {
  /** Confirmed readings by value key. */
  readonly confirmed: Map<number | string, ConfirmedReading>
  /** Delivered lines by value key. */
  readonly copies: Map<number | string, number>
  /** Delivered sequence numbers. */
  readonly delivered: Set<number>
  readonly wireData: Set<number>
  readonly wireKey: Set<number>
  readonly deadLettered: Set<number>
  /** First epoch seen for each sequence number (sink or wire). */
  readonly epochOf: Map<number, string>
  /** Sequence numbers seen under more than one epoch: all their epochs. */
  readonly reused: Map<number, Set<string>>
  /** What the wire carried under each sequence number: one entry, more when it differs. */
  readonly wire: Map<number, Seen | Seen[]>
  /** Record times in delivery order, with their position: (seq, index, time). */
  readonly times: [number, number, number][]
}

function newDevice(): DeviceState {
  return {
    confirmed: new Map(),
    copies: new Map(),
    delivered: new Set(),
    wireData: new Set(),
    wireKey: new Set(),
    deadLettered: new Set(),
    times: [],
    epochOf: new Map(),
    reused: new Map(),
    wire: new Map(),
  }
}

/** Keeps the first `limit` strings. */
class Examples {
  readonly list: string[] = []
  readonly #limit: number
  constructor(limit: number) {
    this.#limit = limit
  }
  add(make: () => string): void {
    if (this.list.length < this.#limit) this.list.push(make())
  }
}

/** A reading's value as a map key: numbers as numbers (0 and −0 alike), the rest as JSON text. */
function valueKey(value: unknown): number | string {
  return typeof value === 'number' ? value : `json:${JSON.stringify(value)}`
}

function shownKey(key: number | string): string {
  return typeof key === 'number' ? String(key) : key.slice(5)
}

function noteEpoch(d: DeviceState, seq: number, epochId: string): void {
  const first = d.epochOf.get(seq)
  if (first === undefined) d.epochOf.set(seq, epochId)
  else if (first !== epochId) {
    const set = d.reused.get(seq) ?? new Set([first])
    set.add(epochId)
    d.reused.set(seq, set)
  }
}

/** The device level of `<prefix>/<device>/data|key` (the level before the last). */
function deviceOfTopic(topic: string): string {
  const levels = topic.split('/')
  return levels.length >= 2 ? levels[levels.length - 2]! : topic
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative integer`)
  }
  return value
}

const byId = ([a]: [string, DeviceState], [b]: [string, DeviceState]): number =>
  a < b ? -1 : a > b ? 1 : 0

/**
 * Checks a fleet run's evidence and returns the verdict (VERIFY.md).
 *
 * @throws {RangeError} a confirmed (device, value) given twice, or a bad count or limit: the
 *   runner's bug, not a finding.
 * @example
 * ```ts
 * verifyFleet({ confirmed: [], delivered: [], wire: [], kms: { decryptCalls: 0 }, deadLetters: [] }).ok // true
 * ```
 */
export function verifyFleet(evidence: FleetEvidence): FleetVerdict {
  const limit = checkCount(evidence.examples ?? verifyDefaults.examples, 'examples')
  const decryptCalls = checkCount(evidence.kms.decryptCalls, 'kms.decryptCalls')
  const budget = evidence.kms.maxPerEpoch ?? verifyDefaults.maxDecryptPerEpoch
  if (typeof budget !== 'number' || !(budget >= 0) || !Number.isFinite(budget)) {
    throw new RangeError('kms.maxPerEpoch must be a finite number ≥ 0')
  }
  const devices = new Map<string, DeviceState>()
  const device = (id: string): DeviceState => {
    let d = devices.get(id)
    if (d === undefined) devices.set(id, (d = newDevice()))
    return d
  }
  /** Epochs per device: from key topics and delivered records. */
  const epochs = new Map<string, Set<string>>()
  const noteEpochSeen = (deviceId: string, epochId: string): void => {
    let set = epochs.get(deviceId)
    if (set === undefined) epochs.set(deviceId, (set = new Set()))
    set.add(epochId)
  }

  // 1. Confirmed readings, by (device, value).
  let confirmedCount = 0
  for (const c of evidence.confirmed) {
    const d = device(c.deviceId)
    const key = valueKey(c.value)
    if (d.confirmed.has(key)) {
      throw new RangeError(
        `confirmed readings must be unique per (deviceId, value): ${c.deviceId} ${c.value} given twice`,
      )
    }
    d.confirmed.set(key, c)
    confirmedCount++
  }

  // 2. Delivered lines: copies per (device, value); sequence numbers and epochs per device.
  let delivered = 0
  let unsynced = 0
  for (const r of evidence.delivered) {
    delivered++
    const d = device(r.deviceId)
    const key = valueKey(r.value)
    d.copies.set(key, (d.copies.get(key) ?? 0) + 1)
    d.delivered.add(r.seq)
    d.times.push([r.seq, r.index, r.time])
    if (r.clock === 1) unsynced++
    noteEpochSeen(r.deviceId, r.epochId)
    noteEpoch(d, r.seq, r.epochId)
  }

  // 3. The wire: payloads per (device, epoch, seq); announcements; sequence numbers seen.
  const nonceRepeats = new Examples(limit)
  let nonceRepeatCount = 0
  let redeliveries = 0
  let wireMessages = 0
  let malformed = 0
  for (const m of evidence.wire) {
    wireMessages++
    if (m.seq === undefined || m.epochId === undefined) {
      malformed++
      continue
    }
    const d = device(m.deviceId)
    if (m.kind === 'key') {
      d.wireKey.add(m.seq)
      noteEpochSeen(m.deviceId, m.epochId)
    } else {
      d.wireData.add(m.seq)
    }
    noteEpoch(d, m.seq, m.epochId)
    const seen: Seen = { epochId: m.epochId, sha: m.payloadSha256 }
    const before = d.wire.get(m.seq)
    if (before === undefined) {
      d.wire.set(m.seq, seen)
      continue
    }
    const list = Array.isArray(before) ? before : [before]
    if (list.some((x) => x.epochId === seen.epochId && x.sha === seen.sha)) {
      redeliveries++
      continue
    }
    list.push(seen)
    d.wire.set(m.seq, list)
    const payloads = list.filter((x) => x.epochId === seen.epochId).length
    if (payloads > 1) {
      nonceRepeatCount++
      nonceRepeats.add(
        () => `${m.deviceId} epoch ${m.epochId} seq ${m.seq}: ${payloads} different payloads`,
      )
    }
  }

  // 4. Dead letters.
  const expectedReasons = evidence.expectedDeadLetterReasons ?? new Set<string>()
  const byReason: Record<string, number> = Object.create(null) as Record<string, number>
  let expectedLetters = 0
  let unexpectedLetters = 0
  for (const letter of evidence.deadLetters) {
    byReason[letter.reason] = (byReason[letter.reason] ?? 0) + 1
    if (expectedReasons.has(letter.reason)) expectedLetters++
    else unexpectedLetters++
    if (letter.bytes !== undefined) {
      const seq = sequenceOf(letter.bytes)
      if (seq !== undefined) device(deviceOfTopic(letter.topic)).deadLettered.add(seq)
    }
  }

  // 5. Per device, in id order: lost, duplicated, sequence reuses, gaps, the tap's coverage.
  const lost = new Examples(limit)
  const duplicated = new Examples(limit)
  const sequenceReuses = new Examples(limit)
  const unexplained = new Examples(limit)
  let lostCount = 0
  let duplicatedCount = 0
  let unconfirmedDelivered = 0
  let reuseCount = 0
  let notSeen = 0
  const gaps = { missing: 0, announcements: 0, deadLettered: 0, neverPublished: 0, unexplained: 0 }
  for (const [id, d] of [...devices].sort(byId)) {
    for (const [key, c] of d.confirmed) {
      if (!d.copies.has(key)) {
        lostCount++
        lost.add(() => `${id} value ${c.value} (stream ${c.stream})`)
      }
    }
    for (const [key, n] of d.copies) {
      if (!d.confirmed.has(key)) unconfirmedDelivered++
      if (n > 1) {
        duplicatedCount += n - 1
        duplicated.add(() => `${id} value ${shownKey(key)} delivered ${n} times`)
      }
    }
    for (const [seq, set] of d.reused) {
      reuseCount++
      sequenceReuses.add(() => `${id} seq ${seq} under epochs ${[...set].join(', ')}`)
    }
    for (const s of d.delivered) if (!d.wireData.has(s) && !d.wireKey.has(s)) notSeen++
    let lo = Infinity
    let hi = -Infinity
    for (const set of [d.delivered, d.wireData]) {
      for (const s of set) {
        if (s < lo) lo = s
        if (s > hi) hi = s
      }
    }
    if (lo > hi) continue
    const missing = hi - lo + 1 - d.delivered.size
    let explained = 0
    const candidates = new Set([...d.wireKey, ...d.deadLettered, ...d.wireData])
    for (const s of [...candidates].sort((a, b) => a - b)) {
      if (s < lo || s > hi || d.delivered.has(s)) continue
      explained++
      if (d.wireKey.has(s)) gaps.announcements++
      else if (d.deadLettered.has(s)) gaps.deadLettered++
      else {
        gaps.unexplained++
        unexplained.add(
          () => `${id} seq ${s}: published as data, neither delivered nor dead-lettered`,
        )
      }
    }
    gaps.missing += missing
    gaps.neverPublished += missing - explained
  }

  // 6. Record time per device, in (seq, index) order: never backwards (VERIFY.md, "Clock").
  const backwardsExamples = new Examples(limit)
  let backwards = 0
  for (const [id, d] of devices) {
    d.times.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    for (let i = 1; i < d.times.length; i++) {
      const [seq, index, time] = d.times[i]!
      const prev = d.times[i - 1]!
      if (time < prev[2]) {
        backwards++
        backwardsExamples.add(
          () =>
            `${id} seq ${seq}[${index}] at ${time} after seq ${prev[0]}[${prev[1]}] at ${prev[2]}`,
        )
      }
    }
  }

  // 7. KMS Decrypt against epochs.
  let epochCount = 0
  for (const set of epochs.values()) epochCount += set.size
  const decryptPerEpoch =
    epochCount === 0 ? 0 : Math.round((decryptCalls / epochCount) * 1000) / 1000
  const failures: string[] = []
  if (lostCount > 0) failures.push('lost')
  if (duplicatedCount > 0) failures.push('duplicated')
  if (nonceRepeatCount > 0) failures.push('nonce-repeats')
  if (reuseCount > 0) failures.push('sequence-reuses')
  if (gaps.unexplained > 0) failures.push('unexplained-gaps')
  if (unexpectedLetters > 0) failures.push('dead-letters')
  if (decryptCalls > budget * epochCount) failures.push('kms-decrypt')
  if (backwards > 0) failures.push('clock-backwards')
  const account: GapAccount = gaps
  return {
    ok: failures.length === 0,
    failures,
    devices: devices.size,
    confirmed: confirmedCount,
    delivered,
    lost: lostCount,
    duplicated: duplicatedCount,
    unconfirmedDelivered,
    nonceRepeats: nonceRepeatCount,
    redeliveries,
    sequenceReuses: reuseCount,
    unexplainedGaps: gaps.unexplained,
    gaps: account,
    epochs: epochCount,
    decryptCalls,
    decryptPerEpoch,
    decryptBudget: budget,
    wire: { messages: wireMessages, malformed, notSeen },
    clock: { unsynced, backwards },
    deadLettered: {
      expected: expectedLetters,
      unexpected: unexpectedLetters,
      byReason: { ...byReason },
    },
    examples: {
      lost: lost.list,
      duplicated: duplicated.list,
      nonceRepeats: nonceRepeats.list,
      sequenceReuses: sequenceReuses.list,
      unexplainedGaps: unexplained.list,
      clockBackwards: backwardsExamples.list,
    },
  }
}
