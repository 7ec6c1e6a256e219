/**
 * The emulated hardware RNG through a FIFO (issue 10, item 1): `serveNoiseFifo` makes the FIFO
 * with mkfifo(1) and keeps it fed; the agent's `HardwareEntropySource` reads it with its
 * `{ path }` input exactly as it reads /dev/hwrng (non-blocking, polled). A fault injected
 * mid-run reaches the agent at once (the server discards what the pipe still held) and the
 * source fails with the right code. Real time, short timeouts.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { HardwareEntropySource } from '../../agent/src/index.ts'
import type { EntropyError } from '../../agent/src/index.ts'
import { NoiseSource, serveNoiseFifo } from '../../firmware-sim/src/hardware/index.ts'
import { caught, cleanupTempDirs, skipWithout, tempDir } from '../helpers/index.ts'

function hasMkfifo(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v mkfifo'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const skip = skipWithout(hasMkfifo(), 'mkfifo(1) (Linux or macOS)')

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
  await cleanupTempDirs()
})

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Takes every ready byte until the source fails or `ms` pass; returns the bytes taken. */
async function drainUntilFailed(hw: HardwareEntropySource, ms: number): Promise<number> {
  const deadline = Date.now() + ms
  let taken = 0
  while (hw.health().state === 'ok' && Date.now() < deadline) {
    const n = hw.health().pool?.bytes ?? 0
    if (n > 0) taken += hw.randomBytes(n).length
    await sleep(5)
  }
  return taken
}

async function served(
  seed: number,
  starvationTimeoutMs: number,
): Promise<{
  noise: NoiseSource
  path: string
  hw: HardwareEntropySource
  failures: EntropyError[]
}> {
  const dir = await tempDir('sealwire-sim-fifo-')
  const noise = new NoiseSource({ seed })
  const fifo = await serveNoiseFifo(noise, join(dir, 'hwrng'))
  cleanups.push(() => fifo.close())
  const hw = new HardwareEntropySource({
    input: { path: fifo.path },
    starvationTimeoutMs,
    pollIntervalMs: 5,
  })
  cleanups.push(() => hw.stop())
  const failures: EntropyError[] = []
  hw.onFailure((err) => failures.push(err))
  return { noise, path: fifo.path, hw, failures }
}

describe.skipIf(skip)('serveNoiseFifo', () => {
  it('makes a FIFO (mode 0600) that the agent reads as its hardware device, and removes it on close', async () => {
    const dir = await tempDir('sealwire-sim-fifo-')
    const path = join(dir, 'hwrng')
    const fifo = await serveNoiseFifo(new NoiseSource({ seed: 1 }), path)
    const info = statSync(path)
    expect(info.isFIFO()).toBe(true)
    expect(info.mode & 0o777).toBe(0o600)
    const hw = new HardwareEntropySource({ input: { path }, pollIntervalMs: 5 })
    await hw.start()
    expect(hw.randomBytes(32)).toHaveLength(32)
    await hw.stop()
    expect(fifo.written).toBeGreaterThanOrEqual(1024 + 320 * 8)
    expect(fifo.error).toBeUndefined()
    await fifo.close()
    expect(existsSync(path)).toBe(false)
  })

  it('a stuck fault injected mid-run fails the agent’s source with ERR_ENTROPY_HEALTH_RCT', async () => {
    const { noise, hw, failures } = await served(21, 10_000)
    await hw.start()
    // Healthy for a while: several pools' worth of blocks.
    for (let i = 0; i < 5; i++) {
      await drainUntilFailed(hw, 50)
      expect(hw.health().state).toBe('ok')
    }
    noise.setFault({ kind: 'stuck', value: 0x42 })
    const taken = await drainUntilFailed(hw, 5_000)
    expect(hw.health().state).toBe('failed')
    // At once: the pipe held up to 64 KiB of healthy samples (≈ 6,500 bytes of output at 320
    // samples per 32 bytes); the server discarded them, so only the pool (256 bytes) and the
    // blocks read while the fault was being set came out before the failure. On a loaded machine
    // that has been up to 1,024 bytes; half the pipe's worth is the bound that still tells a
    // discarded pipe from a drained one.
    expect(taken).toBeLessThan(3_250)
    expect(failures).toHaveLength(1)
    expect(failures[0]!.code).toBe('ERR_ENTROPY_HEALTH_RCT')
    expect(failures[0]!.message).toMatch(
      /^repetition count test failed at sample \d+: one value repeated 21 times in a row, reaching the cutoff 21 \(H = 1 bits\/sample, α = 2\^-20\)$/,
    )
  })

  it('a starved FIFO (no output) fails the agent’s source with ERR_ENTROPY_STARVED after its timeout', async () => {
    const { noise, hw, failures } = await served(22, 300)
    await hw.start()
    noise.setFault({ kind: 'starve', bytesPerSecond: 0 })
    const t0 = Date.now()
    await drainUntilFailed(hw, 5_000)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300)
    expect(failures[0]!.code).toBe('ERR_ENTROPY_STARVED')
    expect(failures[0]!.message).toMatch(
      /^the source gave \d+ of the 320 samples needed for an output block within 300 ms$/,
    )
  })

  it('refuses a path that exists with ERR_SIM_FIFO and leaves it alone', async () => {
    const dir = await tempDir('sealwire-sim-fifo-')
    const path = join(dir, 'taken')
    await writeFile(path, 'x')
    const err = await caught(serveNoiseFifo(new NoiseSource({ seed: 1 }), path))
    expect(err.code).toBe('ERR_SIM_FIFO')
    expect(err.message).toMatch(/^cannot make the FIFO .*taken.*: .*File exists/)
    expect(statSync(path).isFile()).toBe(true)
  })
})
