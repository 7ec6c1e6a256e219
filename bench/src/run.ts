/**
 * The benchmark entry point behind `npm run bench`: measures every candidate on Node in this
 * process, then runs the same code on Bun (`node_modules/.bin/bun bench/src/run.ts --child`,
 * TypeScript run directly), collects the Bun half's JSON from its stdout, merges both, prints the
 * markdown and writes it to `bench/RESULTS.md`. The halves run one after the other, never at the
 * same time, so they do not compete for the cores.
 *
 * Rounds, round time and warm-up may be overridden for a quick look with the environment
 * variables `SEALWIRE_BENCH_ROUNDS`, `SEALWIRE_BENCH_ROUND_MS` and `SEALWIRE_BENCH_WARMUP_MS`.
 *
 * @example
 * ```sh
 * npm run bench
 * SEALWIRE_BENCH_ROUNDS=3 SEALWIRE_BENCH_ROUND_MS=50 npm run bench   # smoke run
 * ```
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createContext, SIZES, telemetryPayload } from './bench_context.ts'
import { CANDIDATES } from './candidates.ts'
import type { Plan, Timed } from './measure.ts'
import { defaultPlan, reason, runRounds, sinkValue } from './measure.ts'
import type { Report, Row, RuntimeFailure, RuntimeRun } from './report.ts'
import { acceptanceLines, renderReport } from './report.ts'

/** Prefix of the one stdout line that carries the child's results. */
const RESULT_MARKER = '@@sealwire-bench-result@@ '
/** The Bun half is killed if it runs longer than this. */
const CHILD_TIMEOUT_MS = 10 * 60 * 1000

const bunVersion = (process.versions as { bun?: string }).bun
const runtime = bunVersion ? 'Bun' : 'Node'

function log(line: string): void {
  process.stderr.write(`[${runtime.toLowerCase()}] ${line}\n`)
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name}: expected a positive integer`)
  return n
}

function planFromEnv(): Plan {
  return Object.freeze({
    rounds: envInt('SEALWIRE_BENCH_ROUNDS', defaultPlan.rounds),
    roundMs: envInt('SEALWIRE_BENCH_ROUND_MS', defaultPlan.roundMs),
    warmupMs: envInt('SEALWIRE_BENCH_WARMUP_MS', defaultPlan.warmupMs),
  })
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

/** Measures every candidate at every size on the current runtime. */
async function runHalf(plan: Plan): Promise<RuntimeRun> {
  const started = performance.now()
  const ctx = createContext()
  const timed: Timed[] = []
  const rows: Omit<Row, 'rates'>[] = []
  for (const size of SIZES) {
    const payload = telemetryPayload(size)
    for (const c of CANDIDATES) {
      const key = `${c.id}@${size}`
      const row = { id: c.id, label: c.label, op: c.op, baseline: c.baseline, size }
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
  log(`done (sink ${sinkValue()})`)
  return {
    ok: true,
    runtime,
    version: bunVersion ?? process.version,
    elapsedMs: performance.now() - started,
    rows: rows.map((row) => {
      const key = `${row.id}@${row.size}`
      return { ...row, rates: rates.get(key), error: row.error ?? failed.get(key) }
    }),
  }
}

/** Runs the Bun half in a child process and returns its results, or why there are none. */
function runBunHalf(root: string, plan: Plan): Promise<RuntimeRun | RuntimeFailure> {
  const fail = (error: string): RuntimeFailure => ({ ok: false, runtime: 'Bun', error })
  const bun = join(root, 'node_modules', '.bin', 'bun')
  if (!existsSync(bun)) return Promise.resolve(fail(`no Bun binary at ${bun}`))
  return new Promise((resolve) => {
    const child = spawn(bun, [join(root, 'bench', 'src', 'run.ts'), '--child'], {
      cwd: root,
      env: {
        ...process.env,
        SEALWIRE_BENCH_ROUNDS: String(plan.rounds),
        SEALWIRE_BENCH_ROUND_MS: String(plan.roundMs),
        SEALWIRE_BENCH_WARMUP_MS: String(plan.warmupMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve(fail(reason(err)))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER))
      if (!line) {
        resolve(fail(`the Bun half exited (${signal ?? `code ${code}`}) without results`))
        return
      }
      try {
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as RuntimeRun)
      } catch (err) {
        resolve(fail(`unreadable results from the Bun half: ${reason(err)}`))
      }
    })
  })
}

async function main(): Promise<void> {
  const plan = planFromEnv()
  if (process.argv.includes('--child')) {
    const run = await runHalf(plan)
    await new Promise<void>((resolve) => {
      process.stdout.write(`${RESULT_MARKER}${JSON.stringify(run)}\n`, () => resolve())
    })
    return
  }
  const started = performance.now()
  const root = findRoot()
  const cpu = cpus()
  const date = new Date().toISOString()
  log(`plan: ${plan.rounds} rounds × ${plan.roundMs} ms, warm-up ${plan.warmupMs} ms`)
  const node = await runHalf(plan)
  log('starting the Bun half')
  const bun = await runBunHalf(root, plan)
  if (!bun.ok) log(`Bun half: n/a (${bun.error})`)
  const report: Report = {
    date,
    cpu: `${cpu[0]?.model.trim() ?? 'unknown'} (${cpu.length} logical cores)`,
    plan,
    totalMs: performance.now() - started,
    runs: [node, bun],
  }
  const markdown = renderReport(report)
  writeFileSync(join(root, 'bench', 'RESULTS.md'), markdown)
  process.stdout.write(`${markdown}\n`)
  for (const line of acceptanceLines(report)) process.stdout.write(`${line}\n`)
  process.stdout.write(`wrote ${join(root, 'bench', 'RESULTS.md')}\n`)
}

await main()
