/**
 * xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), seeded
 * from one 32-bit integer through splitmix32 as its authors recommend (a state of all zeros is
 * impossible that way). Not cryptographic, on purpose: the noise model and the fault schedules
 * need the same numbers for the same seed on every runtime and machine, and a test must be able
 * to replay a run. The one generator of firmware-sim.
 */

/** splitmix32 (the 32-bit variant of Steele, Lea and Flood's SplitMix), one step. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0
  let z = state.s
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** A seeded generator of unsigned 32-bit integers. */
export class Xoshiro128 {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    const sm = { s: seed | 0 }
    this.#a = splitmix32(sm)
    this.#b = splitmix32(sm)
    this.#c = splitmix32(sm)
    this.#d = splitmix32(sm)
  }

  /** A generator in the given state, for the reference vectors (a state of all zeros is stuck). */
  static fromState(state: readonly [number, number, number, number]): Xoshiro128 {
    const g = new Xoshiro128(0)
    ;[g.#a, g.#b, g.#c, g.#d] = state.map((x) => x | 0) as [number, number, number, number]
    return g
  }

  /** The next value in [0, 2³²). */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0
    const t = this.#b << 9
    this.#c ^= this.#a
    this.#d ^= this.#b
    this.#b ^= this.#c
    this.#a ^= this.#d
    this.#c ^= t
    this.#d = rotl(this.#d, 11)
    return result
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/**
 * Numbers uniform in [0, 1), determined by `seed` (xoshiro128**, 32 bits per number).
 *
 * @example
 * ```ts
 * const random = seededRandom(7)
 * random() // the same first number on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  const g = new Xoshiro128(seed)
  return () => g.next() / 4_294_967_296
}
