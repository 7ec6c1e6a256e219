/**
 * Helpers of the entropy tests: a seeded noise model with faults (a stand-in for the firmware
 * simulator's), and a way to let background work run for a number of event-loop turns, moving a
 * ManualClock, without waiting on real time.
 */
import type { ManualClock } from '../../../platform/src/index.ts'

/** mulberry32: a small seeded 32-bit generator (not cryptographic; tests only). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** `n` uniformly distributed bytes from a seeded generator. */
export function fairBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 4) {
    const x = next()
    out[i] = x & 0xff
    if (i + 1 < n) out[i + 1] = (x >>> 8) & 0xff
    if (i + 2 < n) out[i + 2] = (x >>> 16) & 0xff
    if (i + 3 < n) out[i + 3] = x >>> 24
  }
  return out
}

/** What the noise model emits. */
export type NoiseMode =
  | { readonly kind: 'fair' }
  | { readonly kind: 'stuck'; readonly value: number }
  | { readonly kind: 'biased'; readonly value: number; readonly p: number }
  | { readonly kind: 'silent' }
  | { readonly kind: 'pattern'; readonly samples: Uint8Array }

/**
 * A seeded 8-bit noise source with switchable faults. `generate` is the in-process input of the
 * hardware source; `produced` counts every sample handed out.
 */
export class SeededNoise {
  readonly #next: () => number
  mode: NoiseMode = { kind: 'fair' }
  /** Largest chunk handed out per call (a slow source gives less). */
  maxPerCall = Infinity
  /** Samples left before the source goes silent for good. */
  budget = Infinity
  produced = 0
  #patternAt = 0

  constructor(seed: number) {
    this.#next = mulberry32(seed)
  }

  readonly generate = (n: number): Uint8Array => {
    const k = Math.min(n, this.maxPerCall, this.budget)
    this.budget -= k
    const m = this.mode
    let out: Uint8Array
    if (k === 0) return new Uint8Array(0)
    switch (m.kind) {
      case 'silent':
        this.budget += k
        return new Uint8Array(0)
      case 'fair':
        out = fairBytes(this.#next, k)
        break
      case 'stuck':
        out = new Uint8Array(k).fill(m.value)
        break
      case 'biased':
        out = new Uint8Array(k)
        for (let i = 0; i < k; i++) {
          const u = this.#next() / 2 ** 32
          out[i] = u < m.p ? m.value : this.#next() & 0xff
        }
        break
      case 'pattern':
        out = new Uint8Array(k)
        for (let i = 0; i < k; i++) out[i] = m.samples[this.#patternAt++ % m.samples.length]!
        break
    }
    this.produced += out.length
    return out
  }
}

/**
 * Lets background work run: up to `maxTurns` event-loop turns (each a `setImmediate`), moving
 * `clock` by `stepMs` per turn, until `done()` holds. Throws if it never does.
 */
export async function turnsUntil(
  done: () => boolean,
  options: { clock?: ManualClock; stepMs?: number; maxTurns?: number } = {},
): Promise<number> {
  const max = options.maxTurns ?? 20_000
  for (let turn = 0; turn < max; turn++) {
    if (done()) return turn
    if (options.clock !== undefined && (options.stepMs ?? 0) > 0) {
      options.clock.advance(options.stepMs!)
    }
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  throw new Error(`condition not met within ${max} event-loop turns`)
}

/** `turns` event-loop turns. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Hex of bytes, for checking that no bytes leak into text. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
