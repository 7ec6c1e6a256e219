/**
 * The benchmark entry point behind `npm run bench`: measures every candidate on Node in this
 * process, then runs the same code on Bun (`node_modules/.bin/bun bench/src/run.ts --child`,
 * TypeScript run directly), collects the Bun half's JSON from its stdout, merges both and prints
 * the markdown report. With `--write` it also writes the report to `bench/RESULTS.md`; without
 * it, nothing is written. The halves run one after the other, never at the same time, so they do
 * not compete for the cores. Flags and plan overrides: see `options.ts` or `--help`.
 *
 * @example
 * ```sh
 * npm run bench                # print only
 * npm run bench -- --write     # print and write bench/RESULTS.md
 * npm run bench -- --quick     # smoke run, well under a minute
 * ```
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { measureAgentRss } from './agent_rss.ts'
import { runAgentRows } from './agent_rows.ts'
import type { BrokerChoice } from './bench_broker.ts'
import { openBenchBroker } from './bench_broker.ts'
import { createContext, SIZES, telemetryPayload } from './bench_context.ts'
import { CANDIDATES } from './candidates.ts'
import { runConsumerRows } from './consumer_rows.ts'
import type { FileRows } from './file_rows.ts'
import { renderFileRows, runFileRowsIsolated } from './file_rows.ts'
import { measureFileRss } from './file_rss.ts'
import { runMarkedChild, writeMarked } from './marked_child.ts'
import type { Plan, Timed } from './measure.ts'
import { reason, runRounds, sinkValue } from './measure.ts'
import type { AgentPlan, Options } from './options.ts'
import { parseOptions, USAGE } from './options.ts'
import type { MemoryResult, PairRow, Report, Row, RuntimeFailure, RuntimeRun } from './report.ts'
import {
  consumerHeadlineLines,
  headlineLines,
  renderConsumerSummary,
  renderReport,
} from './report.ts'

/** Prefix of the one stdout line that carries the child's results. */
const RESULT_MARKER = '@@sealwire-bench-result@@ '
/** The Bun half is killed if it runs longer than this. */
const CHILD_TIMEOUT_MS = 10 * 60 * 1000

const bunVersion = (process.versions as { bun?: string }).bun
const runtime = bunVersion ? 'Bun' : 'Node'

function log(line: string): void {
  process.stderr.write(`[${runtime.toLowerCase()}] ${line}\n`)
}

/** The repository root: the nearest ancestor whose package.json is named `sealwire`. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }
      if (name === 'sealwire') return dir
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('bench: no package.json named "sealwire" above this file')
    dir = parent
  }
}

/** The goal for the agent process's peak RSS on Node. */
const RSS_GOAL_BYTES = 64 * 2 ** 20

/** Measures every candidate at every size, then the agent's rows, on the current runtime. */
async function runHalf(
  plan: Plan,
  agentPlan: AgentPlan,
  brokerChoice: BrokerChoice,
  only: Options['only'],
): Promise<RuntimeRun & { files?: FileRows }> {
  const started = performance.now()
  const ctx = createContext()
  const timed: Timed[] = []
  const rows: Omit<Row, 'rates'>[] = []
  for (const size of only !== undefined ? [] : SIZES) {
    const payload = telemetryPayload(size)
    for (const c of CANDIDATES) {
      const key = `${c.id}@${size}`
      const row = {
        id: c.id,
        label: c.label,
        op: c.op,
        baseline: c.baseline,
        floor: c.floor === true,
        size,
      }
      try {
        const prepared = await c.prepare(payload, ctx)
        timed.push({ key, step: prepared.step })
        rows.push({ ...row, overheadBytes: prepared.overheadBytes })
      } catch (err) {
        log(`${key}: n/a (${reason(err)})`)
        rows.push({ ...row, error: reason(err) })
      }
    }
  }
  const { rates, failed } = await runRounds(timed, plan, log)
  for (const [key, why] of failed) log(`${key}: failed while timed (${why})`)
  log(`crypto rows done (sink ${sinkValue()}); the agent's rows`)
  let pairs: PairRow[] = []
  try {
    if (only === undefined) pairs = await runAgentRows(ctx.spkiDer, agentPlan, brokerChoice, log)
  } catch (err) {
    log(`agent rows: n/a (${reason(err)})`)
  }
  log("the consumer's rows")
  const consumer =
    only === 'files' ? { error: 'not run (--only files)' } : await runConsumerRows(ctx, plan, log)
  if (consumer.error !== undefined) log(`consumer rows: n/a (${consumer.error})`)
  let files: FileRows | undefined
  if (only !== 'consumer') {
    log('the file rows')
    files = await runFileRowsIsolated({ rounds: Math.max(5, Math.ceil(plan.rounds / 2)) }, log)
  }
  log('done')
  return {
    ok: true,
    runtime,
    version: bunVersion ?? process.version,
    elapsedMs: performance.now() - started,
    rows: rows.map((row) => {
      const key = `${row.id}@${row.size}`
      return { ...row, rates: rates.get(key), error: row.error ?? failed.get(key) }
    }),
    pairs,
    consumer,
    ...(files !== undefined && { files }),
  }
}

/**
 * The memory row: one `sealwire-agent run` child per runtime (Node from `dist/`, Bun from the
 * sources) against the bench's broker. The two run at the same time: a peak RSS is not a timing
 * figure, and on a loaded machine this halves the row's wall time.
 */
async function runMemoryRows(
  root: string,
  readings: number,
  brokerChoice: BrokerChoice,
): Promise<{ results: MemoryResult[]; broker?: string }> {
  let broker
  try {
    broker = await openBenchBroker(brokerChoice)
  } catch (err) {
    return {
      results: [{ runtime: 'Node', readings, goalBytes: RSS_GOAL_BYTES, error: reason(err) }],
    }
  }
  log(`agent memory: ${readings.toLocaleString('en-US')} readings per runtime, ${broker.describe}`)
  const mib = (r: MemoryResult) =>
    r.error ?? `peak RSS ${((r.peakRssBytes ?? 0) / 2 ** 20).toFixed(1)} MiB`
  try {
    const bun = join(root, 'node_modules', '.bin', 'bun')
    const [node, onBun] = await Promise.all([
      measureAgentRss({
        runtime: 'Node',
        command: [process.execPath, join(root, 'dist', 'agent', 'src', 'cli.js')],
        broker,
        readings,
        log,
      }).then((r) => ({ ...r, goalBytes: RSS_GOAL_BYTES })),
      existsSync(bun)
        ? measureAgentRss({
            runtime: 'Bun',
            command: [bun, join(root, 'agent', 'src', 'cli.ts')],
            broker,
            readings,
            log,
          })
        : Promise.resolve<MemoryResult>({
            runtime: 'Bun',
            readings,
            error: `no Bun binary at ${bun}`,
          }),
    ])
    log(`agent memory: Node ${mib(node)}; Bun ${mib(onBun)}`)
    return { results: [node, onBun], broker: broker.describe }
  } finally {
    await broker.close()
  }
}

/** Runs the Bun half in a child process and returns its results, or why there are none. */
function runBunHalf(
  root: string,
  plan: Plan,
  quick: boolean,
  only: Options['only'],
): Promise<(RuntimeRun & { files?: FileRows }) | RuntimeFailure> {
  const fail = (error: string): RuntimeFailure => ({ ok: false, runtime: 'Bun', error })
  const bun = join(root, 'node_modules', '.bin', 'bun')
  if (!existsSync(bun)) return Promise.resolve(fail(`no Bun binary at ${bun}`))
  const args = [
    join(root, 'bench', 'src', 'run.ts'),
    '--child',
    ...(quick ? ['--quick'] : []),
    ...(only !== undefined ? ['--only', only] : []),
  ]
  return runMarkedChild<RuntimeRun>(bun, args, {
    marker: RESULT_MARKER,
    cwd: root,
    env: {
      ...process.env,
      SEALWIRE_BENCH_ROUNDS: String(plan.rounds),
      SEALWIRE_BENCH_ROUND_MS: String(plan.roundMs),
      SEALWIRE_BENCH_WARMUP_MS: String(plan.warmupMs),
    },
    timeoutMs: CHILD_TIMEOUT_MS,
  }).then((r) => (r.ok ? r.value : fail(`the Bun half: ${r.error}`)))
}

async function main(options: Options): Promise<void> {
  const { plan, agentPlan } = options
  if (options.child) {
    await writeMarked(RESULT_MARKER, await runHalf(plan, agentPlan, options.broker, options.only))
    return
  }
  const started = performance.now()
  const root = findRoot()
  const cpu = cpus()
  const date = new Date().toISOString()
  const loadBefore = loadavg()[0]!
  log(
    `plan: ${plan.rounds} rounds × ${plan.roundMs} ms, warm-up ${plan.warmupMs} ms` +
      (options.quick ? ' (--quick)' : '') +
      (options.write ? '; will write bench/RESULTS.md' : '; print only (--write to keep it)'),
  )
  const node = await runHalf(plan, agentPlan, options.broker, options.only)
  log('starting the Bun half')
  const bun = await runBunHalf(root, plan, options.quick, options.only)
  if (!bun.ok) log(`Bun half: n/a (${bun.error})`)
  if (options.only !== 'consumer') {
    const rss = await measureFileRss(root, log)
    Object.assign(node, { files: { rates: [], ...node.files, rss } })
  }
  const memory =
    options.only === undefined
      ? await runMemoryRows(root, agentPlan.rssReadings, options.broker)
      : { results: [] }
  const report: Report = {
    date,
    cpu: `${cpu[0]?.model.trim() ?? 'unknown'} (${cpu.length} logical cores)`,
    plan,
    agentPlan,
    memory: memory.results,
    ...(memory.broker !== undefined && { memoryBroker: memory.broker }),
    quick: options.quick,
    load: [loadBefore, loadavg()[0]!],
    totalMs: performance.now() - started,
    runs: [node, bun],
  }
  const markdown =
    options.only === 'consumer'
      ? [
          `# sealwire benchmark: the consumer's rows only (--only consumer, ${date})`,
          ...renderConsumerSummary(report),
          '',
          `plan: ${plan.rounds} rounds × ${plan.roundMs} ms after ${plan.warmupMs} ms of warm-up; ` +
            `1-min load average ${report.load![0].toFixed(1)} → ${report.load![1].toFixed(1)} on ${report.cpu}`,
        ].join('\n')
      : options.only === 'files'
        ? `# sealwire benchmark: the file rows only (--only files, ${date})`
        : renderReport(report)
  const fileSection = renderFileRows([
    ['Node', node.files],
    ['Bun', bun.ok ? bun.files : undefined],
  ]).join('\n')
  process.stdout.write(`${markdown}\n${options.only === 'consumer' ? '' : `${fileSection}\n`}`)
  // The headline again at the end, where a terminal leaves it in view.
  const headline =
    options.only === 'consumer'
      ? consumerHeadlineLines(report)
      : options.only === 'files'
        ? []
        : headlineLines(report)
  for (const line of headline) process.stdout.write(`${line}\n`)
  if (options.write) {
    const target = join(root, 'bench', 'RESULTS.md')
    writeFileSync(target, `${markdown}\n${fileSection}\n`)
    process.stdout.write(`wrote ${target}\n`)
  }
}

let options: Options
try {
  options = parseOptions(process.argv.slice(2), process.env)
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
  process.exit(2)
}
if (options.help) process.stdout.write(USAGE)
else await main(options)
