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

/** What one device left on the wire, in the sink and as dead letters, by sequence number. */
interface DeviceSeqs {
  /** Delivered sequence numbers. */
  readonly delivered: Set<number>
  readonly wireData: Set<number>
  readonly wireKey: Set<number>
  readonly deadLettered: Set<number>
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

function readingKey(deviceId: string, value: unknown): string {
  return `${deviceId}\u0000${typeof value === 'number' ? String(value) : `json:${JSON.stringify(value)}`}`
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
  const devices = new Map<string, DeviceSeqs>()
  const device = (id: string): DeviceSeqs => {
    let d = devices.get(id)
    if (d === undefined) {
      d = { delivered: new Set(), wireData: new Set(), wireKey: new Set(), deadLettered: new Set() }
      devices.set(id, d)
    }
    return d
  }
  const epochs = new Set<string>()
  /** First epoch seen for each (device, seq), and the others when there are more. */
  const seqEpoch = new Map<string, string>()
  const reusedSeq = new Map<string, Set<string>>()
  const noteSeqEpoch = (deviceId: string, seq: number, epochId: string): void => {
    const key = `${deviceId}\u0000${seq}`
    const first = seqEpoch.get(key)
    if (first === undefined) seqEpoch.set(key, epochId)
    else if (first !== epochId) {
      const set = reusedSeq.get(key) ?? new Set([first])
      set.add(epochId)
      reusedSeq.set(key, set)
    }
  }

  // 1. Confirmed readings, by (device, value).
  const confirmed = new Map<string, ConfirmedReading>()
  for (const c of evidence.confirmed) {
    const key = readingKey(c.deviceId, c.value)
    if (confirmed.has(key)) {
      throw new RangeError(
        `confirmed readings must be unique per (deviceId, value): ${c.deviceId} ${c.value} given twice`,
      )
    }
    confirmed.set(key, c)
    device(c.deviceId)
  }

  // 2. Delivered lines: copies per (device, value); sequence numbers and epochs per device.
  const copies = new Map<string, number>()
  let delivered = 0
  for (const r of evidence.delivered) {
    delivered++
    const key = readingKey(r.deviceId, r.value)
    copies.set(key, (copies.get(key) ?? 0) + 1)
    device(r.deviceId).delivered.add(r.seq)
    epochs.add(`${r.deviceId}\u0000${r.epochId}`)
    noteSeqEpoch(r.deviceId, r.seq, r.epochId)
  }
  const lost = new Examples(limit)
  let lostCount = 0
  for (const [key, c] of confirmed) {
    if (!copies.has(key)) {
      lostCount++
      lost.add(() => `${c.deviceId} value ${c.value} (stream ${c.stream})`)
    }
  }
  const duplicated = new Examples(limit)
  let duplicatedCount = 0
  let unconfirmedDelivered = 0
  for (const [key, n] of copies) {
    if (!confirmed.has(key)) unconfirmedDelivered++
    if (n > 1) {
      duplicatedCount += n - 1
      duplicated.add(() => {
        const [id, value] = key.split('\u0000') as [string, string]
        return `${id} value ${value.startsWith('json:') ? value.slice(5) : value} delivered ${n} times`
      })
    }
  }

  // 3. The wire: payloads per (device, epoch, seq); announcements; sequence numbers seen.
  const payloads = new Map<string, Set<string>>()
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
      epochs.add(`${m.deviceId}\u0000${m.epochId}`)
    } else {
      d.wireData.add(m.seq)
    }
    noteSeqEpoch(m.deviceId, m.seq, m.epochId)
    const key = `${m.deviceId}\u0000${m.epochId}\u0000${m.seq}`
    const seen = payloads.get(key)
    if (seen === undefined) {
      payloads.set(key, new Set([m.payloadSha256]))
    } else if (seen.has(m.payloadSha256)) {
      redeliveries++
    } else {
      seen.add(m.payloadSha256)
      nonceRepeatCount++
      nonceRepeats.add(
        () => `${m.deviceId} epoch ${m.epochId} seq ${m.seq}: ${seen.size} different payloads`,
      )
    }
  }
  const sequenceReuses = new Examples(limit)
  for (const [key, set] of reusedSeq) {
    const [id, seq] = key.split('\u0000') as [string, string]
    sequenceReuses.add(() => `${id} seq ${seq} under epochs ${[...set].join(', ')}`)
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

  // 5. Sequence gaps per device, and the tap's coverage of what was delivered.
  const gaps = { missing: 0, announcements: 0, deadLettered: 0, neverPublished: 0, unexplained: 0 }
  const unexplained = new Examples(limit)
  let notSeen = 0
  for (const [id, d] of [...devices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
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

  // 6. KMS Decrypt against epochs.
  const epochCount = epochs.size
  const decryptPerEpoch =
    epochCount === 0 ? 0 : Math.round((decryptCalls / epochCount) * 1000) / 1000
  const failures: string[] = []
  if (lostCount > 0) failures.push('lost')
  if (duplicatedCount > 0) failures.push('duplicated')
  if (nonceRepeatCount > 0) failures.push('nonce-repeats')
  if (reusedSeq.size > 0) failures.push('sequence-reuses')
  if (gaps.unexplained > 0) failures.push('unexplained-gaps')
  if (unexpectedLetters > 0) failures.push('dead-letters')
  if (decryptCalls > budget * epochCount) failures.push('kms-decrypt')
  const account: GapAccount = gaps
  return {
    ok: failures.length === 0,
    failures,
    devices: devices.size,
    confirmed: confirmed.size,
    delivered,
    lost: lostCount,
    duplicated: duplicatedCount,
    unconfirmedDelivered,
    nonceRepeats: nonceRepeatCount,
    redeliveries,
    sequenceReuses: reusedSeq.size,
    unexplainedGaps: gaps.unexplained,
    gaps: account,
    epochs: epochCount,
    decryptCalls,
    decryptPerEpoch,
    decryptBudget: budget,
    wire: { messages: wireMessages, malformed, notSeen },
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
    },
  }
}
