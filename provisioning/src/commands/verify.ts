/**
 * `verify`: re-checks a key bundle or a device folder offline, exactly as the device agent does at
 * start: device-bundle's `verifyDeviceFolder` when the folder holds `agent.json`, else
 * `verifyBundle`. Prints the pin on success; warnings (writable files, stray temporary files) go
 * to stderr and leave the exit code 0.
 *
 * What it binds: the pin binds the key bytes (to the manifest, to `agent.json`, and to
 * `--expect-sha256`); the recorded key ARN is checked only against `--expect-key-arn`.
 *
 * @example
 * ```ts
 * await main(['verify', '/var/lib/station/key', '--expect-sha256', pin], io) // 0, or 4 on a swapped key
 * ```
 */
import { join } from 'node:path'
import type { VerifiedBundle } from '../../../device-bundle/src/index.ts'
import {
  BUNDLE_FILES,
  isKeyArn,
  parseExpectedPin,
  verifyBundle,
  verifyDeviceFolder,
} from '../../../device-bundle/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { optionalString, pathExists, shown, UsageError } from '../../../platform/src/index.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'

const HELP = `usage: sealwire-provision verify DIR [--expect-sha256 HEX] [--expect-key-arn ARN]

Checks a key bundle, or a device folder (bundle + agent.json), without network access, as the
device agent does at start: the files present, manifest.json well-formed, public_key.der
accepted by the device's key check, SHA-256(public_key.der) equal to the manifest's pin (and to
agent.json's), and equal to HEX if given. The pin binds the key bytes; the key ARN the manifest
records is checked only against --expect-key-arn.

flags:
  --expect-sha256 HEX   the pin the bundle must have (64 hex digits, colons allowed)
  --expect-key-arn ARN  the key ARN the manifest must record

${GLOBAL_HELP}
`

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const dir = args.positionals[0]
  if (dir === undefined) {
    throw new UsageError('verify needs the bundle folder: verify DIR (see --help)')
  }
  const expectRaw = optionalString(args, 'expect-sha256')
  const expectSha256 = expectRaw === undefined ? undefined : parseExpectedPin(expectRaw)
  const expectKeyArn = optionalString(args, 'expect-key-arn')
  if (expectKeyArn !== undefined && !isKeyArn(expectKeyArn)) {
    throw new UsageError(`--expect-key-arn ${shown(expectKeyArn)} is not a KMS key ARN`)
  }
  const options = { expectSha256, expectKeyArn }
  let bundle: VerifiedBundle
  let device = ''
  if (await pathExists(join(dir, BUNDLE_FILES.agentConfig))) {
    const verified = await verifyDeviceFolder(dir, options)
    bundle = verified.bundle
    const { deviceId, topics } = verified.config
    device = `deviceId: ${deviceId}\ndataTopic: ${topics.data}\nkeyTopic: ${topics.key}\n`
  } else {
    bundle = await verifyBundle(dir, options)
  }
  for (const w of bundle.warnings) ctx.io.stderr.write(`warning: ${w}\n`)
  ctx.io.stdout.write(
    `ok: ${dir}\nkeyArn: ${bundle.manifest.keyArn}\nkeySpec: ${bundle.manifest.keySpec}\n` +
      `pinSha256: ${bundle.pinSha256}\npinId: ${bundle.pinId}\n${device}`,
  )
  return 0
}

/**
 * The `verify` command.
 *
 * @example
 * ```ts
 * verifyCommand.run(parseCommandArgs([dir], verifyCommand.flags, 1), ctx)
 * ```
 */
export const verifyCommand: Command = Object.freeze<Command>({
  name: 'verify',
  summary: 'check a key bundle or device folder offline (files, manifest, key, pin)',
  help: HELP,
  flags: Object.freeze({
    'expect-sha256': { type: 'string' },
    'expect-key-arn': { type: 'string' },
  }),
  maxPositionals: 1,
  run,
})
