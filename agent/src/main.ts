/**
 * `sealwire-agent`: the device agent's command line, as a function that returns the exit code.
 *
 * Commands: `run` (the agent), `check-config` (validate everything `run` would, one summary
 * line), `status` (read the state database while the agent runs), `schema` (print the config
 * file's JSON Schema). Errors are one line, `error CODE: message`; exit codes are in the README
 * (`78` for any configuration problem: nothing was started).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['check-config', '--device', 'out/dev-1'])
 * ```
 */
import { createInterface } from 'node:readline'
import { pino } from 'pino'
import type { Logger } from 'pino'
import type { CliIo, FlagSpecs, ParsedArgs } from '../../platform/src/index.ts'
import {
  ConfigError,
  EXIT,
  UsageError,
  defaultCliIo,
  exitCodeTable,
  flag,
  optionalString,
  parseCommandArgs,
  reportError,
  requiredString,
  shown,
  takeCommand,
  untilStopped,
  wantsHelp,
} from '../../platform/src/index.ts'
import { Agent } from './agent.ts'
import { agentJsonSchema } from './config/json_schema.ts'
import type { LoadedSettings } from './config/load_settings.ts'
import { loadSettings, settingEnvNames } from './config/load_settings.ts'
import { ReadingError, parseReadings } from './ingest/parse_readings.ts'
import type { CheckedSettings } from './resolve_parts.ts'
import { checkAgentSettings } from './resolve_parts.ts'
import { serveAgent } from './serve.ts'
import type { FileSpool } from './spool/index.ts'
import { readStoreStatus } from './store/index.ts'

/** Exit codes by class (README "Exit codes"). */
export const AGENT_EXIT = Object.freeze({
  ...EXIT,
  /** sysexits EX_UNAVAILABLE: the entropy source failed its start-up test. */
  entropy: 69,
  /** sysexits EX_IOERR: the state database cannot be opened or written. */
  io: 74,
})

const exitCodeOf = exitCodeTable({
  [AGENT_EXIT.config]: [
    'ERR_CONFIG',
    'ERR_BUNDLE_MISSING',
    'ERR_BUNDLE_CORRUPT',
    'ERR_BUNDLE_CONFLICT',
    'ERR_KEY_PIN_MISMATCH',
    'ERR_KEY_UNSUPPORTED',
    'ERR_KEY_SIZE',
    'ERR_KEY_EXPONENT',
    'ERR_KEY_SPEC',
    'ERR_KEY_USAGE',
    'ERR_KEY_ALGORITHM',
    'ERR_KEY_STATE',
    'ERR_TRANSPORT_CONFIG',
    'ERR_TRANSPORT_KEY_PERMISSIONS',
    'ERR_STORE_SCHEMA_NEWER',
  ],
  [AGENT_EXIT.entropy]: [
    'ERR_ENTROPY_HEALTH_RCT',
    'ERR_ENTROPY_HEALTH_APT',
    'ERR_ENTROPY_STARVED',
    'ERR_ENTROPY_NOT_READY',
    'ERR_ENTROPY_SOURCE',
  ],
  [AGENT_EXIT.io]: ['ERR_IO', 'ERR_STORE_WRITE', 'ERR_STORE_CLOSED', 'ERR_STORE_NOT_INITIALIZED'],
})

const SETTING_FLAGS: FlagSpecs = Object.freeze({
  device: { type: 'string' },
  config: { type: 'string' },
  broker: { type: 'string' },
  state: { type: 'string' },
  http: { type: 'string' },
  stdin: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
})

const SETTING_FLAGS_HELP = `  --device DIR       the device folder written by sealwire-provision batch (agent.json + bundle)
  --config FILE      JSON config file (schema: sealwire-agent schema); env SEALWIRE_CONFIG
  --broker URL       mqtt://host:1883 or mqtts://host:8883 (default mqtt://127.0.0.1:1883)
  --state DIR        state folder for agent.db (default /var/lib/sealwire-agent)
  --http ADDR        ingest API address: HOST:PORT on loopback, unix:/path, or off
                     (default 127.0.0.1:8787)
  --stdin            also read NDJSON readings from standard input`

const MAIN_HELP = `usage: sealwire-agent <command> [flags]

The sealwire device agent: seals readings to the factory-pinned KMS public key and publishes them
over MQTT, through a durable outbox.

commands:
  run            run the agent until SIGTERM or SIGINT
  check-config   check everything run would check; print one summary line
  status         print the state of a (running or stopped) agent: --state DIR [--json]
  schema         print the JSON Schema of the config file

Settings: defaults < config file < environment (SEALWIRE_*) < flags. Run
"sealwire-agent <command> --help" for flags; the README lists every setting.
`

const RUN_HELP = `usage: sealwire-agent run --device DIR [flags]

${SETTING_FLAGS_HELP}

Environment: every setting has a variable, e.g. ${[...settingEnvNames().values()].slice(0, 3).join(', ')}, …
Stops on SIGTERM/SIGINT: intake closes, in-flight messages drain (transport.drainMs), the
database closes cleanly.
`

const CHECK_HELP = `usage: sealwire-agent check-config --device DIR [flags]

Checks the settings, the device folder (as sealwire-provision verify does), TLS files, limits and
the state folder; prints one line and exits 0, or one error line and exits 78.

${SETTING_FLAGS_HELP}
`

const STATUS_HELP = `usage: sealwire-agent status --state DIR [--json]

Reads agent.db read-only (safe while the agent runs): sequence high-water mark, outbox depth and
bytes, oldest queued age, current epoch id, drops, last error.
`

async function settingsFrom(args: ParsedArgs, io: CliIo): Promise<LoadedSettings> {
  const http = optionalString(args, 'http')
  const loaded = await loadSettings({
    flags: {
      ...(optionalString(args, 'config') !== undefined && {
        config: optionalString(args, 'config')!,
      }),
      ...(optionalString(args, 'device') !== undefined && {
        device: optionalString(args, 'device')!,
      }),
      ...(optionalString(args, 'broker') !== undefined && {
        broker: optionalString(args, 'broker')!,
      }),
      ...(optionalString(args, 'state') !== undefined && { state: optionalString(args, 'state')! }),
      ...(http !== undefined && http !== 'off' && { http }),
      ...(flag(args, 'stdin') && { stdin: true }),
    },
    env: io.env,
  })
  if (http === 'off') {
    return {
      ...loaded,
      settings: { ...loaded.settings, http: { ...loaded.settings.http, enabled: false } },
    }
  }
  return loaded
}

function makeLogger(level: string): Logger {
  return pino(
    { level, base: { app: 'sealwire-agent' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  )
}

async function readStdin(agent: Agent, log: Logger, signal: AbortSignal): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  signal.addEventListener('abort', () => lines.close(), { once: true })
  let n = 0
  for await (const line of lines) {
    n++
    if (line.trim() === '') continue
    try {
      await agent.submit(parseReadings(line, { ndjson: true }))
    } catch (err) {
      const where = err instanceof ReadingError ? `stdin line ${n}: ` : `stdin line ${n}: `
      log.error(
        { event: 'stdin-refused', line: n, code: (err as { code?: unknown }).code },
        `${where}${(err as Error).message}`,
      )
    }
  }
  log.info({ event: 'stdin-closed', lines: n }, 'standard input closed')
}

/**
 * The spool folder of the settings (README "Spool folder"), not started yet; undefined when
 * `spool.dir` is not set. Loaded only then: the S3 SDK costs an agent without a spool nothing.
 */
async function spoolOf(
  checked: CheckedSettings,
  io: CliIo,
  log: Logger,
): Promise<FileSpool | undefined> {
  const { spool } = checked.settings
  if (spool.dir === undefined) return undefined
  if (spool.url === undefined) {
    throw new ConfigError('spool.url', 'settings', 'required when spool.dir is set')
  }
  const { FileSpool, parseSpoolUrl, spoolS3Client } = await import('./spool/index.ts')
  return new FileSpool({
    dir: spool.dir,
    location: parseSpoolUrl(spool.url, 'settings'),
    client: spoolS3Client(spool, io.env),
    key: checked.device.bundle.key,
    deviceId: checked.device.config.deviceId,
    scanMs: spool.scanMs,
    onEvent: (e) =>
      e.event === 'spool-uploaded'
        ? log.info(e, `spooled ${e.file} uploaded`)
        : log.warn(
            {
              event: e.event,
              file: e.file,
              detail: e.error instanceof Error ? e.error.message : String(e.error),
            },
            `spooled ${e.file} not uploaded; retrying at the next scan`,
          ),
  })
}

async function run(checked: CheckedSettings, io: CliIo): Promise<number> {
  const { settings } = checked
  const log = makeLogger(settings.log.level)
  const spool = await spoolOf(checked, io, log)
  const served = await serveAgent(checked, log)
  const { agent, server } = served
  const stopStdin = new AbortController()
  spool?.start()
  try {
    if (server !== undefined) {
      log.info({ event: 'ingest', url: server.url }, `ingest API on ${server.url}`)
    }
    io.stdout.write(`sealwire-agent ${agent.deviceId} running; ingest ${server?.url ?? 'off'}\n`)
    if (settings.stdin) void readStdin(agent, log, stopStdin.signal)
    const why = await untilStopped(io.signal)
    log.info({ event: 'stopping', signal: why }, 'stopping')
  } finally {
    stopStdin.abort()
    await spool?.stop()
    await served.stop()
  }
  return EXIT.ok
}

function printStatus(stateDir: string, json: boolean, io: CliIo): number {
  const s = readStoreStatus(stateDir)
  if (json) {
    io.stdout.write(`${JSON.stringify(s)}\n`)
    return EXIT.ok
  }
  const age = s.outbox.oldestAgeMs === null ? '-' : `${(s.outbox.oldestAgeMs / 1000).toFixed(1)} s`
  const lines = [
    `sequence high-water: ${s.sequence.lastQueued ?? '-'} (reserved through ${s.sequence.reservedThrough})`,
    `boot count: ${s.bootCount}`,
    `outbox: ${s.outbox.count} messages, ${s.outbox.bytes} bytes (${s.outbox.pending} pending)`,
    `oldest queued: ${age}`,
    `current epoch: ${s.currentEpochId ?? '-'}`,
    `dropped: full ${s.drops.full.messages} (${s.drops.full.bytes} B), ttl ${s.drops.ttl.messages} (${s.drops.ttl.bytes} B)`,
    `time floor: ${s.timeFloorMs === null ? '-' : new Date(s.timeFloorMs).toISOString()}`,
    `last error: ${s.lastError === null ? '-' : `${new Date(s.lastError.at).toISOString()} ${s.lastError.message}`}`,
  ]
  io.stdout.write(`${lines.join('\n')}\n`)
  return EXIT.ok
}

/**
 * Runs the CLI with `argv` (without node and script paths); resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const cli = defaultCliIo(io)
  try {
    const taken = takeCommand(argv, {}, cli, MAIN_HELP)
    if (taken === EXIT.ok) return EXIT.ok
    const { command, rest } = taken
    switch (command) {
      case 'run':
      case 'check-config': {
        if (wantsHelp(rest)) {
          cli.stdout.write(command === 'run' ? RUN_HELP : CHECK_HELP)
          return EXIT.ok
        }
        const args = parseCommandArgs(rest, SETTING_FLAGS, 0)
        const loaded = await settingsFrom(args, cli)
        const checked = await checkAgentSettings(loaded.settings, loaded.sources)
        if (command === 'check-config') {
          cli.stdout.write(`${checked.summary}\n`)
          for (const w of checked.device.bundle.warnings) cli.stderr.write(`warning: ${w}\n`)
          return EXIT.ok
        }
        return await run(checked, cli)
      }
      case 'status': {
        if (wantsHelp(rest)) {
          cli.stdout.write(STATUS_HELP)
          return EXIT.ok
        }
        const args = parseCommandArgs(
          rest,
          { state: { type: 'string' }, json: { type: 'boolean' } },
          0,
        )
        return printStatus(requiredString(args, 'state'), flag(args, 'json'), cli)
      }
      case 'schema': {
        if (wantsHelp(rest)) {
          cli.stdout.write(
            'usage: sealwire-agent schema\n\nPrints the JSON Schema of the config file.\n',
          )
          return EXIT.ok
        }
        parseCommandArgs(rest, {}, 0)
        cli.stdout.write(`${JSON.stringify(agentJsonSchema(), null, 2)}\n`)
        return EXIT.ok
      }
      default:
        throw new UsageError(
          `unknown command ${shown(command)}; commands: run, check-config, status, schema`,
        )
    }
  } catch (err) {
    return reportError(err, cli, exitCodeOf)
  }
}
