/**
 * The command line of `npm run bench` (`node dist/bench/src/run.js [flags]`) and the plan it
 * selects. Unknown flags, positionals and repeated flags are refused.
 *
 * Plan precedence: the default (or the `--quick` plan), then `SEALWIRE_BENCH_ROUNDS`,
 * `SEALWIRE_BENCH_ROUND_MS` and `SEALWIRE_BENCH_WARMUP_MS` where set (the crypto rows), and
 * `SEALWIRE_BENCH_RSS_READINGS` (the agent's memory row). The agent's other rows have their own
 * fixed plans ({@link defaultAgentPlan}, {@link quickAgentPlan}).
 *
 * @example
 * ```ts
 * const options = parseOptions(['--quick'], process.env) // { write: false, quick: true, ... }
 * ```
 */
import { parseArgs } from 'node:util'
import type { BrokerChoice } from './bench_broker.ts'
import type { Plan } from './measure.ts'
import { defaultPlan } from './measure.ts'

/** The `--quick` plan: 3 rounds of 50 ms after 50 ms of warm-up (about 30 s for both halves). */
export const quickPlan: Plan = Object.freeze({ rounds: 3, roundMs: 50, warmupMs: 50 })

/** How long the agent's rows run (see `agent_rows.ts`, `agent_rss.ts`). */
export interface AgentPlan {
  /** Interleaved rounds of every pair; the median over them is reported. */
  readonly rounds: number
  /** Outbox and bare-insert segments: time per round and warm-up, ms. */
  readonly outbox: { readonly roundMs: number; readonly warmupMs: number }
  /** Agent-to-broker and bare-publisher segments: publishing time per round and warm-up, ms. */
  readonly mqtt: { readonly roundMs: number; readonly warmupMs: number }
  /** Readings the memory row's agent process seals and publishes. */
  readonly rssReadings: number
}

/** The default plan of the agent rows (about 1 min per runtime, plus the memory row). */
export const defaultAgentPlan: AgentPlan = Object.freeze({
  rounds: 5,
  outbox: Object.freeze({ roundMs: 400, warmupMs: 200 }),
  mqtt: Object.freeze({ roundMs: 1_500, warmupMs: 500 }),
  rssReadings: 100_000,
})

/** The `--quick` plan of the agent rows: 2 short rounds, 2,000 readings for the memory row. */
export const quickAgentPlan: AgentPlan = Object.freeze({
  rounds: 2,
  outbox: Object.freeze({ roundMs: 100, warmupMs: 50 }),
  mqtt: Object.freeze({ roundMs: 300, warmupMs: 100 }),
  rssReadings: 2_000,
})

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
  readonly agentPlan: AgentPlan
  /** The agent rows' broker: Mosquitto when it answers (`auto`), or the in-process aedes. */
  readonly broker: BrokerChoice
  /** `--only consumer|files`: those rows alone, on both runtimes (a partial report). */
  readonly only: 'consumer' | 'files' | undefined
}

/** Usage text for `--help`. */
export const USAGE = `usage: npm run bench [-- [--write] [--quick] [--help]]

Measures sealwire against its peers (minimal hybrid baselines, raw AES-256-GCM, jose JWE, the AWS
Encryption SDK) at 256 B, 1 KiB and 16 KiB, and the agent against bare SQLite and a bare mqtt.js
publisher (Mosquitto at 127.0.0.1:1883 when it answers, else an in-process aedes), on Node (this
process) then on Bun (a child); then the peak RSS of an agent process publishing 100,000
readings. Prints the report as markdown. The summary tables at the top give sealwire's compact
seal and open against the fastest baseline and against raw AES-GCM, and the agent's ratios
against its bare peers. See bench/README.md.

  --write   also write the report to bench/RESULTS.md (without it, nothing is written)
  --quick   ${quickPlan.rounds} rounds of ${quickPlan.roundMs} ms after ${quickPlan.warmupMs} ms of warm-up instead of ${defaultPlan.rounds} × ${defaultPlan.roundMs} ms
            after ${defaultPlan.warmupMs} ms: a smoke check in well under a minute, too noisy for numbers to keep
  --only consumer  only the consumer's rows (raw AES-GCM decrypt, the consumer's open stage, its
            pipeline, KMS calls), on Node then Bun: a partial report, never written (no --write)
  --only files  only the large-file rows (stream seal/open at 1 MiB and 256 MiB against raw
            AES-GCM and the AWS ESDK's streams, and sealwire-file's peak RSS at 256 MiB)
  --help    print this and exit

environment (each overrides the plan, --quick or not):
  SEALWIRE_BENCH_ROUNDS     interleaved rounds (default ${defaultPlan.rounds})
  SEALWIRE_BENCH_ROUND_MS   time per candidate per round, ms (default ${defaultPlan.roundMs})
  SEALWIRE_BENCH_WARMUP_MS  warm-up per candidate, ms (default ${defaultPlan.warmupMs})
  SEALWIRE_BENCH_RSS_READINGS  readings of the agent memory row (default ${defaultAgentPlan.rssReadings.toLocaleString('en-US')}, --quick ${quickAgentPlan.rssReadings.toLocaleString('en-US')})
  SEALWIRE_BENCH_BROKER     auto (default: Mosquitto at 127.0.0.1:1883 when it answers, else an
                            in-process aedes) or aedes (always the in-process aedes)
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
      only: { type: 'string' },
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
  if (values.only !== undefined && values.only !== 'consumer' && values.only !== 'files') {
    throw new TypeError(`--only: expected consumer or files, got ${JSON.stringify(values.only)}`)
  }
  if (values.only !== undefined && values.write === true) {
    throw new TypeError('--only gives a partial report: it cannot be written (--write)')
  }
  const quick = values.quick === true
  const base = quick ? quickPlan : defaultPlan
  const plan = Object.freeze({
    rounds: envInt(env, 'SEALWIRE_BENCH_ROUNDS', base.rounds),
    roundMs: envInt(env, 'SEALWIRE_BENCH_ROUND_MS', base.roundMs),
    warmupMs: envInt(env, 'SEALWIRE_BENCH_WARMUP_MS', base.warmupMs),
  })
  const agentBase = quick ? quickAgentPlan : defaultAgentPlan
  const agentPlan = Object.freeze({
    ...agentBase,
    rssReadings: envInt(env, 'SEALWIRE_BENCH_RSS_READINGS', agentBase.rssReadings),
  })
  const broker = env.SEALWIRE_BENCH_BROKER || 'auto'
  if (broker !== 'auto' && broker !== 'aedes') {
    throw new RangeError('SEALWIRE_BENCH_BROKER: expected auto or aedes')
  }
  return {
    help: values.help === true,
    write: values.write === true,
    quick,
    child: values.child === true,
    plan,
    agentPlan,
    broker,
    only: values.only,
  }
}
