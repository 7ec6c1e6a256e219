/**
 * Progress of a batch on stderr: a bar redrawn in place when stderr is a terminal, and plain lines
 * otherwise (a log file or CI gets one line per `stepPercent` or per `intervalMs`, whichever comes
 * first, and a last line at 100%).
 *
 * @example
 * ```ts
 * const progress = new ProgressReporter(devices.length, io.stderr)
 * for (const d of devices) { await provision(d); progress.tick() }
 * progress.finish()
 * ```
 */
import type { WritableLike } from './cli/cli_io.ts'
import { platformDefaults } from './defaults.ts'

/** Where progress goes: stderr or anything with `write`. */
export type ProgressSink = WritableLike

/** Options of {@link ProgressReporter}; every one has a default. */
export interface ProgressOptions {
  /** What is counted, for the plain lines ("devices"). */
  readonly label?: string
  /** Milliseconds since some origin; injected by tests. */
  readonly now?: () => number
  readonly intervalMs?: number
  readonly stepPercent?: number
  readonly barWidth?: number
  readonly redrawMs?: number
  /** Force the bar (true) or plain lines (false); by default `sink.isTTY` decides. */
  readonly tty?: boolean
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/**
 * Reports the progress of `total` units of work.
 *
 * @example
 * ```ts
 * const p = new ProgressReporter(1000, process.stderr, { label: 'devices' })
 * p.tick(); p.log('refused dev-7: …'); p.finish()
 * ```
 */
export class ProgressReporter {
  readonly total: number
  #done = 0
  readonly #sink: ProgressSink
  readonly #tty: boolean
  readonly #label: string
  readonly #now: () => number
  readonly #intervalMs: number
  readonly #stepPercent: number
  readonly #barWidth: number
  readonly #redrawMs: number
  readonly #start: number
  #lastOutput: number
  #nextStep: number
  #barShown = false
  #finished = false
  #lastLineDone = -1

  constructor(total: number, sink: ProgressSink, options: ProgressOptions = {}) {
    if (!Number.isInteger(total) || total < 0)
      throw new RangeError('progress: total must be an integer ≥ 0')
    this.total = total
    this.#sink = sink
    this.#tty = options.tty ?? sink.isTTY === true
    this.#label = options.label ?? 'items'
    this.#now = options.now ?? (() => performance.now())
    this.#intervalMs = options.intervalMs ?? platformDefaults.progress.intervalMs
    this.#stepPercent = options.stepPercent ?? platformDefaults.progress.stepPercent
    this.#barWidth = options.barWidth ?? platformDefaults.progress.barWidth
    this.#redrawMs = options.redrawMs ?? platformDefaults.progress.redrawMs
    this.#start = this.#now()
    this.#lastOutput = this.#start
    this.#nextStep = this.#stepPercent
  }

  /** Units done so far. */
  get done(): number {
    return this.#done
  }

  /**
   * Counts `n` more units done and reports when it is time.
   *
   * @example
   * ```ts
   * progress.tick()
   * ```
   */
  tick(n = 1): void {
    this.#done = Math.min(this.total, this.#done + n)
    const now = this.#now()
    if (this.#tty) {
      if (now - this.#lastOutput >= this.#redrawMs || this.#done === this.total) this.#drawBar(now)
      return
    }
    const percent = this.total === 0 ? 100 : (this.#done * 100) / this.total
    if (percent >= this.#nextStep || now - this.#lastOutput >= this.#intervalMs) {
      while (this.#nextStep <= percent) this.#nextStep += this.#stepPercent
      this.#line(now)
    }
  }

  /**
   * Prints a line without breaking the bar: the bar is cleared, the line written, the bar redrawn.
   *
   * @example
   * ```ts
   * progress.log('refused dev-7: ERR_BUNDLE_CONFLICT …')
   * ```
   */
  log(line: string): void {
    if (this.#tty && this.#barShown) this.#sink.write('\r\x1b[K')
    this.#sink.write(`${line}\n`)
    if (this.#tty && this.#barShown) this.#drawBar(this.#now())
  }

  /**
   * Ends the report: the bar at its final state and a newline, or a last plain line if the last
   * one printed was not at 100%.
   *
   * @example
   * ```ts
   * progress.finish()
   * ```
   */
  finish(): void {
    if (this.#finished) return
    this.#finished = true
    const now = this.#now()
    if (this.#tty) {
      this.#drawBar(now)
      this.#sink.write('\n')
    } else if (this.#lastLineDone !== this.#done) {
      this.#line(now)
    }
  }

  #line(now: number): void {
    const percent = this.total === 0 ? 100 : Math.floor((this.#done * 100) / this.total)
    this.#sink.write(
      `progress: ${this.#done}/${this.total} ${this.#label} (${percent}%), ${seconds(now - this.#start)}\n`,
    )
    this.#lastOutput = now
    this.#lastLineDone = this.#done
  }

  #drawBar(now: number): void {
    const fraction = this.total === 0 ? 1 : this.#done / this.total
    const width = Math.max(10, Math.min(this.#barWidth, (this.#sink.columns ?? 80) - 45))
    const full = Math.round(fraction * width)
    const elapsed = now - this.#start
    const rate = elapsed > 0 ? (this.#done * 1000) / elapsed : 0
    const eta =
      rate > 0 && this.#done < this.total
        ? ` eta ${seconds(((this.total - this.#done) * 1000) / rate)}`
        : ''
    this.#sink.write(
      `\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${Math.floor(fraction * 100)}% ` +
        `${this.#done}/${this.total} ${rate.toFixed(0)}/s${eta}\x1b[K`,
    )
    this.#barShown = true
    this.#lastOutput = now
  }
}
