/**
 * The fault plan (README "Faults"): the same seed gives the same plan; each kind lands in its
 * window; the entropy fault is never on the host the power cut takes; the RTC-less share holds.
 */
import { describe, expect, it } from 'vitest'
import { planFaults } from '../../firmware-sim/src/index.ts'
import type { FaultPlan } from '../../firmware-sim/src/index.ts'

const ids = Array.from({ length: 100 }, (_, i) => `dev-${i}`)
const input = {
  seed: 42,
  durationMs: 60_000,
  devices: ids,
  hosts: 20,
  hostOf: (i: number) => Math.floor(i / 5),
  kinds: ['link', 'power', 'entropy', 'clock'] as const,
  rtclessShare: 0.2,
}

function kinds(plan: FaultPlan): Record<string, number> {
  const out: Record<string, number> = {}
  for (const f of plan.timed) out[f.kind] = (out[f.kind] ?? 0) + 1
  return out
}

describe('planFaults', () => {
  it('is a function of its input: the same seed gives the same plan, another seed another', () => {
    expect(planFaults(input)).toEqual(planFaults(input))
    expect(planFaults({ ...input, seed: 43 })).not.toEqual(planFaults(input))
  })

  it('places one power cut (35–55 %), one entropy fault (15–30 %) and 20 link flaps (5–80 %) for 100 devices × 60 s', () => {
    const plan = planFaults(input)
    expect(kinds(plan)).toEqual({ power: 1, entropy: 1, link: 20 })
    const windows: Record<string, [number, number]> = {
      power: [0.35, 0.55],
      entropy: [0.15, 0.3],
      link: [0.05, 0.8],
    }
    for (const f of plan.timed) {
      const [lo, hi] = windows[f.kind]!
      expect(f.at / input.durationMs).toBeGreaterThanOrEqual(lo)
      expect(f.at / input.durationMs).toBeLessThanOrEqual(hi)
    }
    expect(plan.timed.map((f) => f.at)).toEqual(
      [...plan.timed.map((f) => f.at)].sort((a, b) => a - b),
    )
  })

  it('never puts the entropy fault on a device of the host the power cut takes', () => {
    for (let seed = 0; seed < 50; seed++) {
      const plan = planFaults({ ...input, seed })
      const power = plan.timed.find((f) => f.kind === 'power')!
      const entropy = plan.timed.find((f) => f.kind === 'entropy')!
      if (power.kind !== 'power' || entropy.kind !== 'entropy') throw new Error('kinds')
      expect(input.hostOf(ids.indexOf(entropy.device))).not.toBe(power.host)
      expect(entropy.fault.kind).toBe('stuck')
    }
  })

  it('makes about a fifth of the devices RTC-less, each syncing 10–50 % into the run', () => {
    const plan = planFaults(input)
    expect(plan.rtcless.size).toBeGreaterThanOrEqual(10)
    expect(plan.rtcless.size).toBeLessThanOrEqual(30)
    for (const ms of plan.rtcless.values()) {
      expect(ms).toBeGreaterThanOrEqual(6_000)
      expect(ms).toBeLessThanOrEqual(30_000)
    }
  })

  it('places only the kinds asked for', () => {
    const plan = planFaults({ ...input, kinds: ['link'] })
    expect(Object.keys(kinds(plan))).toEqual(['link'])
    expect(plan.rtcless.size).toBe(0)
    expect(planFaults({ ...input, kinds: [] }).timed).toEqual([])
  })
})
