/**
 * The CLI's plumbing on its own: `guarded` (the stop signal between a source and a consumer) and
 * `byteProgress` (whole MiB on stderr, 100 % only once finished).
 */
import { describe, expect, it } from 'vitest'
import { byteProgress } from '../../files/src/io/progress.ts'
import { guarded } from '../../files/src/io/pump.ts'

const MIB = 2 ** 20

async function* chunks(n: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < n; i++) yield Uint8Array.of(i)
}

describe('guarded', () => {
  it('a stop that comes while the consumer is busy with a chunk ends the run at the next chunk with ERR_INTERRUPTED', async () => {
    const stop = new AbortController()
    const seen: number[] = []
    let error: unknown
    try {
      for await (const c of guarded(chunks(5), stop.signal)) {
        seen.push(c[0]!)
        // The consumer is busy (writing the chunk) when the stop comes: no 'abort' event later.
        stop.abort()
        await new Promise((r) => setTimeout(r, 1))
      }
    } catch (err) {
      error = err
    }
    expect(seen).toEqual([0])
    expect(error).toMatchObject({ code: 'ERR_INTERRUPTED' })
  })

  it('passes every chunk through when no stop comes', async () => {
    const seen: number[] = []
    for await (const c of guarded(chunks(5), new AbortController().signal)) seen.push(c[0]!)
    expect(seen).toEqual([0, 1, 2, 3, 4])
  })
})

describe('byteProgress', () => {
  it('counts whole MiB of a total rounded to the nearest, and shows 100 % only from finish()', () => {
    const lines: string[] = []
    const stderr = { write: (s: string) => void lines.push(s), isTTY: false }
    const total = Math.round(16.4 * MIB) // rounds down to 16
    const progress = byteProgress(total, { stderr }, false)
    for (let sent = 0; sent < total; sent += MIB / 4) progress.add(Math.min(MIB / 4, total - sent))
    expect(lines.join('')).not.toContain('(100%)')
    expect(lines.join('')).toContain('/16 MiB')
    progress.finish()
    expect(lines.join('')).toContain('progress: 16/16 MiB (100%)')
  })
})
