/**
 * Hands PUBACKed sequence numbers to the outbox in batches: the first goes at once, the ones that
 * arrive while an `ack` call runs go together in the next call, so a fast broker costs a few
 * outbox transactions, not one per message. A failed `ack` leaves the messages queued: they are
 * sent again after the next reconnect (a duplicate the consumer drops, never a loss).
 */
import type { OutboxSource } from './outbox_source.ts'

/** Coalesces `source.ack` calls. */
export class AckBatcher {
  readonly #source: OutboxSource
  readonly #onError: (err: unknown) => void
  #pending: number[] = []
  #running: Promise<void> | undefined

  constructor(source: OutboxSource, onError: (err: unknown) => void) {
    this.#source = source
    this.#onError = onError
  }

  /** Queues `seq` for acknowledgement. */
  add(seq: number): void {
    this.#pending.push(seq)
    // A microtask lets the PUBACKs parsed from one TCP read join the first call.
    this.#running ??= Promise.resolve().then(() => this.#flush())
  }

  /** Resolves when every queued number has been handed to the source. */
  idle(): Promise<void> {
    return this.#running ?? Promise.resolve()
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending
        this.#pending = []
        try {
          await this.#source.ack(batch)
        } catch (err) {
          this.#onError(err)
        }
      }
    } finally {
      this.#running = undefined
    }
  }
}
