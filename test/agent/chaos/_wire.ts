/**
 * What reached the broker from one device, opened with the device's private key and checked the
 * way a consumer would: messages are taken one at a time in arrival order (an announcement before
 * the data of its epoch), duplicates (QoS 1 re-sends, re-announcements) are recognised by their
 * bytes, and every distinct message is kept by sequence number and by (epoch, sequence) so a
 * reused number shows up as two distinct messages under one key.
 */
import { createHash } from 'node:crypto'
import { decodeRecords, toHex } from '../../../envelope/src/index.ts'
import type { TestDevice } from '../_device.ts'
import { DeviceReader } from '../_device.ts'

/** One distinct message. */
interface Distinct {
  readonly kind: 'data' | 'announcement'
  readonly epoch: string
  readonly seq: number
  readonly digest: string
}

/** The wire as a consumer sees it. */
export class WireLog {
  readonly #device: TestDevice
  readonly #reader: DeviceReader
  #chain: Promise<void> = Promise.resolve()
  readonly #byDigest = new Map<string, Distinct>()
  /** Distinct messages by sequence number (more than one: a number was reused). */
  readonly bySeq = new Map<number, Distinct[]>()
  /** Distinct messages by `epoch:seq` (more than one: a nonce was reused). */
  readonly byEpochSeq = new Map<string, Distinct[]>()
  /** Data sequence numbers in first-arrival order, duplicates left out. */
  readonly dataSeqs: number[] = []
  /** Reading id → how many distinct data messages carried it. */
  readonly readings = new Map<number, number>()
  /** Messages received in all, duplicates included. */
  received = 0
  duplicates = 0
  readonly errors: string[] = []

  constructor(device: TestDevice) {
    this.#device = device
    this.#reader = new DeviceReader(device)
  }

  /** Queues one message from the broker; messages are opened one after another. */
  take(topic: string, payload: Uint8Array | string): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : new Uint8Array(payload)
    this.#chain = this.#chain.then(() =>
      this.#take(topic, bytes).catch((err: unknown) => {
        this.errors.push(`${topic}: ${(err as Error).message}`)
      }),
    )
  }

  /** Resolves once every message taken so far is opened. */
  settled(): Promise<void> {
    return this.#chain
  }

  async #take(topic: string, bytes: Uint8Array): Promise<void> {
    this.received++
    const digest = createHash('sha256').update(bytes).digest('hex')
    if (this.#byDigest.has(digest)) {
      this.duplicates++
      return
    }
    const { opener } = this.#reader
    const deviceId = this.#device.deviceId
    let entry: Distinct
    if (topic === this.#device.topics.key) {
      const a = await opener.openAnnouncement(bytes, deviceId)
      entry = { kind: 'announcement', epoch: toHex(a.epochId), seq: a.seq, digest }
    } else if (topic === this.#device.topics.data) {
      const opened = await opener.open(bytes, deviceId)
      entry = { kind: 'data', epoch: toHex(opened.epochId), seq: opened.seq, digest }
      this.dataSeqs.push(opened.seq)
      for (const r of decodeRecords(opened.plaintext)) {
        const id = (r.value as { id?: unknown } | null)?.id
        if (typeof id !== 'number') throw new Error(`a record without an id: ${r.stream}`)
        this.readings.set(id, (this.readings.get(id) ?? 0) + 1)
      }
    } else {
      throw new Error('a message on a topic of no device')
    }
    this.#byDigest.set(digest, entry)
    const add = <K>(map: Map<K, Distinct[]>, key: K): void => {
      const list = map.get(key)
      if (list === undefined) map.set(key, [entry])
      else list.push(entry)
    }
    add(this.bySeq, entry.seq)
    add(this.byEpochSeq, `${entry.epoch}:${entry.seq}`)
  }

  /** Distinct data messages received. */
  get dataMessages(): number {
    return this.dataSeqs.length
  }

  /** Epochs announced. */
  get epochs(): Set<string> {
    return new Set(
      [...this.#byDigest.values()].filter((d) => d.kind === 'announcement').map((d) => d.epoch),
    )
  }

  /** Sequence numbers carried by more than one distinct message. */
  reusedSeqs(): number[] {
    return [...this.bySeq].filter(([, l]) => l.length > 1).map(([s]) => s)
  }

  /** (epoch, sequence) pairs carried by more than one distinct message. */
  repeatedEpochSeqs(): string[] {
    return [...this.byEpochSeq].filter(([, l]) => l.length > 1).map(([k]) => k)
  }

  /** Places where the first-arrival data sequence numbers do not strictly increase. */
  seqOrderBreaks(): string[] {
    const out: string[] = []
    for (let i = 1; i < this.dataSeqs.length; i++) {
      if (this.dataSeqs[i]! <= this.dataSeqs[i - 1]!) {
        out.push(`#${i}: ${this.dataSeqs[i - 1]} then ${this.dataSeqs[i]}`)
      }
    }
    return out
  }
}
