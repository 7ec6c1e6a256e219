/**
 * The hardware source reading a FIFO, as the firmware simulator feeds it: made with `mkfifo`,
 * written from the test. The clock is a ManualClock moved a poll interval per event-loop turn,
 * so nothing waits on real time; that the test's own turns keep running while the source waits
 * on an empty FIFO shows the event loop is never blocked.
 */
import { execFileSync } from 'node:child_process'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../platform/src/index.ts'
import { HardwareEntropySource } from '../../../agent/src/entropy/index.ts'
import { cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { describeEntropySourceContract } from './entropy_source_contract.ts'
import { fairBytes, mulberry32, turns, turnsUntil } from './_helpers.ts'

const POLL_MS = 25
/**
 * Each event-loop turn moves the ManualClock a poll interval, whatever the thread pool's pace, so
 * a loaded machine could take many turns (much clock time) per read. Tests other than the
 * starvation test give a timeout that no such jitter reaches.
 */
const NEVER_MS = 24 * 3600 * 1000

async function makeFifo(): Promise<string> {
  const path = join(await tempDir('sealwire-fifo-'), 'hwrng')
  execFileSync('mkfifo', ['-m', '600', path])
  return path
}

/** Opens the write end without blocking (the reader must already be open). */
async function openWriter(path: string): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_NONBLOCK)
}

/** Opens the write end once the source has opened the read end (ENXIO until then). */
async function writerWhenReaderOpen(path: string, clock: ManualClock): Promise<FileHandle> {
  for (let turn = 0; turn < 20_000; turn++) {
    const w = await openWriter(path).catch((err: { code?: string }) => {
      if (err.code !== 'ENXIO') throw err
      return undefined
    })
    if (w !== undefined) return w
    clock.advance(POLL_MS)
    await turns(1)
  }
  throw new Error('the source never opened the FIFO')
}

/** Writes all of `bytes`, a pipe buffer at a time, letting the reader drain in between. */
async function writeAll(w: FileHandle, bytes: Uint8Array, clock: ManualClock): Promise<void> {
  let at = 0
  while (at < bytes.length) {
    try {
      const { bytesWritten } = await w.write(bytes, at, Math.min(4096, bytes.length - at))
      at += bytesWritten
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw err
      clock.advance(POLL_MS)
      await turns(1)
    }
  }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})
afterAll(cleanupTempDirs)

describeEntropySourceContract('hardware, FIFO', async () => {
  const path = await makeFifo()
  const clock = new ManualClock(0)
  const source = new HardwareEntropySource({
    input: { path },
    clock,
    name: 'fifo',
    starvationTimeoutMs: NEVER_MS,
  })
  const next = mulberry32(300)
  let stuck = false
  let running = true
  // The simulator's side, in the background: each event-loop turn it moves the clock one poll
  // interval and keeps about 2 KiB ahead of what the source has read.
  const simulator = (async () => {
    let w: FileHandle | undefined
    let written = 0
    while (running) {
      w ??= await openWriter(path).catch(() => undefined) // ENXIO until the source opens it
      if (w !== undefined && written - (source.health().tests?.samples ?? 0) < 2048) {
        const chunk = stuck ? new Uint8Array(512).fill(0xa7) : fairBytes(next, 512)
        written += (await w.write(chunk).catch(() => ({ bytesWritten: 0 }))).bytesWritten
      }
      clock.advance(POLL_MS)
      await turns(1)
    }
    await w?.close()
  })()
  return {
    source,
    failureCode: 'ERR_ENTROPY_HEALTH_RCT',
    fail: async () => {
      stuck = true
      await turnsUntil(() => {
        while ((source.health().pool?.bytes ?? 0) >= 32 && source.health().state === 'ok') {
          source.randomBytes(32)
        }
        return source.health().state === 'failed'
      })
    },
    cleanup: async () => {
      running = false
      await simulator
    },
  }
})

describe('HardwareEntropySource over a FIFO (mkfifo)', () => {
  it('waits on an empty FIFO without blocking the event loop, then reads what is written', async () => {
    const path = await makeFifo()
    const clock = new ManualClock(0)
    const source = new HardwareEntropySource({
      input: { path },
      clock,
      starvationTimeoutMs: NEVER_MS,
    })
    cleanups.push(() => source.stop())
    let state = 'pending'
    const started = source.start()
    started.then(
      () => (state = 'resolved'),
      () => (state = 'rejected'),
    )
    // No writer at all: open() did not block, and the loop keeps turning.
    let ticks = 0
    const ticker = setInterval(() => ticks++, 0)
    try {
      for (let i = 0; i < 40; i++) {
        clock.advance(POLL_MS)
        await turns(1)
      }
      await new Promise<void>((resolve) => setTimeout(resolve, 0))
      expect(ticks).toBeGreaterThan(0)
      expect(state).toBe('pending')
      expect(source.health().state).toBe('starting')
      const w = await writerWhenReaderOpen(path, clock)
      cleanups.push(() => w.close())
      // A writer but no data yet (EAGAIN): still waiting, still turning.
      await turns(20)
      expect(state).toBe('pending')
      await writeAll(w, fairBytes(mulberry32(301), 1024 + 320), clock)
      await turnsUntil(() => state !== 'pending', { clock, stepMs: POLL_MS })
      await started
      expect(source.health()).toMatchObject({ state: 'ok', pool: { bytes: 32, blocks: 1 } })
      expect(source.randomBytes(32).length).toBe(32)
    } finally {
      clearInterval(ticker)
    }
  })

  it('reads only what it needs: a full pipe is not slurped (bounded buffering)', async () => {
    const path = await makeFifo()
    const clock = new ManualClock(0)
    const source = new HardwareEntropySource({
      input: { path },
      clock,
      poolBytes: 64,
      starvationTimeoutMs: NEVER_MS,
    })
    cleanups.push(() => source.stop())
    const started = source.start()
    const w = await writerWhenReaderOpen(path, clock)
    cleanups.push(() => w.close())
    // 16 KiB waiting in the pipe; the source needs 1,024 + 2 × 320 = 1,664 of them.
    await w.write(fairBytes(mulberry32(302), 16_384))
    await turnsUntil(() => source.health().pool?.bytes === 64, { clock, stepMs: POLL_MS })
    await started
    expect(source.health().tests?.samples).toBe(1024 + 2 * 320)
    await turns(20)
    expect(source.health().tests?.samples).toBe(1024 + 2 * 320)
  })

  it('survives the writer going away and a new one coming (a simulator restart)', async () => {
    const path = await makeFifo()
    const clock = new ManualClock(0)
    const source = new HardwareEntropySource({
      input: { path },
      clock,
      poolBytes: 32,
      starvationTimeoutMs: NEVER_MS,
    })
    cleanups.push(() => source.stop())
    const started = source.start()
    const first = await writerWhenReaderOpen(path, clock)
    await writeAll(first, fairBytes(mulberry32(303), 1024 + 320), clock)
    await turnsUntil(() => source.health().state === 'ok', { clock, stepMs: POLL_MS })
    await started
    await first.close()
    source.randomBytes(32)
    // End of file with no writer: the reader polls, within the starvation timeout.
    for (let i = 0; i < 100; i++) {
      clock.advance(POLL_MS)
      await turns(1)
    }
    expect(source.health().state).toBe('ok')
    const second = await openWriter(path)
    cleanups.push(() => second.close())
    await writeAll(second, fairBytes(mulberry32(304), 320), clock)
    await turnsUntil(() => source.health().pool?.bytes === 32, { clock, stepMs: POLL_MS })
    expect(source.randomBytes(32).length).toBe(32)
  })

  it('stuck samples written into the FIFO fail the start-up test (RCT)', async () => {
    const path = await makeFifo()
    const clock = new ManualClock(0)
    const source = new HardwareEntropySource({
      input: { path },
      clock,
      starvationTimeoutMs: NEVER_MS,
    })
    cleanups.push(() => source.stop())
    const started = source.start().catch((err: unknown) => err)
    const w = await writerWhenReaderOpen(path, clock)
    cleanups.push(() => w.close())
    await w.write(new Uint8Array(100).fill(0x11))
    await turnsUntil(() => source.health().state === 'failed', { clock, stepMs: POLL_MS })
    expect(await started).toMatchObject({ code: 'ERR_ENTROPY_HEALTH_RCT', latched: true })
    expect(source.health().tests?.samples).toBe(21)
  })

  it('latches ERR_ENTROPY_STARVED when the simulator never writes', async () => {
    const path = await makeFifo()
    const clock = new ManualClock(0)
    const source = new HardwareEntropySource({ input: { path }, clock, starvationTimeoutMs: 2_000 })
    cleanups.push(() => source.stop())
    const started = source.start().catch((err: unknown) => err)
    await turnsUntil(() => source.health().state === 'failed', { clock, stepMs: POLL_MS })
    expect(clock.monotonic()).toBeGreaterThanOrEqual(2_000)
    expect(await started).toMatchObject({ code: 'ERR_ENTROPY_STARVED', latched: true })
  })
})
