/**
 * Crashes for real: a child process of the current runtime (Bun runs the script as is; for Node,
 * which cannot run TypeScript, esbuild bundles it first, with better-sqlite3 left external) runs
 * bursts of `next()` and `enqueue` on a state folder and is killed with SIGKILL at a random moment,
 * several times over the same folder. After each kill: no sequence number was ever handed out
 * twice, the next one is above all of them, every enqueue whose promise resolved is in the outbox
 * (unless its ack was requested), and nothing acknowledged came back.
 */
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSqlite } from '../../../platform/src/index.ts'
import { cleanupTempDirs, repoRoot, tempDir } from '../../helpers/index.ts'
import { CRASH_CHILD, parseCrashLog } from './_crash_child.ts'
import type { CrashLog } from './_crash_child.ts'
import { closeStores, isBun, openStore } from './_fixture.ts'

let script = CRASH_CHILD

beforeAll(async () => {
  if (isBun) return
  script = join(await tempDir(), 'crash_child.mjs')
  const esbuild = join(repoRoot, 'node_modules/.bin/esbuild')
  execFileSync(esbuild, [
    CRASH_CHILD,
    '--bundle',
    '--platform=node',
    '--format=esm',
    `--outfile=${script}`,
    '--external:better-sqlite3',
    '--external:bun:sqlite',
    '--log-level=warning',
  ])
})

afterAll(async () => {
  await closeStores()
  await cleanupTempDirs()
})

const ROUNDS = 4

/** Runs the child until it has reported `durableLines` resolved items, then SIGKILLs it. */
function runAndKill(stateDir: string, durableLines: number): Promise<CrashLog> {
  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    // The bundle lives in a temporary folder: let it find better-sqlite3 here.
    env: {
      ...process.env,
      SEALWIRE_CRASH_STATE: stateDir,
      NODE_PATH: join(repoRoot, 'node_modules'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  let durable = 0
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString()
      out += text
      durable += text.split('\nD ').length - 1
      if (durable >= durableLines && child.exitCode === null) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`child ended without being killed: ${signal ?? _code}: ${err}`))
      else resolve(parseCrashLog(out))
    })
  })
}

describe(`kill -9 in the middle of next()/enqueue bursts, on ${isBun ? 'Bun' : 'Node'}`, () => {
  it('never reuses a sequence number and loses no resolved enqueue', async () => {
    const stateDir = await tempDir()
    const handed = new Set<number>()
    const durable = new Set<number>()
    const ackRequested = new Set<number>()
    const acked = new Set<number>()
    for (let round = 0; round < ROUNDS; round++) {
      const log = await runAndKill(stateDir, 40 + Math.floor(Math.random() * 400))
      expect(log.handed.length).toBeGreaterThan(0)
      const earlierMax = Math.max(0, ...handed)
      // Each run starts above every number any earlier run handed out.
      expect(log.handed[0]!).toBeGreaterThan(earlierMax)
      for (const seq of log.handed) {
        expect(handed.has(seq)).toBe(false)
        handed.add(seq)
      }
      log.durable.forEach((s) => durable.add(s))
      log.ackRequested.forEach((s) => ackRequested.add(s))
      log.acked.forEach((s) => acked.add(s))

      const db = openSqlite(join(stateDir, 'agent.db'), { readonly: true })
      const stored = new Set(
        db
          .prepare<{ seq: number }>('SELECT seq FROM outbox')
          .all()
          .map((r) => r.seq),
      )
      const bound = db.prepare<{ bound: number }>('SELECT bound FROM sequence').get()!.bound
      db.close()
      const missing = [...durable].filter((s) => !stored.has(s) && !ackRequested.has(s))
      expect(missing).toEqual([])
      expect([...acked].filter((s) => stored.has(s))).toEqual([])
      expect(Math.max(...handed)).toBeLessThanOrEqual(bound)
      for (const s of stored) expect(s).toBeLessThanOrEqual(bound)
    }
    const store = await openStore({ stateDir })
    expect(store.sequence.bootCount).toBe(ROUNDS + 1)
    expect(store.sequence.next()).toBeGreaterThan(Math.max(...handed))
    expect(durable.size).toBeGreaterThan(ROUNDS * 40)
  }, 60_000)
})
