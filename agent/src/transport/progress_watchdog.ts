/**
 * The watchdog: a connection that is "connected" but makes no progress (messages in flight and no
 * PUBACK for `timeoutMs`) is stalled: a half-open TCP connection, a broker that accepts PUBLISH
 * and never answers. TCP and MQTT keepalive do not always catch it (a broker may answer
 * PINGREQ and still drop publishes), so the publisher checks progress itself and reconnects.
 * It sleeps on the injected clock until the deadline, never per message.
 *
 * @example
 * ```ts
 * const dog = new ProgressWatchdog(clock, 30_000, () => link.close(false))
 * dog.busy()      // a message went out while nothing was in flight
 * dog.progress()  // a PUBACK arrived
 * dog.idle()      // nothing in flight any more
 * dog.stop()
 * ```
 */
import type { Clock } from '../../../platform/src/index.ts'

/**
 * Fires `onStall(stalledMs)` once when work is pending and no progress was seen for `timeoutMs`.
 *
 * @example
 * ```ts
 * new ProgressWatchdog(systemClock, 1_000, (ms) => console.log(`stalled ${ms} ms`))
 * ```
 */
export class ProgressWatchdog {
  readonly #clock: Clock
  readonly #timeoutMs: number
  readonly #onStall: (stalledMs: number) => void
  readonly #abort = new AbortController()
  #lastProgress = 0
  #busy = false
  #running = false
  #stopped = false

  constructor(clock: Clock, timeoutMs: number, onStall: (stalledMs: number) => void) {
    this.#clock = clock
    this.#timeoutMs = timeoutMs
    this.#onStall = onStall
  }

  /** Work is pending: starts the timeout unless it is already running. */
  busy(): void {
    if (this.#stopped || this.#busy) return
    this.#busy = true
    this.#lastProgress = this.#clock.monotonic()
    if (!this.#running) void this.#run()
  }

  /** Progress was made: the timeout starts over. */
  progress(): void {
    this.#lastProgress = this.#clock.monotonic()
  }

  /** Nothing is pending any more. */
  idle(): void {
    this.#busy = false
  }

  /** Stops for good; pending sleeps are cancelled. */
  stop(): void {
    this.#stopped = true
    this.#abort.abort()
  }

  async #run(): Promise<void> {
    this.#running = true
    try {
      while (this.#busy && !this.#stopped) {
        const stalled = this.#clock.monotonic() - this.#lastProgress
        if (stalled >= this.#timeoutMs) {
          this.stop()
          this.#onStall(stalled)
          return
        }
        await this.#clock.sleep(this.#timeoutMs - stalled, this.#abort.signal)
      }
    } catch {
      // Aborted by stop(): nothing to do.
    } finally {
      this.#running = false
    }
  }
}
