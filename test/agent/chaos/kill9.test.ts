/**
 * `kill -9` of the agent process (issue 8, "Tests"): 20 times, the agent runs as a child process
 * on one state folder while two posters send readings continuously, and is killed with SIGKILL
 * at a random moment 0.3–1.5 s after its ingest API came up; then it starts again. A last life
 * drains the outbox and stops cleanly. On the wire (an in-process aedes broker, MQTT 3.1.1):
 *
 * - every reading whose POST got 200 is delivered;
 * - no sequence number is carried by two distinct messages, and no (epoch, sequence) pair
 *   repeats (no nonce reuse);
 * - no reading is in two distinct messages (nothing is sealed twice).
 *
 * Each process is spawned (and loads the agent's modules) while the one before still runs, and
 * runs `main` — what `sealwire-agent` runs — only once that one is dead (`AgentChild.warm`): on a
 * 2-core machine loading takes longer than a life, and 21 cold starts in a row would double the
 * test's time.
 *
 * Readings whose POST got no answer (the process died under it) may be lost or delivered: they
 * are counted and logged. The kill moments come from a seeded generator: the seed is in the log
 * line and in every failure message; `CHAOS_SEED=<n>` runs the same schedule again.
 */
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { main } from '../../../agent/src/main.ts'
import { capture, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { makeDevice } from '../_device.ts'
import { AedesHarness } from '../transport/_aedes.ts'
import { uniquePrefix, until } from '../transport/_fixtures.ts'
import {
  AgentChild,
  eventually,
  isBun,
  postReadings,
  removeChildScript,
  runArgs,
  seededRandom,
} from './_agent.ts'
import { WireLog } from './_wire.ts'

const LIVES = 20
const POSTERS = 2
const PER_POST = 20
const LIFE_MIN_MS = 300
const LIFE_MAX_MS = 1_500

const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
  await cleanupTempDirs()
})
afterAll(removeChildScript)

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

describe(`kill -9 of the agent process, ${LIVES} times (${isBun ? 'Bun, agent/src' : 'Node, dist/agent/src'})`, () => {
  it('delivers every reading answered 200 and never reuses a sequence number (seed in the log)', async () => {
    const t0 = Date.now()
    const rng = seededRandom(SEED)
    const why = `seed ${SEED} (CHAOS_SEED=${SEED} repeats the kill schedule)`
    const root = await tempDir('sealwire-chaos-kill9-')
    const prefix = uniquePrefix()
    const device = await makeDevice(join(root, 'dev-1'), 'dev-1', prefix)
    const wire = new WireLog(device)
    const broker = new AedesHarness()
    broker.subscribe(`${prefix}/#`, (p) => wire.take(p.topic, p.payload))
    await broker.start()
    cleanups.push(() => broker.stop())
    const state = join(root, 'state')
    const args = runArgs(device.dir, broker.url, state)
    const env = { SEALWIRE_BROKER_PROTOCOL_VERSION: '4' }

    let nextId = 0
    const ok = new Set<number>()
    const unanswered = new Set<number>()
    const other: string[] = []
    const lives: string[] = []

    const alive: AgentChild[] = []
    cleanups.push(async () => {
      for (const a of alive) await a.kill9()
    })
    const warm = (): Promise<AgentChild> => {
      const p = AgentChild.warm(args, env).then((a) => (alive.push(a), a))
      p.catch(() => undefined)
      return p
    }
    let agent = await warm()
    await agent.go()
    for (let life = 1; life <= LIVES; life++) {
      // The next process loads the agent's modules while this one runs; it starts (opens the
      // state folder) only after this one is dead.
      const next = warm()
      const lifeMs = Math.round(LIFE_MIN_MS + rng() * (LIFE_MAX_MS - LIFE_MIN_MS))
      let running = true
      let posts = 0
      const url = agent.url
      const poster = async (): Promise<void> => {
        while (running) {
          const ids = Array.from({ length: PER_POST }, () => nextId++)
          const res = await postReadings(
            url,
            ids.map((id) => ({ stream: `k${id % 2}`, value: { id } })),
            10_000,
          )
          posts++
          if (res.status === 200) for (const id of ids) ok.add(id)
          else if (res.status === 0) for (const id of ids) unanswered.add(id)
          else other.push(`life ${life}: ${res.status} ${JSON.stringify(res.body)}`)
          if (res.status === 0) return
        }
      }
      const posting = Promise.all(Array.from({ length: POSTERS }, poster))
      await sleep(lifeMs)
      await agent.kill9()
      running = false
      await posting
      const { signal } = await agent.exited
      expect(signal, `life ${life}: ${why}: ${agent.stderr}`).toBe('SIGKILL')
      const tKill = Date.now()
      agent = await next
      const tWarm = Date.now()
      await agent.go()
      lives.push(`${lifeMs}ms/${posts}(+${tWarm - tKill}+${Date.now() - tWarm})`)
    }

    // The last life (started above): no kill; it drains what the others left, stops cleanly.
    const last = agent
    try {
      await until(
        () => [...ok].every((id) => wire.readings.has(id)),
        'every reading answered 200',
        30_000,
      )
    } catch (err) {
      const missing = [...ok].filter((id) => !wire.readings.has(id))
      throw new Error(
        `${why}: ${missing.length} readings answered 200 not delivered, e.g. ${missing.slice(0, 10).join(', ')}; errors ${JSON.stringify(wire.errors.slice(0, 3))}`,
        { cause: err },
      )
    }
    // Let the outbox drain (unanswered readings that were committed come out too).
    await eventually(async () => {
      const s = capture()
      expect(await main(['status', '--state', state, '--json'], s.io)).toBe(0)
      return (JSON.parse(s.out()) as { outbox: { pending: number } }).outbox.pending === 0
    }, 'the outbox to drain')
    const end = await last.stop()
    expect(end, `${why}: ${last.stderr}`).toEqual({ code: 0, signal: null })
    await wire.settled()

    expect(wire.errors, why).toEqual([])
    expect(other, why).toEqual([])
    expect(
      [...ok].filter((id) => !wire.readings.has(id)),
      why,
    ).toEqual([])
    expect(wire.reusedSeqs(), why).toEqual([])
    expect(wire.repeatedEpochSeqs(), why).toEqual([])
    expect(
      [...wire.readings].filter(([, n]) => n !== 1).map(([id]) => id),
      why,
    ).toEqual([])
    // Nothing arrives that was never sent.
    expect(
      [...wire.readings.keys()].filter((id) => !ok.has(id) && !unanswered.has(id)),
      why,
    ).toEqual([])
    expect(ok.size, why).toBeGreaterThan(0)

    const unansweredDelivered = [...unanswered].filter((id) => wire.readings.has(id)).length
    console.info(
      `kill -9, ${why}: ${LIVES} kills in ${Date.now() - t0} ms; lives (ms/posts) ${lives.join(' ')}; ` +
        `${nextId} readings posted, ${ok.size} answered 200 (all delivered), ${unanswered.size} unanswered ` +
        `(${unansweredDelivered} delivered, ${unanswered.size - unansweredDelivered} lost); ` +
        `${wire.dataMessages} distinct data messages in ${wire.epochs.size} epochs, ${wire.duplicates} duplicates`,
    )
  }, 150_000)
})
