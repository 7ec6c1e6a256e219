/**
 * `create-key`: creates the fleet's KMS key (RSA, ENCRYPT_DECRYPT) and its alias. The same calls
 * against kms-local and AWS: `DescribeKey` on the alias first (an alias already taken is refused
 * before any key exists), then `CreateKey`, then `CreateAlias`.
 *
 * @example
 * ```ts
 * await main(['create-key', '--alias', 'fleet', '--spec', 'RSA_3072'], io)
 * ```
 */
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms'
import { isRsaKeySpec, KmsError, REQUIRED_KEY_USAGE } from '../../../kms-client/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import {
  isCodedError,
  optionalString,
  requiredString,
  shown,
  UsageError,
} from '../../../platform/src/index.ts'
import { defaults } from '../defaults.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'

const HELP = `usage: sealwire-provision create-key --alias NAME [--spec SPEC] [--description TEXT]

Creates an RSA KMS key for sealing (KeyUsage ENCRYPT_DECRYPT) and gives it an alias.
Prints the key ARN and the alias.

flags:
  --alias NAME         alias to create, with or without the "alias/" prefix (required)
  --spec SPEC          RSA_2048, RSA_3072 or RSA_4096 (default ${defaults.keySpec})
  --description TEXT   key description (default "${defaults.keyDescription}")

IAM: kms:CreateKey, kms:CreateAlias (on the key and the alias), kms:DescribeKey.

${GLOBAL_HELP}
`

/**
 * Normalizes an alias to `alias/NAME` and checks it as KMS does (letters, digits, `/_-`, at most
 * 256 characters, not in the reserved `alias/aws/` space).
 *
 * @throws {UsageError} `ERR_USAGE`.
 * @example
 * ```ts
 * normalizeAlias('fleet') // 'alias/fleet'
 * ```
 */
export function normalizeAlias(value: string): string {
  const alias = value.startsWith('alias/') ? value : `alias/${value}`
  if (!/^alias\/[A-Za-z0-9/_-]+$/.test(alias) || alias.length > 256) {
    throw new UsageError(
      `--alias ${shown(value)}: use letters, digits, / _ - (at most 250 characters)`,
    )
  }
  if (alias.startsWith('alias/aws/')) {
    throw new UsageError(`--alias ${shown(value)}: alias/aws/ is reserved for AWS managed keys`)
  }
  return alias
}

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const alias = normalizeAlias(requiredString(args, 'alias'))
  const spec = optionalString(args, 'spec') ?? defaults.keySpec
  if (!isRsaKeySpec(spec)) {
    throw new UsageError(`--spec ${shown(spec)}: use RSA_2048, RSA_3072 or RSA_4096`)
  }
  const description = optionalString(args, 'description') ?? defaults.keyDescription
  const kms = ctx.kms()
  let taken: string | undefined
  try {
    const out = await kms.call('DescribeKey', (c, abortSignal) =>
      c.send(new DescribeKeyCommand({ KeyId: alias }), { abortSignal }),
    )
    taken = out.KeyMetadata?.Arn ?? 'a key'
  } catch (err) {
    if (!(err instanceof KmsError && err.awsCode === 'NotFoundException')) throw err
  }
  if (taken !== undefined) {
    throw new KmsError(
      'ERR_KMS_REQUEST',
      'CreateAlias',
      `${alias} already exists and names ${taken}`,
    )
  }
  const created = await kms.call(
    'CreateKey',
    (c, abortSignal) =>
      c.send(
        new CreateKeyCommand({
          KeySpec: spec,
          KeyUsage: REQUIRED_KEY_USAGE,
          Description: description,
        }),
        { abortSignal },
      ),
    { idempotent: false },
  )
  const arn = created.KeyMetadata?.Arn
  if (arn === undefined) {
    throw new KmsError('ERR_KMS_REQUEST', 'CreateKey', 'KMS CreateKey returned no key ARN')
  }
  ctx.io.stdout.write(`keyArn: ${arn}\nkeySpec: ${spec}\n`)
  try {
    await kms.call('CreateAlias', (c, abortSignal) =>
      c.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }), { abortSignal }),
    )
  } catch (err) {
    if (isCodedError(err)) {
      // The key exists now; say which, so the operator can alias it by hand or delete it.
      err.message = `${err.message} (key ${arn} was created without an alias)`
    }
    throw err
  }
  ctx.io.stdout.write(`alias: ${alias}\n`)
  return 0
}

/**
 * The `create-key` command.
 *
 * @example
 * ```ts
 * createKeyCommand.run(parseCommandArgs(['--alias', 'fleet'], createKeyCommand.flags, 0), ctx)
 * ```
 */
export const createKeyCommand: Command = Object.freeze<Command>({
  name: 'create-key',
  summary: 'create an RSA ENCRYPT_DECRYPT KMS key and its alias',
  help: HELP,
  flags: Object.freeze({
    alias: { type: 'string' },
    spec: { type: 'string' },
    description: { type: 'string' },
  }),
  maxPositionals: 0,
  run,
})
