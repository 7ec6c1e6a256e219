/**
 * `fetch`: fetches the KMS public key, checks it, pins it, and writes one key bundle.
 *
 * The folder is written only when it holds no bundle, or an interrupted write of this same key. A
 * folder already pinning this key (same pin, same ARN) is left untouched. One pinning another key
 * is refused with ERR_BUNDLE_CONFLICT unless `--force`; a folder holding other files is refused
 * even then. The folder the bundle goes into gets a warning when another user can write it.
 *
 * @example
 * ```ts
 * await main(['fetch', '--key-id', 'alias/fleet', '--out', '/var/lib/station/key'], io)
 * ```
 */
import { dirname } from 'node:path'
import {
  assertPin,
  createManifest,
  parseExpectedPin,
  writeBundle,
} from '../../../device-bundle/src/index.ts'
import { checkKeyId, fetchPublicKey } from '../../../kms-client/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { flag, optionalString, requiredString, shown } from '../../../platform/src/index.ts'
import { removeBundleTemps } from '../output/bundle_temps.ts'
import { inspectBundle } from '../output/inspect_bundle.ts'
import { writableByOthers } from '../output/out_dir.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'

const HELP = `usage: sealwire-provision fetch --key-id KEY --out DIR [--expect-sha256 HEX] [--force]

Fetches the public key of a KMS key, refuses it unless it is an enabled RSA_2048/3072/4096
ENCRYPT_DECRYPT key offering RSAES_OAEP_SHA_256 whose SPKI passes the device's own check, and
writes a key bundle to DIR: public_key.der (the DER SPKI) and manifest.json (the pin).

flags:
  --key-id KEY         key id, key ARN, alias/NAME or alias ARN (required)
  --out DIR            bundle folder; created with mode 0700 (required)
  --expect-sha256 HEX  refuse unless SHA-256 of the SPKI is this (64 hex digits, colons allowed)
  --force              replace a bundle that pins another key

IAM: kms:DescribeKey, kms:GetPublicKey.

${GLOBAL_HELP}
`

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const keyId = checkKeyId(requiredString(args, 'key-id'))
  const out = requiredString(args, 'out')
  const expectRaw = optionalString(args, 'expect-sha256')
  const expectSha256 = expectRaw === undefined ? undefined : parseExpectedPin(expectRaw)
  const force = flag(args, 'force')
  const { checked, fetchedAt, source } = await fetchPublicKey(ctx.kms(), keyId, {
    clock: ctx.clock,
  })
  if (expectSha256 !== undefined) {
    assertPin(checked.pinSha256, expectSha256, `the public key of ${checked.keyArn}`)
  }
  const status = await inspectBundle(out, { pinSha256: checked.pinSha256, keyArn: checked.keyArn })
  const summary =
    `keyArn: ${checked.keyArn}\nkeySpec: ${checked.keySpec}\n` +
    `pinSha256: ${checked.pinSha256}\npinId: ${checked.pinId}\n`
  for (const dir of [dirname(out), out]) {
    const warning = await writableByOthers(dir)
    if (warning !== undefined) ctx.io.stderr.write(`warning: ${warning}\n`)
  }
  if (status.kind === 'same') {
    const cleaned = await removeBundleTemps(out)
    if (cleaned.length > 0) {
      ctx.io.stderr.write(
        `warning: removed ${cleaned.length} temporary file(s) an interrupted write left in ` +
          `${shown(out, 200)}\n`,
      )
    }
    ctx.io.stdout.write(`unchanged: ${out} already pins this key\n${summary}`)
    return 0
  }
  if (status.kind === 'conflict' && (!force || !status.forceable)) throw status.error
  await removeBundleTemps(out)
  await writeBundle(out, checked.key.spki, createManifest(checked, { fetchedAt, source }))
  const verb = status.kind === 'conflict' ? 'replaced' : 'wrote'
  ctx.io.stdout.write(`${verb}: ${out}\n${summary}`)
  return 0
}

/**
 * The `fetch` command.
 *
 * @example
 * ```ts
 * fetchCommand.run(parseCommandArgs(['--key-id', 'alias/x', '--out', dir], fetchCommand.flags, 0), ctx)
 * ```
 */
export const fetchCommand: Command = Object.freeze<Command>({
  name: 'fetch',
  summary: 'fetch, check and pin the KMS public key into a key bundle',
  help: HELP,
  flags: Object.freeze({
    'key-id': { type: 'string' },
    out: { type: 'string' },
    'expect-sha256': { type: 'string' },
    force: { type: 'boolean' },
  }),
  maxPositionals: 0,
  run,
})
