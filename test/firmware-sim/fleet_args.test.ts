/**
 * The fleet CLI's flags (README "Flags"): defaults, bounds, the fault list, the sink, and the
 * usage errors a person gets for a wrong flag (exit 2, one line).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fleetDefaults, main, parseFleetArgs } from '../../firmware-sim/src/index.ts'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { capture, cleanupTempDirs, tempDir } from '../helpers/index.ts'

describe('fleet flags', () => {
  it('no flags give the defaults: 50 devices, 60 s, 2/s, every fault, fleet-report.html', () => {
    const { options, json } = parseFleetArgs([])
    expect(json).toBe(false)
    expect(options.devices).toBe(50)
    expect(options.durationSec).toBe(60)
    expect(options.rate).toBe(2)
    expect(options.faults).toEqual(['link', 'power', 'entropy', 'clock'])
    expect(options.report).toBe('fleet-report.html')
    expect(options.brokerUrl).toBeUndefined()
    expect(options.kmsEndpoint).toBeUndefined()
    expect(options.devicesPerHost).toBe(fleetDefaults.devicesPerHost)
  })

  it('every flag is taken', () => {
    const { options, json } = parseFleetArgs([
      '--devices',
      '1000',
      '--duration',
      '30',
      '--rate',
      '0.5',
      '--faults',
      'link,power',
      '--seed',
      '7',
      '--devices-per-host',
      '50',
      '--broker',
      'mqtt://127.0.0.1:1883',
      '--kms-endpoint',
      'http://127.0.0.1:4599',
      '--key-id',
      'alias/fleet',
      '--sink',
      'jsonl:/tmp/s.jsonl',
      '--drain',
      '30',
      '--work-dir',
      '/tmp/w',
      '--report',
      'off',
      '--json',
    ])
    expect(json).toBe(true)
    expect(options).toMatchObject({
      devices: 1000,
      durationSec: 30,
      rate: 0.5,
      faults: ['link', 'power'],
      seed: 7,
      devicesPerHost: 50,
      brokerUrl: 'mqtt://127.0.0.1:1883',
      kmsEndpoint: 'http://127.0.0.1:4599',
      keyId: 'alias/fleet',
      sinkPath: '/tmp/s.jsonl',
      drainSec: 30,
      workDir: '/tmp/w',
    })
    expect(options.report).toBeUndefined()
  })

  it('--faults none is an empty list; duplicates collapse', () => {
    expect(parseFleetArgs(['--faults', 'none']).options.faults).toEqual([])
    expect(parseFleetArgs(['--faults', 'link,link']).options.faults).toEqual(['link'])
  })

  it.each([
    [
      ['--faults', 'link,flood'],
      'error ERR_USAGE: --faults: unknown fault "flood"; faults: link, power, entropy, clock, or none\n',
    ],
    [['--devices', '0'], 'error ERR_USAGE: --devices must be an integer from 1 to 5000\n'],
    [
      ['--rate', 'fast'],
      'error ERR_USAGE: --rate must be a number of readings per device per second, above 0 and at most 1000\n',
    ],
    [
      ['--sink', 'postgres://x@127.0.0.1/db'],
      'error ERR_USAGE: --sink: the fleet verifier reads a JSONL sink: jsonl:PATH\n',
    ],
    [
      ['--sink', 'jsonl:-'],
      'error ERR_USAGE: --sink jsonl:- is not possible here: the summary uses stdout; give a file\n',
    ],
    [
      ['--devices', '3', '--devices', '4'],
      'error ERR_USAGE: --devices given more than once (see --help)\n',
    ],
  ])('%j is refused with exit 2 and one line', async (argv, line) => {
    const c = capture()
    expect(await main(argv, c.io)).toBe(2)
    expect(c.err()).toBe(line)
    expect(c.out()).toBe('')
  })

  it('--help prints every flag and the exit codes, exit 0', async () => {
    const c = capture()
    expect(await main(['--help'], c.io)).toBe(0)
    for (const f of [
      '--devices N',
      '--duration S',
      '--rate R',
      '--faults LIST',
      '--seed N',
      '--broker URL',
      '--kms-endpoint URL',
      '--sink',
      '--report FILE',
      '--json',
    ]) {
      expect(c.out()).toContain(f)
    }
    expect(c.out()).toContain('exit codes: 0 the verifier passed')
  })

  it('refuses a --work-dir that is not empty before calling anything (exit 1, one line)', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'devices.csv'), 'device_id\n')
    const c = capture()
    expect(await main(['--work-dir', dir, '--report', 'off'], c.io)).toBe(1)
    expect(c.err()).toBe(
      `error ERR_FLEET_WORK_DIR: --work-dir ${dir} is not empty (a previous run?): give a new or empty folder\n`,
    )
  })
})

afterEach(cleanupTempDirs)
