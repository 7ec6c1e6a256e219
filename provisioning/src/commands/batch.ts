/**
 * `batch`: provisions many devices from a CSV with one `GetPublicKey` for the whole run.
 *
 * The CSV is read and checked before KMS is called, so a bad file fails fast and offline. Then the
 * key is fetched and checked once (`DescribeKey` + `GetPublicKey`), and every device gets a folder
 * `OUT/<device_id>/` with the key bundle and `agent.json`. Reruns skip finished devices and refuse
 * folders that pin another key (see `provisionDevices`). Progress goes to stderr (a bar on a
 * terminal, plain lines otherwise), the summary to stdout.
 *
 * @example
 * ```ts
 * await main(['batch', '--devices', 'line7.csv', '--key-id', 'alias/fleet', '--out', '/out'], io)
 * ```
 */
import {
  assertPin,
  createManifest,
  parseExpectedPin,
  topicPrefixProblem,
} from '../../../device-bundle/src/index.ts'
import { checkKeyId, fetchPublicKey } from '../../../kms-client/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import {
  EXIT,
  flag,
  integerFlag,
  IoError,
  optionalString,
  ProgressReporter,
  readFileBounded,
  requiredString,
  shown,
  UsageError,
} from '../../../platform/src/index.ts'
import { parseDevicesCsv } from '../batch/devices_csv.ts'
import { provisionDevices } from '../batch/provision_devices.ts'
import { defaults } from '../defaults.ts'
import { CsvError } from '../errors.ts'
import { exitCodeOf } from '../exit_codes.ts'
import { ensureOutDir, writableByOthers } from '../output/out_dir.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'

const HELP = `usage: sealwire-provision batch --devices FILE.csv --key-id KEY --out DIR [flags]

Provisions one folder per device, DIR/<device_id>/, holding the key bundle (public_key.der,
manifest.json) and agent.json (device id, MQTT topics, pin). The public key is fetched and
checked once per run. Reruns skip finished devices, complete interrupted ones, and refuse a
folder that pins another key. The CSV needs a header row with a device_id column; ids are
[A-Za-z0-9._-]{1,128}, not beginning with "-" or ".", unique ignoring case.

flags:
  --devices FILE       devices CSV (required)
  --key-id KEY         key id, key ARN, alias/NAME or alias ARN (required)
  --out DIR            output folder (required); device folders get mode 0700
  --expect-sha256 HEX  refuse unless SHA-256 of the SPKI is this
  --topic-prefix P     MQTT topic prefix (default "${defaults.topicPrefix}"): P/<id>/data, P/<id>/key
  --force              replace device folders that pin another key
  --concurrency N      devices written in parallel (default ${defaults.batchConcurrency})

IAM: kms:DescribeKey, kms:GetPublicKey.

${GLOBAL_HELP}
`

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

async function readCsv(path: string): Promise<string> {
  let bytes: Uint8Array
  try {
    // Non-blocking: a FIFO given as the CSV is refused at once instead of hanging the station.
    bytes = await readFileBounded(path, defaults.limits.maxCsvBytes)
  } catch (err) {
    if (err instanceof IoError && err.reason === 'missing') {
      throw new CsvError(0, `${shown(path, 200)} not found`, { cause: err })
    }
    if (err instanceof IoError && (err.reason === 'not-regular' || err.reason === 'too-large')) {
      throw new CsvError(0, err.message, { cause: err })
    }
    throw err
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (err) {
    throw new CsvError(0, `${shown(path, 200)} is not UTF-8 text`, { cause: err })
  }
}

function topicPrefixFlag(value: string): string {
  const problem = topicPrefixProblem(value)
  if (problem !== undefined) throw new UsageError(`--topic-prefix ${shown(value)} ${problem}`)
  return value
}

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const started = ctx.clock.monotonic()
  const devicesPath = requiredString(args, 'devices')
  const keyId = checkKeyId(requiredString(args, 'key-id'))
  const out = requiredString(args, 'out')
  const expectRaw = optionalString(args, 'expect-sha256')
  const expectSha256 = expectRaw === undefined ? undefined : parseExpectedPin(expectRaw)
  const topicPrefix = topicPrefixFlag(optionalString(args, 'topic-prefix') ?? defaults.topicPrefix)
  const concurrencyRaw = optionalString(args, 'concurrency')
  const concurrency =
    concurrencyRaw === undefined
      ? defaults.batchConcurrency
      : integerFlag(concurrencyRaw, '--concurrency', 1, 256)
  const force = flag(args, 'force')

  const devices = parseDevicesCsv(await readCsv(devicesPath))
  const { checked, fetchedAt, source } = await fetchPublicKey(ctx.kms(), keyId, {
    clock: ctx.clock,
  })
  if (expectSha256 !== undefined) {
    assertPin(checked.pinSha256, expectSha256, `the public key of ${checked.keyArn}`)
  }
  const manifest = createManifest(checked, { fetchedAt, source })
  await ensureOutDir(out)
  const warning = await writableByOthers(out)
  if (warning !== undefined) ctx.io.stderr.write(`warning: ${warning}\n`)

  const progress = new ProgressReporter(devices.length, ctx.io.stderr, {
    label: 'devices',
    now: () => ctx.clock.monotonic(),
  })
  let result
  try {
    result = await provisionDevices({
      outDir: out,
      devices,
      spki: checked.key.spki,
      manifest,
      topicPrefix,
      force,
      concurrency,
      onDevice(deviceId, outcome, error) {
        if (outcome === 'refused' && error !== undefined) {
          progress.log(`refused ${deviceId}: ${error.code}: ${error.message}`)
        }
        progress.tick()
      },
    })
  } finally {
    progress.finish()
  }
  const elapsed = seconds(ctx.clock.monotonic() - started)
  const { created, updated, skipped, refused } = result
  if (created === 0 && updated === 0 && refused.length === 0) {
    ctx.io.stdout.write(
      `nothing to do: ${plural(skipped, 'device')} already provisioned in ${out} ` +
        `(pin sha256:${checked.pinSha256}, ${elapsed})\n`,
    )
    return EXIT.ok
  }
  ctx.io.stdout.write(
    `batch: ${plural(devices.length, 'device')} in ${out}: created ${created}, updated ${updated}, ` +
      `skipped ${skipped}, refused ${refused.length} (${elapsed})\n` +
      `keyArn: ${checked.keyArn}\npinSha256: ${checked.pinSha256}\n`,
  )
  if (refused.length === 0) return EXIT.ok
  const first = refused[0]!
  const names = refused
    .slice(0, 5)
    .map((r) => r.deviceId)
    .join(', ')
  const more = refused.length > 5 ? `, and ${refused.length - 5} more` : ''
  ctx.io.stderr.write(
    `error ${first.error.code}: ${plural(refused.length, 'device folder')} refused and left unchanged ` +
      `(${names}${more})\n`,
  )
  return exitCodeOf(first.error.code) ?? EXIT.internal
}

/** `1 device`, `2 devices`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/**
 * The `batch` command.
 *
 * @example
 * ```ts
 * batchCommand.run(parseCommandArgs(argv, batchCommand.flags, 0), ctx)
 * ```
 */
export const batchCommand: Command = Object.freeze<Command>({
  name: 'batch',
  summary: 'provision many devices from a CSV (one GetPublicKey per run)',
  help: HELP,
  flags: Object.freeze({
    devices: { type: 'string' },
    'key-id': { type: 'string' },
    out: { type: 'string' },
    'expect-sha256': { type: 'string' },
    'topic-prefix': { type: 'string' },
    force: { type: 'boolean' },
    concurrency: { type: 'string' },
  }),
  maxPositionals: 0,
  run,
})
