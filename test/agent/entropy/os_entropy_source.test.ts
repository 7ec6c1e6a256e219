import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../platform/src/index.ts'
import { OsEntropySource } from '../../../agent/src/entropy/index.ts'
import { describeEntropySourceContract } from './entropy_source_contract.ts'

describeEntropySourceContract('os', async () => ({ source: new OsEntropySource() }), {
  cannotFailBecause: 'the OS CSPRNG has no failure to inject: it fails only without WebCrypto',
})

describe('OsEntropySource', () => {
  it("is named 'os' by default and takes another name", () => {
    expect(new OsEntropySource().name).toBe('os')
    expect(new OsEntropySource({ name: 'kernel' }).health().name).toBe('kernel')
  })

  it('has no pool and runs no health tests', async () => {
    const os = new OsEntropySource({ clock: new ManualClock(0) })
    await os.start()
    expect(os.health()).toMatchObject({ state: 'ok', pool: null, tests: null, failure: null })
  })

  it('fills requests larger than one getRandomValues call (64 KiB)', async () => {
    const os = new OsEntropySource()
    await os.start()
    const big = os.randomBytes(200_000)
    expect(big.length).toBe(200_000)
    // The last chunk is filled too: a zero run of 1 KiB at the end would mean it was skipped.
    expect(big.subarray(199_000).some((b) => b !== 0)).toBe(true)
    expect(big.subarray(65_536, 66_560).some((b) => b !== 0)).toBe(true)
  })
})
