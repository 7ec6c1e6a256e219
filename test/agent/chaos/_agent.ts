/**
 * Chaos-test plumbing around a real `sealwire-agent run`: in process (`main` with an abort
 * signal) or as a child process of its own (so it can be killed with SIGKILL), the ingest API
 * client, and a seeded random number generator.
 *
 * A child agent on Node runs the built JavaScript (`dist/agent/src/`: `npm run build`, or `npm ci`
 * through `prepare`); Node cannot run TypeScript. On Bun it runs `agent/src/` as is. A missing
 * build fails the test with a message saying so; it is never a skip.
 */
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { main } from '../../../agent/src/main.ts'
import { capture, repoRoot } from '../../helpers/index.ts'
import { until } from '../transport/_fixtures.ts'

export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

/** Environment every chaos agent gets: quiet logs, fast reconnects. */
const CHAOS_ENV: Readonly<Record<string, string>> = Object.freeze({
  SEALWIRE_LOG_LEVEL: 'error',
  SEALWIRE_TRANSPORT_BACKOFF_INITIAL_MS: '50',
  SEALWIRE_TRANSPORT_BACKOFF_MAX_MS: '300',
  SEALWIRE_TRANSPORT_DRAIN_MS: '500',
})

const URL_LINE = /ingest (http:\/\/127\.0\.0\.1:\d+)/

/**
 * The agent's entry module for a child process of this runtime: the built `main.js` on Node
 * (Node cannot run TypeScript), `main.ts` on Bun.
 *
 * @throws when the build is missing on Node, saying how to make it.
 */
function agentEntry(): string {
  if (isBun) return join(repoRoot, 'agent/src/main.ts')
  const cli = join(repoRoot, 'dist/agent/src/cli.js')
  const entry = join(repoRoot, 'dist/agent/src/main.js')
  if (!existsSync(cli) || !existsSync(entry)) {
    throw new Error(
      `${cli} is missing: Node cannot run the agent's TypeScript in a child process; ` +
        'run `npm run build` first (in CI `npm ci` builds dist/ through `prepare`)',
    )
  }
  return entry
}

/**
 * The child's script: it loads the agent's modules first (the slow part of a start: a few hundred
 * ms of CPU on Node), says `warm`, and on a line from standard input runs `main(argv)` exactly
 * as `agent/src/cli.ts` does (`runMain(main)`: the exit code becomes the process's). A test
 * can so load the next agent while the current one still runs, and start it the moment the
 * current one is killed.
 */
const WARM_SCRIPT = `
const { main } = await import(process.env.CHAOS_AGENT_ENTRY)
process.stdout.write('warm\\n')
process.stdin.once('data', () => {
  process.stdin.destroy()
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code },
    (err) => { process.stderr.write(String(err && err.stack || err) + '\\n'); process.exitCode = 70 },
  )
})
`

let warmScript: string | undefined

function warmScriptPath(): string {
  if (warmScript === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sealwire-chaos-child-'))
    warmScript = join(dir, 'agent_child.mjs')
    writeFileSync(warmScript, WARM_SCRIPT)
  }
  return warmScript
}

/** Removes the child script's folder (call once, after the children are gone). */
export function removeChildScript(): void {
  if (warmScript !== undefined) rmSync(dirname(warmScript), { recursive: true, force: true })
  warmScript = undefined
}

/** `run` flags for a device folder, a broker and a state folder, ingest on a free port. */
export function runArgs(deviceDir: string, brokerUrl: string, stateDir: string): string[] {
  return [
    'run',
    '--device',
    deviceDir,
    '--broker',
    brokerUrl,
    '--state',
    stateDir,
    '--http',
    '127.0.0.1:0',
  ]
}

/** An agent running in this process. */
export interface InProcessAgent {
  readonly url: string
  out(): string
  err(): string
  /** Aborts the run (as SIGTERM would); resolves with the exit code. */
  stop(): Promise<number>
}

/** Starts `main(args)` in process; resolves once the ingest API answers. */
export async function startInProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<InProcessAgent> {
  const abort = new AbortController()
  const c = capture({ ...CHAOS_ENV, ...env }, false, abort.signal)
  let code: number | undefined
  const running = main(args, c.io).then((n) => (code = n))
  await until(
    () => URL_LINE.test(c.out()) || code !== undefined,
    'the in-process agent to listen',
    20_000,
  )
  if (code !== undefined) throw new Error(`the agent exited ${code} at start: ${c.err()}`)
  return {
    url: URL_LINE.exec(c.out())![1]!,
    out: c.out,
    err: c.err,
    stop: async () => {
      abort.abort()
      return running
    },
  }
}

type Exit = { code: number | null; signal: NodeJS.Signals | null }

/** An agent running as a child process. */
export class AgentChild {
  readonly child: ChildProcessWithoutNullStreams
  readonly exited: Promise<Exit>
  #exit: Exit | undefined
  #out = ''
  #err = ''

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child
    child.stdout.on('data', (b: Buffer) => (this.#out += b.toString('utf8')))
    child.stderr.on('data', (b: Buffer) => {
      this.#err = (this.#err + b.toString('utf8')).slice(-64 * 1024)
    })
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.#exit = { code, signal })))
    })
  }

  /**
   * Spawns a child that loads the agent and waits (see {@link WARM_SCRIPT}); resolves once it is
   * loaded. {@link go} then runs `sealwire-agent <args>` in it.
   */
  static async warm(
    args: readonly string[],
    env: Readonly<Record<string, string>>,
  ): Promise<AgentChild> {
    const entry = pathToFileURL(agentEntry()).href
    const base: Record<string, string> = {}
    for (const [k, v] of Object.entries(process.env)) {
      // A SEALWIRE_* variable of the test runner's own would be refused as unknown (or change
      // a setting): the child gets only ours.
      if (v !== undefined && !k.startsWith('SEALWIRE_')) base[k] = v
    }
    const child = spawn(process.execPath, [warmScriptPath(), ...args], {
      cwd: repoRoot,
      env: { ...base, ...CHAOS_ENV, ...env, CHAOS_AGENT_ENTRY: entry },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const agent = new AgentChild(child)
    await agent.#waitFor(/^warm$/m, 'to load the agent')
    return agent
  }

  /** Runs the loaded agent; resolves once it prints its ingest URL. */
  async go(): Promise<void> {
    this.child.stdin.write('go\n')
    await this.#waitFor(URL_LINE, 'to listen')
  }

  async #waitFor(line: RegExp, what: string): Promise<void> {
    try {
      await until(
        () => line.test(this.#out) || this.#exit !== undefined,
        `the child agent ${what}`,
        60_000,
      )
    } catch (err) {
      this.child.kill('SIGKILL')
      throw new Error(`${(err as Error).message}; stderr: ${this.#err}`, { cause: err })
    }
    if (this.#exit !== undefined) {
      throw new Error(
        `the child agent exited (${this.#exit.code ?? this.#exit.signal}) before it came ${what}: ${this.#err}`,
      )
    }
  }

  get url(): string {
    return URL_LINE.exec(this.#out)![1]!
  }

  get stderr(): string {
    return this.#err
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (this.#exit === undefined) this.child.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM (a clean stop), SIGKILL after `graceMs`; resolves with how it ended. */
  async stop(graceMs = 10_000): Promise<Exit> {
    if (this.#exit === undefined) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

/** The answer to one POST, or the network error that stood for it. */
export interface PostResult {
  readonly status: number
  readonly body: Record<string, unknown> | undefined
  readonly retryAfter: string | null
}

/** POSTs readings as one JSON array; status 0 when no answer came (connection reset). */
export async function postReadings(
  url: string,
  readings: readonly unknown[],
  timeoutMs = 15_000,
): Promise<PostResult> {
  try {
    const res = await fetch(`${url}/v1/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(readings),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    let body: Record<string, unknown> | undefined
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      body = undefined
    }
    return { status: res.status, body, retryAfter: res.headers.get('retry-after') }
  } catch {
    return { status: 0, body: undefined, retryAfter: null }
  }
}

/** GET `path` of the ingest API: status and text. */
export async function getText(
  url: string,
  path: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) })
  return { status: res.status, text: await res.text() }
}

/** The value of one sample of a Prometheus text exposition, or undefined. */
export function metric(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line)
    if (m === null || m[1] !== name) continue
    const have = new Map<string, string>()
    for (const pair of (m[2] ?? '').matchAll(/([a-z_][a-z0-9_]*)="((?:[^"\\]|\\.)*)"/gi)) {
      have.set(pair[1]!, pair[2]!)
    }
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3])
  }
  return undefined
}

/** firmware-sim's seeded generator (xoshiro128**), for kill times a rerun can repeat. */
export { seededRandom } from '../../../firmware-sim/src/index.ts'

/** Polls an async `condition` every 50 ms until true; throws after `timeoutMs` with `what`. */
export async function eventually(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now()
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
