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
import { mkdir, chmod } from 'node:fs/promises'
import { flag, integerFlag, optionalString, requiredString } from '../cli/args.ts'
import type { ParsedArgs } from '../cli/args.ts'
import { defaults, FILE_MODES } from '../defaults.ts'
import { CsvError, IoError } from '../errors.ts'
import { exitCodeOf } from '../exit_codes.ts'
import { readLimited } from '../bundle/_read_limited.ts'
import { fsyncDir } from '../bundle/atomic_write.ts'
import { checkTopicPrefix } from '../batch/agent_config.ts'
import { parseDevicesCsv } from '../batch/devices_csv.ts'
import { ProgressReporter } from '../../../platform/src/index.ts'
import { provisionDevices } from '../batch/provision_devices.ts'
import { parseExpectedPin } from '../key/pin.ts'
import { checkKeyIdFlag, fetchPublicKey } from '../kms/fetch_public_key.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'
import { BundleError } from '../errors.ts'
import { shown } from '../_sanitize.ts'
import { dirname } from 'node:path'

const HELP = `usage: sealwire-provision batch --devices FILE.csv --key-id KEY --out DIR [flags]

Provisions one folder per device, DIR/<device_id>/, holding the key bundle (public_key.der,
manifest.json) and agent.json (device id, MQTT topics, pin). The public key is fetched and
checked once per run. Reruns skip finished devices, complete interrupted ones, and refuse a
folder that pins another key. The CSV needs a header row with a device_id column; ids are
[A-Za-z0-9._-]{1,128}, unique.

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
    bytes = await readLimited(path, defaults.limits.maxCsvBytes)
  } catch (err) {
    if (err instanceof BundleError) {
      throw new CsvError(
        0,
        err.code === 'ERR_BUNDLE_MISSING' ? `${shown(path, 200)} not found` : err.message,
      )
    }
    throw err
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new CsvError(0, `${shown(path, 200)} is not UTF-8 text`)
  }
}

async function ensureOutDir(dir: string): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode: FILE_MODES.keyDir })
    // Only a folder this run created gets its mode set: an existing one is the operator's.
    if (created !== undefined) {
      await chmod(dir, FILE_MODES.keyDir)
      await fsyncDir(dirname(dir))
    }
  } catch (err) {
    if (err instanceof IoError) throw err
    throw new IoError(
      `cannot create ${shown(dir, 200)}: ${String((err as { code?: unknown }).code ?? err)}`,
      err,
    )
  }
}

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const started = performance.now()
  const devicesPath = requiredString(args, 'devices')
  const keyId = checkKeyIdFlag(requiredString(args, 'key-id'))
  const out = requiredString(args, 'out')
  const expectRaw = optionalString(args, 'expect-sha256')
  const expectSha256 = expectRaw === undefined ? undefined : parseExpectedPin(expectRaw)
  const topicPrefix = checkTopicPrefix(optionalString(args, 'topic-prefix') ?? defaults.topicPrefix)
  const concurrencyRaw = optionalString(args, 'concurrency')
  const concurrency =
    concurrencyRaw === undefined
      ? defaults.batchConcurrency
      : integerFlag(concurrencyRaw, '--concurrency', 1, 256)
  const force = flag(args, 'force')

  const devices = parseDevicesCsv(await readCsv(devicesPath))
  const { checked, manifest } = await fetchPublicKey(ctx.kms(), keyId, {
    now: () => ctx.now(),
    expectSha256,
  })
  await ensureOutDir(out)

  const progress = new ProgressReporter(devices.length, ctx.io.stderr, { label: 'devices' })
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
  const elapsed = seconds(performance.now() - started)
  const { created, updated, skipped, refused } = result
  if (created === 0 && updated === 0 && refused.length === 0) {
    ctx.io.stdout.write(
      `nothing to do: ${skipped} devices already provisioned in ${out} ` +
        `(pin sha256:${checked.pinSha256}, ${elapsed})\n`,
    )
    return 0
  }
  ctx.io.stdout.write(
    `batch: ${devices.length} devices in ${out}: created ${created}, updated ${updated}, ` +
      `skipped ${skipped}, refused ${refused.length} (${elapsed})\n` +
      `keyArn: ${checked.keyArn}\npinSha256: ${checked.pinSha256}\n`,
  )
  if (refused.length === 0) return 0
  const first = refused[0]!
  const names = refused
    .slice(0, 5)
    .map((r) => r.deviceId)
    .join(', ')
  const more = refused.length > 5 ? `, and ${refused.length - 5} more` : ''
  ctx.io.stderr.write(
    `error ${first.error.code}: ${refused.length} device folder(s) refused and left unchanged ` +
      `(${names}${more})\n`,
  )
  return exitCodeOf(first.error.code)
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
