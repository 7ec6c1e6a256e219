/**
 * The command line of `npm run bench` (`node dist/bench/src/run.js [flags]`) and the plan it
 * selects. Unknown flags, positionals and repeated flags are refused.
 *
 * Plan precedence: the default (or the `--quick` plan), then `SEALWIRE_BENCH_ROUNDS`,
 * `SEALWIRE_BENCH_ROUND_MS` and `SEALWIRE_BENCH_WARMUP_MS` where set.
 *
 * @example
 * ```ts
 * const options = parseOptions(['--quick'], process.env) // { write: false, quick: true, ... }
 * ```
 */
import { parseArgs } from 'node:util'
import type { Plan } from './measure.ts'
import { defaultPlan } from './measure.ts'

/** The `--quick` plan: 3 rounds of 50 ms after 50 ms of warm-up (about 30 s for both halves). */
export const quickPlan: Plan = Object.freeze({ rounds: 3, roundMs: 50, warmupMs: 50 })

/** What the command line asks for. */
export interface Options {
  /** Print usage and exit. */
  readonly help: boolean
  /** Also write `bench/RESULTS.md`. */
  readonly write: boolean
  /** The quick plan instead of the default one. */
  readonly quick: boolean
  /** Internal: run as the Bun half and print JSON results. */
  readonly child: boolean
  readonly plan: Plan
}

/** Usage text for `--help`. */
export const USAGE = `usage: npm run bench [-- [--write] [--quick] [--help]]

Measures sealwire against its peers (minimal hybrid baselines, raw AES-256-GCM, jose JWE, the AWS
Encryption SDK) at 256 B, 1 KiB and 16 KiB, on Node (this process) then on Bun (a child), and
prints the report as markdown. The summary table at the top gives sealwire's compact seal and
open against the fastest baseline and against raw AES-GCM. See bench/README.md.

  --write   also write the report to bench/RESULTS.md (without it, nothing is written)
  --quick   ${quickPlan.rounds} rounds of ${quickPlan.roundMs} ms after ${quickPlan.warmupMs} ms of warm-up instead of ${defaultPlan.rounds} × ${defaultPlan.roundMs} ms
            after ${defaultPlan.warmupMs} ms: a smoke check in well under a minute, too noisy for numbers to keep
  --help    print this and exit

environment (each overrides the plan, --quick or not):
  SEALWIRE_BENCH_ROUNDS     interleaved rounds (default ${defaultPlan.rounds})
  SEALWIRE_BENCH_ROUND_MS   time per candidate per round, ms (default ${defaultPlan.roundMs})
  SEALWIRE_BENCH_WARMUP_MS  warm-up per candidate, ms (default ${defaultPlan.warmupMs})
`

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name}: expected a positive integer`)
  return n
}

/**
 * Parses the flags and the plan overrides.
 *
 * @throws {TypeError} an unknown flag, a positional argument or a repeated flag
 * @throws {RangeError} a plan override that is not a positive integer
 */
export function parseOptions(args: readonly string[], env: NodeJS.ProcessEnv): Options {
  const { values, tokens } = parseArgs({
    args: [...args],
    options: {
      help: { type: 'boolean', short: 'h' },
      write: { type: 'boolean' },
      quick: { type: 'boolean' },
      child: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
    tokens: true,
  })
  const seen = new Set<string>()
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    if (seen.has(token.name)) throw new TypeError(`--${token.name} given more than once`)
    seen.add(token.name)
  }
  const quick = values.quick === true
  const base = quick ? quickPlan : defaultPlan
  const plan = Object.freeze({
    rounds: envInt(env, 'SEALWIRE_BENCH_ROUNDS', base.rounds),
    roundMs: envInt(env, 'SEALWIRE_BENCH_ROUND_MS', base.roundMs),
    warmupMs: envInt(env, 'SEALWIRE_BENCH_WARMUP_MS', base.warmupMs),
  })
  return {
    help: values.help === true,
    write: values.write === true,
    quick,
    child: values.child === true,
    plan,
  }
}
