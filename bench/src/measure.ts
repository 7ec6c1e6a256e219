/**
 * Timing: warm-up, time-boxed interleaved rounds, median throughput.
 *
 * Every candidate runs for a fixed time per round (not a fixed count), so a slow candidate (the AWS
 * Encryption SDK without caching, ~1k msg/s) costs the same wall time as a fast one. Rounds are
 * interleaved: round r runs every candidate once, in an order rotated by r, so a disturbance (GC
 * debt, a noisy neighbour on a shared machine) spreads over all candidates instead of landing on
 * one. A forced full GC (untimed) before every segment clears the garbage the previous candidate
 * left, so each candidate pays for its own. The reported rate is the median over rounds.
 *
 * @example
 * ```ts
 * const { rates, failed } = await runRounds(timed, defaultPlan, console.error)
 * ```
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * One unit of work. `sync` and `async` steps return a byte count, which is folded into a sink so
 * it cannot be elided, and are called in a loop for the segment's time. A `trial` step runs a
 * whole segment itself (many concurrent calls, a pipeline to a broker) for about `ms` and returns
 * the rate it measured, in its own unit (rows/s, msg/s).
 */
export type Step =
  | { readonly kind: 'sync'; readonly run: () => number }
  | { readonly kind: 'async'; readonly run: () => Promise<number> }
  | { readonly kind: 'trial'; readonly run: (ms: number) => Promise<number> }

/** How long to measure. */
export interface Plan {
  /** Interleaved rounds; the median over them is reported. */
  readonly rounds: number
  /** Time per candidate per round, in milliseconds. */
  readonly roundMs: number
  /** Warm-up time per candidate before the first round, in milliseconds. */
  readonly warmupMs: number
}

/** A step to measure, under a stable key. */
export interface Timed {
  readonly key: string
  readonly step: Step
}

/** Throughput of one candidate over all rounds. */
export interface Rates {
  /** Messages per second in each round, in round order. */
  readonly perRound: readonly number[]
  readonly median: number
  readonly min: number
  readonly max: number
}

/** The default plan: 9 rounds of 200 ms after 150 ms of warm-up (about 2.5 min for both halves). */
export const defaultPlan: Plan = Object.freeze({ rounds: 9, roundMs: 200, warmupMs: 150 })

// Folding every result in here keeps the JIT from treating a step's output as dead.
let sink = 0

/** The accumulated sink (print it, or the engine may in theory still see it as unused). */
export function sinkValue(): number {
  return sink
}

/**
 * Runs a synchronous step for at least `ms` and returns operations per second. The clock is read
 * once per batch; batches grow to about 1 ms so reading it costs nothing measurable.
 */
function timeSync(run: () => number, ms: number): number {
  const start = performance.now()
  const deadline = start + ms
  let ops = 0
  let batch = 1
  let now = start
  for (;;) {
    for (let i = 0; i < batch; i++) sink = (sink + run()) | 0
    ops += batch
    now = performance.now()
    if (now >= deadline) break
    const perOp = (now - start) / ops
    batch = Math.max(1, Math.min(1 << 16, Math.floor(1 / Math.max(perOp, 1e-6))))
  }
  return (ops * 1000) / (now - start)
}

/** As {@link timeSync}, for an asynchronous step: sequential awaited calls, one in flight. */
async function timeAsync(run: () => Promise<number>, ms: number): Promise<number> {
  const start = performance.now()
  const deadline = start + ms
  let ops = 0
  let now = start
  do {
    sink = (sink + (await run())) | 0
    ops++
    now = performance.now()
  } while (now < deadline)
  return (ops * 1000) / (now - start)
}

/**
 * A forced full GC: `Bun.gc(true)` on Bun; on Node the `gc` function of a fresh context after
 * turning on `--expose-gc` at run time (the npm script runs plain `node`). Undefined if neither
 * works, and the rounds simply run without it.
 */
export const collectGarbage: (() => void) | undefined = (() => {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun
  if (bun) return () => bun.gc(true)
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  }
})()

/** Times one step for `ms`. */
function timeStep(step: Step, ms: number): number | Promise<number> {
  switch (step.kind) {
    case 'sync':
      return timeSync(step.run, ms)
    case 'async':
      return timeAsync(step.run, ms)
    case 'trial':
      return step.run(ms)
  }
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Warms up every step, then runs `plan.rounds` interleaved rounds. A step that throws is
 * reported through `failed` and dropped from later rounds; the others carry on.
 */
export async function runRounds(
  timed: readonly Timed[],
  plan: Plan,
  progress: (line: string) => void = () => {},
): Promise<{ rates: Map<string, Rates>; failed: Map<string, string> }> {
  const failed = new Map<string, string>()
  const perRound = new Map<string, number[]>(timed.map((t) => [t.key, []]))
  const attempt = async (t: Timed, ms: number): Promise<number | undefined> => {
    if (failed.has(t.key)) return undefined
    collectGarbage?.()
    try {
      return await timeStep(t.step, ms)
    } catch (err) {
      failed.set(t.key, reason(err))
      return undefined
    }
  }
  progress(
    `warm-up: ${timed.length} steps × ${plan.warmupMs} ms` +
      (collectGarbage ? ', full GC before each segment' : ', no forced GC available'),
  )
  for (const t of timed) await attempt(t, plan.warmupMs)
  for (let r = 0; r < plan.rounds; r++) {
    const t0 = performance.now()
    for (let i = 0; i < timed.length; i++) {
      const t = timed[(i + r) % timed.length]!
      const rate = await attempt(t, plan.roundMs)
      if (rate !== undefined) perRound.get(t.key)!.push(rate)
    }
    progress(`round ${r + 1}/${plan.rounds} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }
  const rates = new Map<string, Rates>()
  for (const [key, list] of perRound) {
    if (failed.has(key) || list.length === 0) continue
    rates.set(key, {
      perRound: list,
      median: median(list),
      min: Math.min(...list),
      max: Math.max(...list),
    })
  }
  return { rates, failed }
}

/** A one-line reason for a failure, for "n/a (reason)" cells. */
export function reason(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  const line = text.split('\n')[0]!.replace(/\|/g, '/')
  return line.length > 120 ? `${line.slice(0, 117)}...` : line
}
