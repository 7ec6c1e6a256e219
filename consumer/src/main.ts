/**
 * `sealwire-consumer`: the consumer's command line, as a function that returns the exit code.
 *
 * Commands: `run` (subscribe, open, deliver until SIGTERM/SIGINT), `replay` (run the dead
 * letters again), `stats` (what the state and the dead-letter store hold). Settings: defaults <
 * config file < `SEALWIRE_CONSUMER_*` < flags. Errors are one line, `error CODE: message`; exit
 * codes are in the README (`78` for any configuration problem: nothing was started). With
 * `--sink jsonl:-` standard output carries the readings only; logs (pino JSON) go to standard
 * error.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['run', '--broker', 'mqtt://127.0.0.1:1883', '--key-id', 'alias/fleet', '--sink', 'jsonl:-'])
 * ```
 */
import { pino } from 'pino'
import type { Logger } from 'pino'
import { KmsSession, kmsClientDefaults } from '../../kms-client/src/index.ts'
import type { KmsSessionOptions } from '../../kms-client/src/index.ts'
import type { CliIo, FlagSpecs, ParsedArgs } from '../../platform/src/index.ts'
import {
  EXIT,
  UsageError,
  defaultCliIo,
  exitCodeTable,
  flag,
  optionalString,
  parseCommandArgs,
  reportError,
  shown,
  splitCommand,
  stringList,
  untilStopped,
  wantsHelp,
} from '../../platform/src/index.ts'
import { checkSettings } from './config/check_settings.ts'
import type { CheckedSettings, Needs } from './config/check_settings.ts'
import type { ConsumerSettings } from './config/defaults.ts'
import { coreSettings } from './config/core_settings.ts'
import { FLAG_SETTINGS, loadSettings, settingEnvNames } from './config/load_settings.ts'
import { createConsumerCore } from './consumer_core.ts'
import type { ConsumerCore, ConsumerCoreOptions } from './consumer_core.ts'
import { DEAD_LETTER_REASONS } from './dead_letters/dead_letter_store.ts'
import type { DeadLetterStore } from './dead_letters/dead_letter_store.ts'
import { deadLettersFromSpec } from './dead_letters/index.ts'
import { loadKeyRing } from './keys/key_ring.ts'
import type { KeyRing } from './keys/key_ring.ts'
import { hsmLabelsFor } from './keys/hsm_labels.ts'
import { checkHsmSettings } from './config/check_hsm.ts'
import type { CheckedHsm } from './config/check_hsm.ts'
import { Pkcs11Hsm } from '../../hsm/src/index.ts'
import { startMetricsServer } from './metrics/metrics_server.ts'
import type { MetricsServer } from './metrics/metrics_server.ts'
import { replayDeadLetters } from './replay.ts'
import { sinkFromUrl } from './sinks/index.ts'
import type { Sink } from './sinks/index.ts'
import { stateFromSpec } from './state/index.ts'
import type { ConsumerState } from './state/index.ts'
import { MqttSubscriber } from './transport/mqtt_subscriber.ts'
import { CONSUMER_VERSION } from './version.ts'

/** Exit codes by class (README "Exit codes"). */
export const CONSUMER_EXIT = Object.freeze({
  ...EXIT,
  /** sysexits EX_UNAVAILABLE: KMS, the broker, Redis, the sink or the dead-letter store is away. */
  unavailable: 69,
  /** sysexits EX_IOERR: a local file could not be read or written. */
  io: 74,
  /** sysexits EX_DATAERR: a stored dead letter does not decode (changed by hand?). */
  data: 65,
})

const exitCodeOf = exitCodeTable({
  [CONSUMER_EXIT.config]: [
    'ERR_CONFIG',
    'ERR_KEY_UNSUPPORTED',
    'ERR_KEY_SIZE',
    'ERR_KEY_EXPONENT',
    'ERR_KEY_SPEC',
    'ERR_KEY_USAGE',
    'ERR_KEY_ALGORITHM',
    'ERR_KEY_STATE',
    'ERR_KMS_DENIED',
    'ERR_KMS_REQUEST',
    'ERR_BROKER_REFUSED',
    'ERR_SINK_FILE_INVALID',
    'ERR_SINK_TABLE_INVALID',
    'ERR_STATE_WINDOW_MISMATCH',
    'ERR_HSM_LOGIN',
    'ERR_HSM_KEY_NOT_FOUND',
    'ERR_HSM_KEY_EXISTS',
    'ERR_HSM_UNSUPPORTED',
    'ERR_HSM_OPERATION',
  ],
  [CONSUMER_EXIT.data]: ['ERR_DEAD_LETTER_INVALID'],
  [CONSUMER_EXIT.unavailable]: [
    'ERR_KMS_UNAVAILABLE',
    'ERR_BROKER_UNREACHABLE',
    'ERR_STATE_UNAVAILABLE',
    'ERR_SINK_UNAVAILABLE',
    'ERR_DEAD_LETTERS_UNAVAILABLE',
    'ERR_HSM_UNAVAILABLE',
  ],
  [CONSUMER_EXIT.io]: ['ERR_IO'],
})

/** The parts a command opens, replaceable in tests. */
export interface ConsumerParts {
  readonly openState: (settings: ConsumerSettings) => Promise<ConsumerState>
  readonly openSink: (settings: ConsumerSettings, io: CliIo) => Promise<Sink>
  readonly openDeadLetters: (settings: ConsumerSettings) => Promise<DeadLetterStore>
}

const defaultParts: ConsumerParts = {
  openState: (s) =>
    stateFromSpec(s.state, {
      windowSize: s.replayWindow,
      keyPrefix: s.stateKeyPrefix ?? `sealwire:${s.topicPrefix}:`,
    }),
  openSink: (s, io) =>
    sinkFromUrl(s.sink!, {
      postgres: { table: s.sinkTable },
      stdout: {
        write: (chunk: string, cb?: (err?: Error | null) => void) => writeChunk(io, chunk, cb),
      },
    }),
  openDeadLetters: (s) =>
    deadLettersFromSpec(s.deadLetters, { postgres: { table: s.deadLettersTable } }),
}

function writeChunk(io: CliIo, chunk: string, cb?: (err?: Error | null) => void): boolean {
  const out = io.stdout as { write(chunk: string, cb?: (err?: Error | null) => void): unknown }
  const ok = out.write(chunk, cb)
  // A test capture does not call back: the chunk is already kept.
  if (out !== process.stdout) cb?.(null)
  return ok !== false
}

const COMMON_FLAGS: FlagSpecs = Object.freeze({
  config: { type: 'string' },
  'topic-prefix': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
})

const KMS_FLAGS: FlagSpecs = Object.freeze({
  'key-id': { type: 'string', multiple: true },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
})

const RUN_FLAGS: FlagSpecs = Object.freeze({
  ...COMMON_FLAGS,
  ...KMS_FLAGS,
  broker: { type: 'string' },
  sink: { type: 'string' },
  'share-group': { type: 'string' },
  'client-id': { type: 'string' },
  state: { type: 'string' },
  'dead-letters': { type: 'string' },
  metrics: { type: 'string' },
})

const REPLAY_FLAGS: FlagSpecs = Object.freeze({
  ...COMMON_FLAGS,
  ...KMS_FLAGS,
  sink: { type: 'string' },
  state: { type: 'string' },
  'dead-letters': { type: 'string' },
})

const STATS_FLAGS: FlagSpecs = Object.freeze({
  ...COMMON_FLAGS,
  state: { type: 'string' },
  'dead-letters': { type: 'string' },
  json: { type: 'boolean' },
})

const MAIN_HELP = `usage: sealwire-consumer <command> [flags]

The sealwire consumer: subscribes to the devices' sealed telemetry (MQTT shared subscription),
calls KMS Decrypt once per data-key epoch, checks replay and gaps, and delivers each reading once
to its sink; what cannot be delivered is kept as a dead letter.

commands:
  run      run the consumer until SIGTERM or SIGINT
  replay   run the dead letters again: what opens is delivered once and removed
  stats    print what the state and the dead-letter store hold

Settings: defaults < config file < environment (SEALWIRE_CONSUMER_*) < flags. Run
"sealwire-consumer <command> --help" for flags; the README lists every setting.
`

const KMS_HELP = `  --key-id KEY        KMS key id, ARN or alias this consumer decrypts for (repeat for
                      several); its public key is fetched and checked at start
  --endpoint URL      KMS endpoint (kms-local, a VPC endpoint); default AWS's of the region
  --region R          AWS region (default AWS_REGION)
  --profile P         AWS shared-config profile (default AWS_PROFILE)`

const COMMON_HELP = `  --config FILE       JSON config file; env SEALWIRE_CONSUMER_CONFIG
  --topic-prefix P    topic prefix of the devices (default sealwire)
  --log-level L       debug, info, warn or error (default info); logs are JSON on stderr`

const RUN_HELP = `usage: sealwire-consumer run --key-id KEY --sink SINK [flags]

  --broker URL        mqtt://host:1883 or mqtts://host:8883 (default mqtt://127.0.0.1:1883)
${KMS_HELP}
  --sink SINK         jsonl:PATH, jsonl:- (stdout) or postgres://user@host/db
  --share-group NAME  MQTT share group of the instances (default sealwire-consumer)
  --client-id ID      stable MQTT client id of this instance (its data connection; its key
                      connection is ID-keys): its sessions then survive a restart
                      (broker.sessionExpirySec); default random ids, clean sessions
  --state S           memory (default) or redis://host:6379 (shared by the instances)
  --dead-letters D    a folder, or postgres://… (default /var/lib/sealwire-consumer/dead-letters)
  --metrics HOST:PORT Prometheus endpoint (/metrics, /healthz); default off
${COMMON_HELP}

Environment: every setting has a variable, e.g. ${[...settingEnvNames().values()].slice(0, 3).join(', ')}, …
Stops on SIGTERM/SIGINT: unsubscribes, finishes the messages in flight (drainMs), acknowledges
them, disconnects.
`

const REPLAY_HELP = `usage: sealwire-consumer replay --dead-letters D --key-id KEY --sink SINK [flags]

Runs every dead letter again, announcements first: what opens is delivered once and removed; the
rest stays, with its reason brought up to date. Prints one summary line.

  --dead-letters D    the folder or postgres://… the consumer keeps its dead letters in
${KMS_HELP}
  --sink SINK         jsonl:PATH, jsonl:- (stdout) or postgres://user@host/db
  --state S           the consumer's state (memory or redis://…): stored announcements, replay
                      windows
${COMMON_HELP}
`

const STATS_HELP = `usage: sealwire-consumer stats [--state S] [--dead-letters D] [--json]

Prints what the state holds (devices, stored announcements) and the dead letters by reason.

  --state S           memory or redis://… (default memory)
  --dead-letters D    a folder or postgres://…
  --json              one JSON object instead of lines
${COMMON_HELP}
`

function flagsOf(
  args: ParsedArgs,
  specs: FlagSpecs,
): Record<string, string | readonly string[] | undefined> {
  const out: Record<string, string | readonly string[] | undefined> = {}
  for (const [name, spec] of Object.entries(specs)) {
    if (FLAG_SETTINGS[name] === undefined) continue
    out[name] = spec.multiple === true ? stringList(args, name) : optionalString(args, name)
  }
  return out
}

async function settingsFor(
  args: ParsedArgs,
  specs: FlagSpecs,
  io: CliIo,
  needs: Needs,
): Promise<CheckedSettings> {
  const loaded = await loadSettings({
    config: optionalString(args, 'config'),
    flags: flagsOf(args, specs),
    env: io.env,
  })
  return checkSettings(loaded, needs)
}

function makeLogger(level: string, io: CliIo): Logger {
  return pino(
    {
      level,
      base: { app: 'sealwire-consumer' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    { write: (line: string) => void io.stderr.write(line) },
  )
}

function kmsSession(
  s: ConsumerSettings,
  io: CliIo,
  onRetry: KmsSessionOptions['onRetry'],
): KmsSession {
  return new KmsSession({
    endpoint: s.kms.endpoint,
    region: s.kms.region,
    profile: s.kms.profile,
    env: io.env,
    retry: { ...kmsClientDefaults.retry, maxRetries: s.kms.maxRetries },
    connectionTimeoutMs: s.kms.connectionTimeoutMs,
    requestTimeoutMs: s.kms.requestTimeoutMs,
    onRetry,
  })
}

/** Opens what a command needs, closing what was opened when a later one fails. */
class Opened {
  readonly #closers: (() => Promise<unknown> | void)[] = []

  add<T>(value: T, close: (v: T) => Promise<unknown> | void): T {
    this.#closers.push(() => close(value))
    return value
  }

  async close(log?: Logger): Promise<void> {
    for (const close of this.#closers.reverse()) {
      try {
        await close()
      } catch (err) {
        log?.warn({ event: 'close-failed', error: (err as Error).message }, 'closing failed')
      }
    }
  }
}

/** Opens the HSM of the fallback and maps the served kids to its key labels. */
async function openHsmFallback(
  h: CheckedHsm,
  ring: KeyRing,
  opened: Opened,
  log: Logger,
): Promise<NonNullable<ConsumerCoreOptions['hsmFallback']>> {
  const hsm = opened.add(
    await Pkcs11Hsm.open({ module: h.module, tokenLabel: h.tokenLabel, pin: h.pin }),
    (x) => x.close(),
  )
  const labels = await hsmLabelsFor(hsm, h.keyLabels, ring, h.keyLabelsSource)
  const caps = await hsm.capabilities()
  log.info(
    {
      event: 'hsm-fallback-ready',
      hsm: hsm.name,
      order: h.order,
      decrypt: caps.decrypt,
      kids: [...labels.keys()],
    },
    `HSM fallback: ${hsm.name}, ${h.order}`,
  )
  return { hsm, labels, order: h.order, kmsRetryAfterMs: h.kmsRetryAfterMs }
}

/** Opens the state, dead letters, sink, KMS session and key ring, and builds the core. */
async function openCore(
  checked: CheckedSettings,
  io: CliIo,
  parts: ConsumerParts,
  opened: Opened,
  log: Logger,
): Promise<{ state: ConsumerState; letters: DeadLetterStore; sink: Sink; core: ConsumerCore }> {
  const s = checked.settings
  const hsmSettings = await checkHsmSettings(checked, io.env)
  const state = opened.add(await parts.openState(s), (x) => x.close())
  const letters = opened.add(await parts.openDeadLetters(s), (x) => x.close())
  const sink = opened.add(await parts.openSink(s, io), (x) => x.close())
  // The session's retry hook counts into the core's metrics, made once the keys are known.
  const late: { core?: ConsumerCore } = {}
  const session = opened.add(
    kmsSession(s, io, (op, e) => late.core?.onKmsRetry(op, e)),
    (x) => x.close(),
  )
  const ring = await loadKeyRing(session, s.keyIds, io.signal)
  for (const k of ring.keys) {
    log.info(
      { event: 'key', keyId: k.keyId, keyArn: k.keyArn, pinId: k.pinId, keySpec: k.keySpec },
      `serving key ${k.keyArn}`,
    )
  }
  const hsmFallback =
    hsmSettings === undefined ? undefined : await openHsmFallback(hsmSettings, ring, opened, log)
  const core = createConsumerCore({
    ring,
    session,
    state,
    sink,
    deadLetters: letters,
    settings: coreSettings(s),
    log,
    hsmFallback,
  })
  late.core = core
  return { state, letters, sink, core }
}

async function run(checked: CheckedSettings, io: CliIo, parts: ConsumerParts): Promise<number> {
  const s = checked.settings
  const log = makeLogger(s.log.level, io)
  const opened = new Opened()
  let fatal: unknown
  try {
    const { state, letters, sink, core: c } = await openCore(checked, io, parts, opened, log)
    let stopping = false
    let metrics: MetricsServer | undefined
    if (checked.metrics !== undefined) {
      metrics = opened.add(
        await startMetricsServer(c.metrics.registry, checked.metrics, () =>
          stopping ? 'stopping' : 'ok',
        ),
        (x) => x.close(),
      )
      log.info({ event: 'metrics', url: metrics.url }, `metrics on ${metrics.url}/metrics`)
    }
    const stopOnFatal = new AbortController()
    const sub = await MqttSubscriber.start({
      url: checked.broker.url,
      username: checked.broker.username,
      password: checked.broker.password,
      tls: checked.broker.tls,
      protocolVersion: s.broker.protocolVersion,
      clientId: s.broker.clientId,
      sessionExpirySec: s.broker.sessionExpirySec,
      keepaliveSec: s.broker.keepaliveSec,
      connectTimeoutMs: s.broker.connectTimeoutMs,
      topicPrefix: s.topicPrefix,
      shareGroup: s.broker.shareGroup,
      receiveMaximum: s.broker.receiveMaximum,
      settleMs: s.broker.settleMs,
      maxSettleMs: s.broker.maxSettleMs,
      handle: (msg) => c.pipeline.handle(msg),
      onFatal: (err) => {
        fatal ??= err
        log.fatal(
          { event: 'fatal', error: (err as Error).message },
          'a message could not be handled (a bug); stopping',
        )
        stopOnFatal.abort()
      },
      log,
    })
    c.transportInFlight = () => sub.inFlight
    log.info(
      {
        event: 'running',
        version: CONSUMER_VERSION,
        sink: sink.description,
        state: state.description,
        deadLetters: letters.description,
        shared: sub.info.shared,
        dataFilter: sub.info.dataFilter,
      },
      'sealwire-consumer running',
    )
    // Parked messages an instance left behind (killed before their announcement was opened)
    // are retried here once their epoch is known: they are dead letters already acknowledged.
    let sweeping = false
    const orphans = setInterval(
      () => {
        if (sweeping || stopping) return
        sweeping = true
        c.pipeline
          .retryOrphanedParked(ORPHAN_MIN_AGE_MS, ORPHANS_PER_PASS)
          .catch((err: unknown) =>
            log.warn(
              { event: 'orphans-failed', error: (err as Error).message },
              'retrying parked letters failed',
            ),
          )
          .finally(() => (sweeping = false))
      },
      Math.max(1_000, Math.floor(s.parking.maxAgeMs / 3)),
    )
    orphans.unref?.()
    const why = await Promise.race([
      untilStopped(io.signal),
      new Promise<'fatal'>((resolve) =>
        stopOnFatal.signal.addEventListener('abort', () => resolve('fatal'), { once: true }),
      ),
    ])
    stopping = true
    clearInterval(orphans)
    log.info({ event: 'stopping', signal: why }, 'stopping')
    let left = 0
    await sub.stop(async () => {
      left = await c.stop(s.drainMs)
    })
    log.info({ event: 'stopped', unacknowledged: left }, 'stopped')
  } finally {
    await opened.close(log)
    log.flush?.()
  }
  if (fatal !== undefined) throw fatal
  return EXIT.ok
}

/** A parked letter is someone else's orphan once it is this old and in no lot of ours. */
const ORPHAN_MIN_AGE_MS = 2_000
/** Letters retried per pass of the orphan sweep. */
const ORPHANS_PER_PASS = 1_000

async function replay(checked: CheckedSettings, io: CliIo, parts: ConsumerParts): Promise<number> {
  const s = checked.settings
  const log = makeLogger(s.log.level, io)
  const opened = new Opened()
  try {
    const { letters, core } = await openCore(checked, io, parts, opened, log)
    const prefix = `${s.topicPrefix}/`
    const summary = await replayDeadLetters(core.pipeline, letters, {
      isAnnouncement: (topic) => topic.startsWith(prefix) && topic.endsWith('/key'),
    })
    await core.stop(s.drainMs)
    const kept = Object.entries(summary.kept)
    const keptTotal = kept.reduce((n, [, v]) => n + (v ?? 0), 0)
    const line =
      `replayed ${summary.letters} dead letters: ${summary.delivered} delivered, ` +
      `${summary.announcements} announcements, ${summary.duplicates} duplicates removed; ` +
      `${keptTotal} kept${kept.length > 0 ? ` (${kept.map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}\n`
    // With --sink jsonl:- standard output is the readings'.
    ;(s.sink === 'jsonl:-' ? io.stderr : io.stdout).write(line)
  } finally {
    await opened.close(log)
  }
  return EXIT.ok
}

async function stats(
  checked: CheckedSettings,
  io: CliIo,
  parts: ConsumerParts,
  json: boolean,
): Promise<number> {
  const s = checked.settings
  const opened = new Opened()
  try {
    const state = opened.add(await parts.openState(s), (x) => x.close())
    const letters = opened.add(await parts.openDeadLetters(s), (x) => x.close())
    const held = await state.stats()
    const counts = await letters.count()
    const total = Object.values(counts).reduce((n, v) => n + (v ?? 0), 0)
    if (json) {
      io.stdout.write(
        `${JSON.stringify({
          state: {
            store: state.description,
            devices: held.devices,
            announcements: held.announcements,
          },
          deadLetters: { store: letters.description, total, byReason: counts },
        })}\n`,
      )
      return EXIT.ok
    }
    const lines = [
      `state: ${state.description}`,
      `  devices with a replay window: ${held.devices}`,
      `  stored announcements: ${held.announcements}`,
      `dead letters: ${letters.description}`,
      `  total: ${total}`,
      ...DEAD_LETTER_REASONS.filter((r) => (counts[r] ?? 0) > 0).map((r) => `  ${r}: ${counts[r]}`),
    ]
    io.stdout.write(`${lines.join('\n')}\n`)
    return EXIT.ok
  } finally {
    await opened.close()
  }
}

/**
 * Runs the CLI with `argv` (without node and script paths); resolves with the exit code.
 * `parts` replaces how the state, sink and dead-letter store are opened (tests).
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(
  argv: readonly string[],
  io: Partial<CliIo> = {},
  parts: Partial<ConsumerParts> = {},
): Promise<number> {
  const cli = defaultCliIo(io)
  const use: ConsumerParts = { ...defaultParts, ...parts }
  try {
    const { command, rest } = splitCommand(argv, {})
    if (command === undefined) {
      if (wantsHelp(rest)) {
        cli.stdout.write(MAIN_HELP)
        return EXIT.ok
      }
      cli.stderr.write(MAIN_HELP)
      throw new UsageError('no command given')
    }
    switch (command) {
      case 'run': {
        if (wantsHelp(rest)) {
          cli.stdout.write(RUN_HELP)
          return EXIT.ok
        }
        const args = parseCommandArgs(rest, RUN_FLAGS, 0)
        const checked = await settingsFor(args, RUN_FLAGS, cli, {
          keys: true,
          sink: true,
          broker: true,
        })
        return await run(checked, cli, use)
      }
      case 'replay': {
        if (wantsHelp(rest)) {
          cli.stdout.write(REPLAY_HELP)
          return EXIT.ok
        }
        const args = parseCommandArgs(rest, REPLAY_FLAGS, 0)
        const checked = await settingsFor(args, REPLAY_FLAGS, cli, {
          keys: true,
          sink: true,
          broker: false,
        })
        return await replay(checked, cli, use)
      }
      case 'stats': {
        if (wantsHelp(rest)) {
          cli.stdout.write(STATS_HELP)
          return EXIT.ok
        }
        const args = parseCommandArgs(rest, STATS_FLAGS, 0)
        const checked = await settingsFor(args, STATS_FLAGS, cli, {
          keys: false,
          sink: false,
          broker: false,
        })
        return await stats(checked, cli, use, flag(args, 'json'))
      }
      default:
        throw new UsageError(`unknown command ${shown(command)}; commands: run, replay, stats`)
    }
  } catch (err) {
    return reportError(err, cli, exitCodeOf)
  }
}
