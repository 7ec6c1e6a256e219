import { describe, expect, it } from 'vitest'
import {
  baselineOpen,
  baselineSealCounter,
  baselineSealRandom,
} from '../../bench/src/baseline_candidates.ts'
import { createContext, telemetryPayload } from '../../bench/src/bench_context.ts'
import { rawGcmOpen, rawGcmSeal } from '../../bench/src/raw_gcm_candidates.ts'

// The reference rows check their own round trip in prepare(); here: they prepare, their step
// returns the bytes it produced, and their overhead is what their format says.
describe('bench reference candidates', () => {
  const ctx = createContext()
  const payload = telemetryPayload(256)

  it.each([
    // cbor-x map {kid, nonce, ct}: 55 B over the plaintext
    { candidate: baselineSealRandom, overhead: 55, stepBytes: 256 + 55 },
    { candidate: baselineSealCounter, overhead: 55, stepBytes: 256 + 55 },
    { candidate: baselineOpen, overhead: 55, stepBytes: 256 },
    // nonce (kept apart, counted as overhead) + tag; the step returns ciphertext + tag
    { candidate: rawGcmSeal, overhead: 28, stepBytes: 256 + 16 },
    { candidate: rawGcmOpen, overhead: 28, stepBytes: 256 },
  ])('$candidate.id prepares and runs', async ({ candidate, overhead, stepBytes }) => {
    const { step, overheadBytes } = await candidate.prepare(payload, ctx)
    expect(overheadBytes).toBe(overhead)
    if (step.kind !== 'sync') throw new Error('expected a sync step')
    for (let i = 0; i < 3; i++) expect(step.run()).toBe(stepBytes)
  })
})
