/**
 * Progress: a bar on a terminal, plain periodic lines otherwise (with an injected clock).
 */
import { describe, expect, it } from 'vitest'
import { ProgressReporter } from '../../platform/src/index.ts'

function sink(tty: boolean): { write(s: string): boolean; isTTY: boolean; text: string } {
  return {
    isTTY: tty,
    text: '',
    write(s: string) {
      this.text += s
      return true
    },
  }
}

describe('ProgressReporter, not a terminal', () => {
  it('prints one line per 10% and a last one at 100%', () => {
    const out = sink(false)
    let t = 0
    const p = new ProgressReporter(1000, out, { label: 'devices', now: () => t })
    for (let i = 0; i < 1000; i++) {
      t += 1
      p.tick()
    }
    p.finish()
    const lines = out.text.trimEnd().split('\n')
    expect(lines).toHaveLength(10)
    expect(lines[0]).toBe('progress: 100/1000 devices (10%), 0.1 s')
    expect(lines[9]).toBe('progress: 1000/1000 devices (100%), 1.0 s')
    expect(out.text).not.toContain('\r')
  })

  it('also prints every 2 s when progress is slow', () => {
    const out = sink(false)
    let t = 0
    const p = new ProgressReporter(1000, out, { now: () => t })
    for (let i = 0; i < 50; i++) {
      t += 100
      p.tick()
    }
    // 50 ticks, 5% done, 5 s elapsed: lines at 2 s and 4 s.
    expect(out.text.trimEnd().split('\n')).toEqual([
      'progress: 20/1000 items (2%), 2.0 s',
      'progress: 40/1000 items (4%), 4.0 s',
    ])
  })

  it('prints a final line only if the last one was not at 100%', () => {
    const out = sink(false)
    const p = new ProgressReporter(3, out, { now: () => 0 })
    p.tick(3)
    p.finish()
    expect(out.text).toBe('progress: 3/3 items (100%), 0.0 s\n')
  })
})

describe('ProgressReporter, on a terminal', () => {
  it('redraws a bar in place and ends it with a newline', () => {
    const out = sink(true)
    let t = 0
    const p = new ProgressReporter(10, out, { now: () => t, barWidth: 10, redrawMs: 0 })
    for (let i = 0; i < 10; i++) {
      t += 100
      p.tick()
    }
    p.finish()
    expect(out.text).toContain('\r[#####.....] 50% 5/10 10/s eta 0.5 s\x1b[K')
    expect(out.text.endsWith('\r[##########] 100% 10/10 10/s\x1b[K\n')).toBe(true)
  })

  it('log() clears the bar, prints the line, and redraws', () => {
    const out = sink(true)
    const p = new ProgressReporter(2, out, { now: () => 1, barWidth: 10, redrawMs: 0 })
    p.tick()
    p.log('refused dev-1')
    expect(out.text).toContain('\r\x1b[Krefused dev-1\n\r[#####.....]')
  })
})
