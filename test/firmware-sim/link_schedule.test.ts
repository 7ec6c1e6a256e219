/** The seeded fault schedule and its player. */
import { describe, expect, it } from 'vitest'
import { linkSchedule, playLinkSchedule } from '../../firmware-sim/src/link/index.ts'
import type { FlakyLink, LinkEvent, LinkMode } from '../../firmware-sim/src/link/index.ts'

const faults = [
  { kind: 'blackhole', durationMs: 5_000 },
  { kind: 'cut' },
  { kind: 'delay', ms: 300, durationMs: 4_000 },
  { kind: 'refuse', durationMs: 2_000 },
] as const

describe('linkSchedule', () => {
  it('places one fault per slot, each followed by pass, never overlapping, the same for a seed', () => {
    const events = linkSchedule({ seed: 42, durationMs: 60_000, faults })
    expect(events.map((e) => e.mode.kind)).toEqual([
      'blackhole',
      'pass',
      'cut',
      'delay',
      'pass',
      'refuse',
      'pass',
    ])
    // Slots of (60,000 − 2 × 2,000) / 4 = 14,000 ms from 2,000 ms.
    const starts = events.filter((e) => e.mode.kind !== 'pass')
    starts.forEach((e, i) => {
      expect(e.at).toBeGreaterThanOrEqual(2_000 + i * 14_000)
      expect(e.at).toBeLessThanOrEqual(2_000 + (i + 1) * 14_000)
    })
    expect(events[1]!.at - events[0]!.at).toBe(5_000)
    expect(events[4]!.at - events[3]!.at).toBe(4_000)
    for (let i = 1; i < events.length; i++) expect(events[i]!.at).toBeGreaterThan(events[i - 1]!.at)
    expect(events[events.length - 1]!.at).toBeLessThanOrEqual(58_000)
    expect(linkSchedule({ seed: 42, durationMs: 60_000, faults })).toEqual(events)
    expect(linkSchedule({ seed: 43, durationMs: 60_000, faults })).not.toEqual(events)
  })

  it('refuses a fault longer than its slot, and a margin that leaves no run', () => {
    expect(() =>
      linkSchedule({
        seed: 1,
        durationMs: 10_000,
        faults: [{ kind: 'blackhole', durationMs: 7_000 }],
      }),
    ).toThrow(
      new RangeError('faults[0].durationMs must be an integer from 0 to the slot length 6000 ms'),
    )
    expect(() => linkSchedule({ seed: 1, durationMs: 4_000, faults: [] })).toThrow(RangeError)
    expect(linkSchedule({ seed: 1, durationMs: 10_000, faults: [] })).toEqual([])
  })
})

describe('playLinkSchedule', () => {
  it('applies each event to every link at its time, in order', async () => {
    const seen: { link: number; mode: LinkMode; at: number }[] = []
    const start = Date.now()
    const fake = (n: number): FlakyLink =>
      ({
        set: (mode: LinkMode) => seen.push({ link: n, mode, at: Date.now() - start }),
      }) as unknown as FlakyLink
    const events: LinkEvent[] = [
      { at: 120, mode: { kind: 'pass' } },
      { at: 40, mode: { kind: 'blackhole' } },
    ]
    const reported: LinkEvent[] = []
    const play = playLinkSchedule([fake(1), fake(2)], events, { onEvent: (e) => reported.push(e) })
    await play.done
    expect(seen.map((s) => `${s.link}:${s.mode.kind}`)).toEqual([
      '1:blackhole',
      '2:blackhole',
      '1:pass',
      '2:pass',
    ])
    expect(seen[0]!.at).toBeGreaterThanOrEqual(39)
    expect(seen[2]!.at).toBeGreaterThanOrEqual(119)
    expect(reported.map((e) => e.at)).toEqual([40, 120])
  })

  it('cancel stops what has not happened yet and resolves done', async () => {
    let calls = 0
    const link = { set: () => calls++ } as unknown as FlakyLink
    const play = playLinkSchedule([link], [{ at: 10_000, mode: { kind: 'cut' } }])
    play.cancel()
    await play.done
    expect(calls).toBe(0)
  })
})
