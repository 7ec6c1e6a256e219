import { describe, expect, it } from 'vitest'
import { defaultPlan } from '../../bench/src/measure.ts'
import {
  defaultAgentPlan,
  parseOptions,
  quickAgentPlan,
  quickPlan,
  USAGE,
} from '../../bench/src/options.ts'

describe('bench options', () => {
  it('prints only by default, with the default plan', () => {
    expect(parseOptions([], {})).toEqual({
      help: false,
      write: false,
      quick: false,
      child: false,
      plan: defaultPlan,
      agentPlan: defaultAgentPlan,
      broker: 'auto',
    })
    expect(defaultAgentPlan.rssReadings).toBe(100_000)
  })

  it('writes only with --write; --quick selects the quick plan', () => {
    const options = parseOptions(['--write', '--quick'], {})
    expect(options.write).toBe(true)
    expect(options.plan).toEqual(quickPlan)
    expect(options.agentPlan).toEqual(quickAgentPlan)
  })

  it("takes the memory row's readings and the broker choice from the environment", () => {
    const env = { SEALWIRE_BENCH_RSS_READINGS: '20000', SEALWIRE_BENCH_BROKER: 'aedes' }
    const options = parseOptions([], env)
    expect(options.agentPlan).toEqual({ ...defaultAgentPlan, rssReadings: 20_000 })
    expect(options.broker).toBe('aedes')
    expect(parseOptions([], { SEALWIRE_BENCH_BROKER: '' }).broker).toBe('auto')
    expect(() => parseOptions([], { SEALWIRE_BENCH_BROKER: 'hivemq' })).toThrow(RangeError)
    expect(() => parseOptions([], { SEALWIRE_BENCH_RSS_READINGS: 'lots' })).toThrow(RangeError)
  })

  it('lets the environment override single plan values, quick or not', () => {
    const env = { SEALWIRE_BENCH_ROUNDS: '5', SEALWIRE_BENCH_ROUND_MS: '' }
    expect(parseOptions(['--quick'], env).plan).toEqual({ ...quickPlan, rounds: 5 })
    expect(() => parseOptions([], { SEALWIRE_BENCH_WARMUP_MS: '0' })).toThrow(RangeError)
  })

  it('--only consumer selects the consumer rows; any other value, or with --write, is refused', () => {
    expect(parseOptions(['--only', 'consumer'], {}).only).toBe('consumer')
    expect(parseOptions(['--only', 'files'], {}).only).toBe('files')
    expect(parseOptions([], {}).only).toBeUndefined()
    expect(() => parseOptions(['--only', 'agent'], {})).toThrow(
      new TypeError('--only: expected consumer or files, got "agent"'),
    )
    expect(() => parseOptions(['--only', 'consumer', '--write'], {})).toThrow(
      new TypeError('--only gives a partial report: it cannot be written (--write)'),
    )
  })

  it('refuses unknown flags, positionals and repeated flags', () => {
    expect(() => parseOptions(['--wirte'], {})).toThrow(TypeError)
    expect(() => parseOptions(['results.md'], {})).toThrow(TypeError)
    expect(() => parseOptions(['--write', '--write'], {})).toThrow(/more than once/)
  })

  it('documents every flag in --help', () => {
    expect(parseOptions(['--help'], {}).help).toBe(true)
    for (const flag of [
      '--write',
      '--quick',
      '--help',
      '--only consumer',
      'SEALWIRE_BENCH_ROUNDS',
      'SEALWIRE_BENCH_RSS_READINGS',
      'SEALWIRE_BENCH_BROKER',
    ]) {
      expect(USAGE).toContain(flag)
    }
  })
})
