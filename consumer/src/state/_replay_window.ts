/**
 * One device's sliding replay window, in memory: the highest number marked and a circular bitmap
 * of the `size` numbers `(highest - size, highest]`, bit `seq mod size` for `seq` (RFC 4303
 * §3.4.3, RFC 6479's bitmap without the block shift). The Redis implementation runs the same
 * algorithm in Lua (`_redis_scripts.ts`); the contract suite holds both to it.
 */
import type { MarkResult, ReplayVerdict } from './consumer_state.ts'

/** A device's replay window. */
export class ReplayWindow {
  readonly #size: number
  readonly #bits: Uint8Array
  #highest = -1

  constructor(size: number) {
    this.#size = size
    this.#bits = new Uint8Array(Math.ceil(size / 8))
  }

  #get(seq: number): boolean {
    const p = seq % this.#size
    return (this.#bits[p >> 3]! & (1 << (p & 7))) !== 0
  }

  #set(seq: number, on: boolean): void {
    const p = seq % this.#size
    if (on) this.#bits[p >> 3]! |= 1 << (p & 7)
    else this.#bits[p >> 3]! &= ~(1 << (p & 7))
  }

  verdict(seq: number): ReplayVerdict {
    if (this.#highest < 0 || seq > this.#highest) return 'new'
    if (seq <= this.#highest - this.#size) return 'too-old'
    return this.#get(seq) ? 'duplicate' : 'new'
  }

  mark(seq: number): MarkResult {
    const previous = this.#highest
    if (previous < 0 || seq > previous) {
      if (previous < 0 || seq - previous >= this.#size) this.#bits.fill(0)
      // The numbers previous+1 … seq enter the window: their bits still hold older numbers'.
      else for (let s = previous + 1; s <= seq; s++) this.#set(s, false)
      this.#set(seq, true)
      this.#highest = seq
      return { highest: seq, gap: previous < 0 ? 0 : seq - previous - 1, newly: true }
    }
    if (seq <= previous - this.#size) return { highest: previous, gap: 0, newly: false }
    const newly = !this.#get(seq)
    this.#set(seq, true)
    return { highest: previous, gap: 0, newly }
  }
}
