/**
 * `sealwire-fleet` (what `npm start` runs): the simulated fleet, offline by default — the embedded
 * aedes broker and kms-local on free ports, N devices running the real agent on emulated hardware,
 * the real consumer, faults on a seeded schedule — ending with the verifier's summary and an HTML
 * report. README "Flags" and "Exit codes" are normative.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['--devices', '10', '--duration', '20'])
 * ```
 */
import type { CliIo } from '../../../platform/src/index.ts'
import {
  EXIT,
  UsageError,
  defaultCliIo,
  exitCodeTable,
  flag,
  integerFlag,
  optionalString,
  parseCommandArgs,
  reportError,
  shown,
  wantsHelp,
} from '../../../platform/src/index.ts'
import { formatSummary } from '../report/index.ts'
import { FAULT_KINDS, fleetDefaults } from './defaults.ts'
import type { FaultKind } from './defaults.ts'
import type { FleetOptions, FleetResult } from './fleet_runner.ts'
import { runFleet } from './fleet_runner.ts'

/** Exit codes (README "Exit codes"). */
export const FLEET_EXIT = Object.freeze({
  ...EXIT,
  /** The run completed and the verifier found a problem (lost, duplicated, nonce repeat, …). */
  verdict: 3,
})

const exitCodeOf = exitCodeTable({
  [EXIT.internal]: [
    'ERR_FLEET_NOT_BUILT',
    'ERR_FLEET_PROVISION',
    'ERR_FLEET_CONSUMER',
    'ERR_FLEET_HOST',
    'ERR_FLEET_BROKER',
    'ERR_FLEET_WORK_DIR',
  ],
})

const FLEET_HELP = `usage: npm start -- [flags]      (or: sealwire-fleet [flags])

Runs a simulated fleet end to end, offline: kms-local and an embedded MQTT broker on free ports,
devices provisioned with sealwire-provision batch, each running the real agent on emulated
hardware (noise source, clock, flash) behind its own flaky link, the real consumer, and a fault
schedule. Ends with the verifier's summary (lost, duplicated, nonce repeats) and an HTML report.

flags:
  --devices N           devices (default ${fleetDefaults.devices})
  --duration S          seconds of load (default ${fleetDefaults.durationSec}); the drain comes after
  --rate R              readings per device per second (default ${fleetDefaults.rate})
  --faults LIST         comma-separated: ${FAULT_KINDS.join(', ')}, or none (default all)
  --seed N              seed of the fault plan and the noise sources (default ${fleetDefaults.seed})
  --devices-per-host N  devices per host process (default ${fleetDefaults.devicesPerHost}); a power
                        cut kills one host process
  --broker URL          an external broker, e.g. mqtt://127.0.0.1:1883 (default: embedded aedes)
  --kms-endpoint URL    an external KMS endpoint (a running kms-local, or AWS); credentials from
                        the AWS SDK's default chain (default: kms-local in process)
  --key-id KEY          an existing KMS key (default: create-key makes one)
  --sink jsonl:PATH     where the consumer writes readings (default: a file in the work folder)
  --drain S             seconds to wait after the load for every confirmed reading (default ${fleetDefaults.drainSec})
  --work-dir DIR        keep device folders, state, logs and the sink here (default: a temporary
                        folder, removed at the end)
  --report FILE         the HTML report (default ${fleetDefaults.report}); --report off for none
  --json                print the summary as JSON on stdout
  -h, --help            this help

exit codes: 0 the verifier passed; 1 the run could not be carried out (error line says why);
2 usage; 3 the verifier found lost, duplicated or nonce-repeating readings, or an unexplained
gap or dead letter.
`

const FLAGS = Object.freeze({
  devices: { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  faults: { type: 'string' },
  seed: { type: 'string' },
  'devices-per-host': { type: 'string' },
  broker: { type: 'string' },
  'kms-endpoint': { type: 'string' },
  'key-id': { type: 'string' },
  sink: { type: 'string' },
  drain: { type: 'string' },
  'work-dir': { type: 'string' },
  report: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const)

function rateFlag(text: string): number {
  const r = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !(r > 0) || r > 1000) {
    throw new UsageError(
      '--rate must be a number of readings per device per second, above 0 and at most 1000',
    )
  }
  return r
}

function faultsFlag(text: string): FaultKind[] {
  if (text === 'none') return []
  const kinds = text.split(',').map((s) => s.trim())
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new UsageError(
        `--faults: unknown fault ${shown(k)}; faults: ${FAULT_KINDS.join(', ')}, or none`,
      )
    }
  }
  return [...new Set(kinds as FaultKind[])]
}

/** The run's options from the command line. @throws {UsageError} */
export function parseFleetArgs(argv: readonly string[]): { options: FleetOptions; json: boolean } {
  const args = parseCommandArgs(argv, FLAGS, 0)
  const str = (name: string): string | undefined => optionalString(args, name)
  const sink = str('sink')
  if (sink !== undefined && !sink.startsWith('jsonl:')) {
    throw new UsageError('--sink: the fleet verifier reads a JSONL sink: jsonl:PATH')
  }
  if (sink === 'jsonl:-')
    throw new UsageError(
      '--sink jsonl:- is not possible here: the summary uses stdout; give a file',
    )
  const report = str('report')
  const devices =
    str('devices') !== undefined
      ? integerFlag(str('devices')!, '--devices', 1, 5_000)
      : fleetDefaults.devices
  return {
    json: flag(args, 'json'),
    options: {
      ...fleetDefaults,
      devices,
      durationSec:
        str('duration') !== undefined
          ? integerFlag(str('duration')!, '--duration', 5, 86_400)
          : fleetDefaults.durationSec,
      rate: str('rate') !== undefined ? rateFlag(str('rate')!) : fleetDefaults.rate,
      faults: str('faults') !== undefined ? faultsFlag(str('faults')!) : fleetDefaults.faults,
      seed:
        str('seed') !== undefined
          ? integerFlag(str('seed')!, '--seed', 0, 2 ** 31 - 1)
          : fleetDefaults.seed,
      devicesPerHost:
        str('devices-per-host') !== undefined
          ? integerFlag(str('devices-per-host')!, '--devices-per-host', 1, 1_000)
          : fleetDefaults.devicesPerHost,
      drainSec:
        str('drain') !== undefined
          ? integerFlag(str('drain')!, '--drain', 1, 3_600)
          : fleetDefaults.drainSec,
      brokerUrl: str('broker'),
      kmsEndpoint: str('kms-endpoint'),
      keyId: str('key-id'),
      sinkPath: sink?.slice('jsonl:'.length),
      workDir: str('work-dir'),
      report: report === 'off' ? undefined : (report ?? fleetDefaults.report),
    },
  }
}

function summaryText(r: FleetResult): string {
  const c = r.load
  const refused =
    Object.entries(c.refused)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ') || 'none'
  const faultCounts = new Map<string, number>()
  for (const f of r.run.faults) faultCounts.set(f.kind, (faultCounts.get(f.kind) ?? 0) + 1)
  const lines = [
    '',
    `fleet: ${r.run.settings['devices']} devices, ${r.run.settings['duration (s)']} s, ${r.run.settings['rate (readings/device/s)']} readings/device/s, seed ${r.run.settings['seed']}`,
    `broker: ${r.broker}`,
    `kms: ${r.kms}${
      r.kmsCalls !== undefined
        ? ` (${Object.entries(r.kmsCalls)
            .map(([op, n]) => `${op} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `faults injected: ${[...faultCounts].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `readings offered: ${c.offered}, confirmed (200): ${c.confirmed}, refused: ${refused}, unanswered (power cut mid-request): ${c.unanswered}`,
    `drain: ${r.drain.complete ? 'complete' : 'INCOMPLETE'} in ${r.drain.seconds.toFixed(1)} s`,
    `throughput: ${(r.verdict.delivered / Math.max(1, r.usage?.seconds ?? r.run.durationMs / 1000)).toFixed(1)} readings/s delivered (load + drain)`,
    ...(r.usage === undefined
      ? ['resources: not measured (Linux /proc only)']
      : [
          `device hosts: ${r.usage.hosts.processes} processes (reboots included), CPU ${r.usage.hosts.cpuSec.toFixed(1)} s (${((100 * r.usage.hosts.cpuSec) / r.usage.seconds).toFixed(0)} % of one core), peak RSS ${r.usage.hosts.maxPeakRssMiB.toFixed(0)} MiB max per process, ${r.usage.hosts.sumPeakRssMiB.toFixed(0)} MiB summed`,
          `consumer: CPU ${r.usage.consumer.cpuSec.toFixed(1)} s (${((100 * r.usage.consumer.cpuSec) / r.usage.seconds).toFixed(0)} % of one core), peak RSS ${r.usage.consumer.maxPeakRssMiB.toFixed(0)} MiB`,
          `runner (links, load, wire tap${r.kmsCalls !== undefined ? ', kms-local' : ''}${r.broker.startsWith('embedded') ? ', aedes' : ''}): CPU ${r.usage.runner.cpuSec.toFixed(1)} s, peak RSS ${r.usage.runner.maxPeakRssMiB.toFixed(0)} MiB`,
        ]),
    formatSummary(r.verdict),
  ]
  if (r.reportPath !== undefined) lines.push(`report: ${r.reportPath}`)
  if (r.workDir !== undefined) lines.push(`work folder: ${r.workDir}`)
  return `${lines.join('\n')}\n`
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli = defaultCliIo(io)
  try {
    if (wantsHelp(argv)) {
      cli.stdout.write(FLEET_HELP)
      return EXIT.ok
    }
    const { options, json } = parseFleetArgs(argv)
    const result = await runFleet(options, { progress: cli.stderr, signal: cli.signal })
    if (json) {
      cli.stdout.write(
        `${JSON.stringify({
          settings: result.run.settings,
          verdict: result.verdict,
          load: result.load,
          faults: result.run.faults,
          kmsCalls: result.kmsCalls ?? null,
          drain: result.drain,
          usage: result.usage ?? null,
          report: result.reportPath ?? null,
        })}\n`,
      )
    } else {
      cli.stdout.write(summaryText(result))
    }
    return result.verdict.ok && result.drain.complete ? EXIT.ok : FLEET_EXIT.verdict
  } catch (err) {
    return reportError(err, cli, exitCodeOf)
  }
}
