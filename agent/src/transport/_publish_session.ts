/**
 * What happens on one connection: the sliding window and the announcements. Messages are read
 * from the outbox from the lowest unacknowledged one, and one goes out each time a PUBACK frees a
 * slot, so up to `window` messages are always in flight (never "send a batch, wait for all its
 * PUBACKs": DESIGN.md measured that at a few hundred msg/s, against 12k–17k for a sliding
 * window). Before the first data message of an epoch on this connection, the epoch's
 * announcement is published (retained, same bytes) and its PUBACK awaited: so a consumer that
 * sees the data can already have the key, even after a broker restart lost the retained copy.
 * The session never acknowledges anything itself: it reports PUBACKs through its hooks.
 */
import { TransportError } from './errors.ts'
import { publishTopicProblem } from './limits.ts'
import type { MqttLink } from './mqtt_link.ts'
import type { OutboxSource, QueuedMessage } from './outbox_source.ts'

/** One PUBLISH of the session. `seq` is undefined for a re-announcement from the outbox. */
export interface Outgoing {
  readonly seq: number | undefined
  readonly topic: string
  readonly payload: Uint8Array
  readonly retain: boolean
  readonly epoch: string
}

/** How the session reports to its publisher. */
export interface SessionHooks {
  /** A PUBLISH went out; `inFlight` counts it. */
  sent(o: Outgoing, inFlight: number): void
  /** Its PUBACK came; `inFlight` no longer counts it. Called even after the session ended. */
  acked(o: Outgoing, inFlight: number): void
  /** A queued message breaks a limit: it will never be accepted. */
  invalid(m: QueuedMessage, err: TransportError): void
  /** The outbox has no announcement for a data message's epoch: it is sent without one. */
  missingAnnouncement(m: QueuedMessage): void
  /** The session cannot go on (connection, refusal, outbox failure). */
  fail(err: TransportError): void
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

function epochKey(epochId: Uint8Array): string {
  return Buffer.from(epochId.buffer, epochId.byteOffset, epochId.byteLength).toString('hex')
}

/** One connection's publishing. */
export class PublishSession {
  readonly #link: MqttLink
  readonly #source: OutboxSource
  readonly #window: number
  readonly #fetch: number
  readonly #maxPayload: number
  readonly #hooks: SessionHooks
  readonly #topicProblems = new Map<string, string | undefined>()
  /** Epochs whose announcement was PUBACKed on this connection. */
  readonly #announced = new Set<string>()
  /** Epochs whose announcement is in flight on this connection. */
  readonly #announcing = new Set<string>()
  #cursor = -1
  #buffer: readonly QueuedMessage[] = []
  #head = 0
  #inFlight = 0
  #exhausted = false
  #wakeups = 0
  /** An asynchronous step (outbox read, announcement lookup) is pending. */
  #waiting = false
  #lastEpoch: { readonly id: Uint8Array; readonly key: string } | undefined
  #draining = false
  #ended = false
  #drained: (() => void)[] = []

  constructor(
    link: MqttLink,
    source: OutboxSource,
    window: number,
    maxPayloadBytes: number,
    hooks: SessionHooks,
  ) {
    this.#link = link
    this.#source = source
    this.#window = window
    // Read ahead a window's worth, at least 16, so a small window does not mean tiny reads.
    this.#fetch = Math.max(window, 16)
    this.#maxPayload = maxPayloadBytes
    this.#hooks = hooks
  }

  /** Messages in flight. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** New messages may be in the outbox. */
  wake(): void {
    this.#wakeups++
    this.#exhausted = false
    this.#pump()
  }

  /** Stops sending; resolves once nothing is in flight (or the session ended). */
  drain(): Promise<void> {
    this.#draining = true
    if (this.#inFlight === 0 || this.#ended) return Promise.resolve()
    return new Promise((resolve) => this.#drained.push(resolve))
  }

  /** Ends the session: nothing more is sent; later PUBACKs are still reported. */
  end(): void {
    this.#ended = true
    this.#settleDrain()
  }

  #settleDrain(): void {
    const waiters = this.#drained
    this.#drained = []
    for (const w of waiters) w()
  }

  /**
   * Sends while the window has room. Synchronous on the hot path (a PUBACK frees a slot, the next
   * buffered message goes out in the same tick); only reading the outbox or an announcement is
   * asynchronous, one such step at a time, after which it runs again.
   */
  #pump(): void {
    if (this.#waiting || this.#ended) return
    let step: Promise<void> | undefined
    try {
      step = this.#fill()
    } catch (err) {
      this.#sourceFailed(err)
      return
    }
    if (step === undefined) return
    this.#waiting = true
    step.then(
      () => {
        this.#waiting = false
        this.#pump()
      },
      (err: unknown) => {
        this.#waiting = false
        this.#sourceFailed(err)
      },
    )
  }

  #sourceFailed(err: unknown): void {
    if (this.#ended) return
    const why = err instanceof Error ? err.message : String(err)
    this.#hooks.fail(
      new TransportError('ERR_TRANSPORT_SOURCE', `outbox read failed: ${why}`, { cause: err }),
    )
  }

  #problem(m: QueuedMessage): string | undefined {
    let topic = this.#topicProblems.get(m.topic)
    if (!this.#topicProblems.has(m.topic)) {
      topic = publishTopicProblem(m.topic)
      this.#topicProblems.set(m.topic, topic)
    }
    if (topic !== undefined) return `topic ${JSON.stringify(m.topic)} ${topic}`
    if (m.payload.byteLength > this.#maxPayload) {
      return `payload is ${m.payload.byteLength} bytes, over the ${this.#maxPayload}-byte limit`
    }
    return undefined
  }

  /** Sends what it can; returns the asynchronous step it must wait for, if any. */
  #fill(): Promise<void> | undefined {
    while (!this.#ended && !this.#draining && this.#inFlight < this.#window) {
      if (this.#head >= this.#buffer.length) {
        return this.#exhausted ? undefined : this.#refill()
      }
      const m = this.#buffer[this.#head]!
      const problem = this.#problem(m)
      if (problem !== undefined) {
        this.#head++
        const err = new TransportError(
          'ERR_TRANSPORT_MESSAGE_INVALID',
          `queued message ${m.seq} dropped: ${problem}`,
        )
        this.#hooks.invalid(m, err)
        continue
      }
      const epoch = this.#epochKey(m.epochId)
      if (m.kind === 'data' && !this.#announced.has(epoch)) {
        // In flight already: this resumes when its PUBACK arrives.
        if (this.#announcing.has(epoch)) return undefined
        return this.#announce(m, epoch)
      }
      this.#head++
      const announcement = m.kind === 'announcement'
      if (announcement) this.#announcing.add(epoch)
      this.#send({ seq: m.seq, topic: m.topic, payload: m.payload, retain: announcement, epoch })
    }
    return undefined
  }

  async #refill(): Promise<void> {
    const wakeups = this.#wakeups
    const batch = await this.#source.peek(this.#cursor, this.#fetch)
    if (this.#ended) return
    if (batch.length < this.#fetch && wakeups === this.#wakeups) this.#exhausted = true
    if (batch.length === 0) return
    if (batch[0]!.seq <= this.#cursor) throw new Error('peek returned an old sequence number')
    this.#buffer = batch
    this.#head = 0
    this.#cursor = batch[batch.length - 1]!.seq
  }

  async #announce(m: QueuedMessage, epoch: string): Promise<void> {
    this.#announcing.add(epoch)
    const a = await this.#source.announcementFor(m.epochId)
    if (this.#ended) return
    if (a === undefined) {
      this.#announcing.delete(epoch)
      this.#announced.add(epoch)
      this.#hooks.missingAnnouncement(m)
      return
    }
    this.#send({ seq: undefined, topic: a.topic, payload: a.payload, retain: true, epoch })
  }

  /** The hex of an epoch id; the last one is cached, since runs of one epoch are the rule. */
  #epochKey(epochId: Uint8Array): string {
    const last = this.#lastEpoch
    if (last !== undefined && (last.id === epochId || bytesEqual(last.id, epochId))) return last.key
    const key = epochKey(epochId)
    this.#lastEpoch = { id: epochId, key }
    return key
  }

  #send(o: Outgoing): void {
    this.#inFlight++
    this.#hooks.sent(o, this.#inFlight)
    this.#link.publish(o.topic, o.payload, o.retain, (err) => {
      this.#inFlight--
      if (err === undefined) {
        if (o.retain) {
          this.#announcing.delete(o.epoch)
          this.#announced.add(o.epoch)
        }
        this.#hooks.acked(o, this.#inFlight)
      }
      if (this.#inFlight === 0) this.#settleDrain()
      if (this.#ended) return
      if (err === undefined) this.#pump()
      else this.#hooks.fail(err)
    })
  }
}
