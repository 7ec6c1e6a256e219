/**
 * Follows the consumer's JSONL sink while the run goes on: counts delivered readings and knows
 * which readings have arrived, so the runner can tell when the drain is complete. The final
 * verdict reads the whole file again through the verifier (strictly); this is the live view.
 *
 * @example
 * ```ts
 * const tail = new SinkTail(path)
 * await tail.poll()
 * tail.delivered // lines read so far
 * ```
 */
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'

const CHUNK = 1 << 20

/** The live view of a JSONL sink. */
export class SinkTail {
  /** Lines read (each a delivered reading, duplicates included). */
  delivered = 0
  readonly #path: string
  readonly #seen = new Set<string>()
  #file: FileHandle | undefined
  #offset = 0
  #partial = ''
  #decoder = new TextDecoder()

  constructor(path: string) {
    this.#path = path
  }

  /** True when reading `value` of device `id` has been delivered. */
  has(id: string, value: number): boolean {
    return this.#seen.has(`${id}\u0000${value}`)
  }

  /** Reads what was appended since the last call. */
  async poll(): Promise<void> {
    if (this.#file === undefined) {
      try {
        this.#file = await open(this.#path, 'r')
      } catch {
        return // not created yet
      }
    }
    const buf = Buffer.allocUnsafe(CHUNK)
    for (;;) {
      const { bytesRead } = await this.#file.read(buf, 0, CHUNK, this.#offset)
      if (bytesRead === 0) return
      this.#offset += bytesRead
      const text =
        this.#partial + this.#decoder.decode(buf.subarray(0, bytesRead), { stream: true })
      const lines = text.split('\n')
      this.#partial = lines.pop()!
      for (const line of lines) this.#take(line)
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.#file?.close()
    this.#file = undefined
  }

  #take(line: string): void {
    if (line === '') return
    let r: { deviceId?: unknown; value?: unknown }
    try {
      r = JSON.parse(line) as typeof r
    } catch {
      return // the verifier reports malformed lines; the live view skips them
    }
    this.delivered++
    if (typeof r.deviceId !== 'string' || typeof r.value !== 'number') return
    this.#seen.add(`${r.deviceId}\u0000${r.value}`)
  }
}
