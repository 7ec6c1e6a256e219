/**
 * `verify`: re-checks a key bundle offline, exactly as the device agent does at start
 * (`verifyBundle`). Prints the pin on success; warns about group- or world-writable files.
 *
 * @example
 * ```ts
 * await main(['verify', '/var/lib/station/key', '--expect-sha256', pin], io) // 0, or 4 on a swapped key
 * ```
 */
import { optionalString } from '../cli/args.ts'
import type { ParsedArgs } from '../cli/args.ts'
import { UsageError } from '../errors.ts'
import { verifyBundle } from '../bundle/verify_bundle.ts'
import { parseExpectedPin } from '../key/pin.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'

const HELP = `usage: sealwire-provision verify DIR [--expect-sha256 HEX]

Checks a key bundle without network access: both files present, manifest.json well-formed,
public_key.der accepted by the device's key check, SHA-256(public_key.der) equal to the
manifest's pin, and equal to HEX if given.

flags:
  --expect-sha256 HEX  the pin the bundle must have (64 hex digits, colons allowed)

${GLOBAL_HELP}
`

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const dir = args.positionals[0]
  if (dir === undefined)
    throw new UsageError('verify needs the bundle folder: verify DIR (see --help)')
  const expectRaw = optionalString(args, 'expect-sha256')
  const expectSha256 = expectRaw === undefined ? undefined : parseExpectedPin(expectRaw)
  const bundle = await verifyBundle(dir, { expectSha256 })
  for (const w of bundle.warnings) ctx.io.stderr.write(`warning: ${w}\n`)
  ctx.io.stdout.write(
    `ok: ${dir}\nkeyArn: ${bundle.manifest.keyArn}\nkeySpec: ${bundle.manifest.keySpec}\n` +
      `pinSha256: ${bundle.pinSha256}\npinId: ${bundle.pinId}\n`,
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
  summary: 'check a key bundle offline (files, manifest, key, pin)',
  help: HELP,
  flags: Object.freeze({ 'expect-sha256': { type: 'string' } }),
  maxPositionals: 1,
  run,
})
