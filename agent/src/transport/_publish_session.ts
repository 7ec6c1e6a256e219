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
  #pumping = false
  #again = false
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
    void this.#pump()
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

  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true
      return
    }
    this.#pumping = true
    try {
      do {
        this.#again = false
        await this.#fill()
      } while (this.#again && !this.#ended)
    } catch (err) {
      if (!this.#ended) {
        const why = err instanceof Error ? err.message : String(err)
        this.#hooks.fail(
          new TransportError('ERR_TRANSPORT_SOURCE', `outbox read failed: ${why}`, { cause: err }),
        )
      }
    } finally {
      this.#pumping = false
    }
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

  async #fill(): Promise<void> {
    while (!this.#ended && !this.#draining && this.#inFlight < this.#window) {
      if (this.#head >= this.#buffer.length) {
        if (this.#exhausted) return
        const wakeups = this.#wakeups
        const batch = await this.#source.peek(this.#cursor, this.#fetch)
        if (this.#ended) return
        if (batch.length < this.#fetch && wakeups === this.#wakeups) this.#exhausted = true
        if (batch.length === 0) continue
        if (batch[0]!.seq <= this.#cursor) throw new Error('peek returned an old sequence number')
        this.#buffer = batch
        this.#head = 0
        this.#cursor = batch[batch.length - 1]!.seq
        continue
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
      const epoch = epochKey(m.epochId)
      if (m.kind === 'data' && !this.#announced.has(epoch)) {
        // Resumes when that announcement's PUBACK arrives.
        if (this.#announcing.has(epoch)) return
        this.#announcing.add(epoch)
        const a = await this.#source.announcementFor(m.epochId)
        if (this.#ended) return
        if (a === undefined) {
          this.#announcing.delete(epoch)
          this.#announced.add(epoch)
          this.#hooks.missingAnnouncement(m)
          continue
        }
        this.#send({ seq: undefined, topic: a.topic, payload: a.payload, retain: true, epoch })
        continue
      }
      this.#head++
      const announcement = m.kind === 'announcement'
      if (announcement) this.#announcing.add(epoch)
      this.#send({ seq: m.seq, topic: m.topic, payload: m.payload, retain: announcement, epoch })
    }
  }

  #send(o: Outgoing): void {
    this.#inFlight++
    this.#hooks.sent(o, this.#inFlight)
    this.#link.publish(o.topic, o.payload, o.retain).then(
      () => {
        this.#inFlight--
        if (o.retain) {
          this.#announcing.delete(o.epoch)
          this.#announced.add(o.epoch)
        }
        this.#hooks.acked(o, this.#inFlight)
        if (this.#inFlight === 0) this.#settleDrain()
        if (!this.#ended) void this.#pump()
      },
      (err: unknown) => {
        this.#inFlight--
        if (this.#inFlight === 0) this.#settleDrain()
        if (this.#ended) return
        this.#hooks.fail(
          err instanceof TransportError
            ? err
            : new TransportError('ERR_TRANSPORT_CONNECTION_LOST', String(err), { cause: err }),
        )
      },
    )
  }
}
