/**
 * The live progress of a fleet run on stderr: one status line redrawn in place on a terminal (at
 * most every 200 ms), or, in a log file or CI, the status as a plain line every 5 s; notes (a
 * phase done, the broker chosen) always as their own line.
 *
 * @example
 * ```ts
 * const p = new ProgressLine(process.stderr)
 * p.note('broker: embedded aedes at 127.0.0.1:40321 (MQTT 3.1.1)')
 * p.status('[12/60 s] devices 50/50 up · confirmed 1200 · delivered 1180 · outbox 20 · faults 2')
 * p.done()
 * ```
 */
import type { WritableLike } from '../../../platform/src/index.ts'

const TTY_REDRAW_MS = 200
const PLAIN_EVERY_MS = 5_000

/** One status line and notes. */
export class ProgressLine {
  readonly #out: WritableLike
  readonly #tty: boolean
  #shown = false
  #last = 0

  constructor(out: WritableLike) {
    this.#out = out
    this.#tty = out.isTTY === true
  }

  /** A line that stays. */
  note(text: string): void {
    this.#clear()
    this.#out.write(`${text}\n`)
  }

  /** The current status; drawn in place (terminal) or printed now and then. */
  status(text: string): void {
    const now = Date.now()
    if (this.#tty) {
      if (now - this.#last < TTY_REDRAW_MS) return
      this.#last = now
      const width = Math.max(20, (this.#out.columns ?? 100) - 1)
      this.#out.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`)
      this.#shown = true
      return
    }
    if (now - this.#last < PLAIN_EVERY_MS) return
    this.#last = now
    this.#out.write(`${text}\n`)
  }

  /** Clears the status line. */
  done(): void {
    this.#clear()
  }

  #clear(): void {
    if (this.#tty && this.#shown) this.#out.write('\r\x1b[2K')
    this.#shown = false
  }
}
