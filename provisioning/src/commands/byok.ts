/**
 * `byok`: bring your own key from the in-house HSM into KMS. The key is generated inside the HSM
 * and reaches KMS only wrapped under KMS's wrapping key: `CreateKey` (`Origin` EXTERNAL) or an
 * existing `--key-id`, `GetParametersForImport`, the HSM imports the wrapping public key, generates
 * the key (AES-256, or an RSA key pair whose public half devices then pin), wraps it, and
 * `ImportKeyMaterial` brings it in with the import token, expiring at `--valid-to` or never.
 * README "byok" is the normative description; each refusal has its own exit code.
 *
 * @example
 * ```ts
 * await main(['byok', '--material', 'AES_256', '--alias', 'fleet-aes', '--token-label', 'station',
 *   '--hsm-key-label', 'fleet-aes-1', '--no-expiry'], io)
 * ```
 */
import { CreateAliasCommand, DescribeKeyCommand } from '@aws-sdk/client-kms'
import { createHash } from 'node:crypto'
import { parseRecipientKey, toHex } from '../../../envelope/src/index.ts'
import type { Hsm, WrapAlgorithm } from '../../../hsm/src/index.ts'
import { isLabel } from '../../../hsm/src/index.ts'
import type { ImportParameters } from '../../../kms-client/src/index.ts'
import {
  createExternalKey,
  fetchPublicKey,
  getImportParameters,
  importKeyMaterial,
  KmsError,
} from '../../../kms-client/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import {
  flag,
  isCodedError,
  optionalString,
  readFileBoundedSync,
  requiredString,
  shown,
  UsageError,
} from '../../../platform/src/index.ts'
import { HSM_FLAGS, HSM_HELP, openHsm } from '../byok/open_hsm.ts'
import { parseValidTo } from '../byok/valid_to.ts'
import { checkForcedAlgorithm, chooseWrapping, MATERIALS } from '../byok/wrapping_choice.ts'
import type { ByokMaterial } from '../byok/wrapping_choice.ts'
import { defaults } from '../defaults.ts'
import { ByokError } from '../errors.ts'
import type { Command, CommandContext } from './command.ts'
import { GLOBAL_HELP } from './command.ts'
import { normalizeAlias } from './create_key.ts'

const WRAPPING_KEY_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const

const HELP = `usage: sealwire-provision byok --material AES_256|RSA_2048|RSA_3072|RSA_4096
         (--alias NAME | --key-id ID) --hsm-key-label LABEL (--valid-to DATE | --no-expiry)
         [--existing-hsm-key] [--wrapping-algorithm ALG] [--wrapping-key-spec SPEC]
         [--import-token FILE --wrapping-key FILE] HSM flags

Generates a key inside the in-house HSM and imports it into a KMS key of Origin EXTERNAL, wrapped
with the strongest algorithm both KMS and the HSM accept (printed, with the reason). The key never
leaves the HSM in the clear. RSA material: the public key devices pin is the HSM's key pair's,
backed by KMS and the HSM alike; "fetch" and "batch" then work on the KMS key as on any other.

flags:
  --material M           AES_256 (the vendor note's flow), or RSA_2048/3072/4096 (a key pair)
  --alias NAME           create the EXTERNAL key and this alias
  --key-id ID            use this existing EXTERNAL key (id, ARN or alias) instead
  --hsm-key-label LABEL  label of the key in the HSM (1-64 of A-Z a-z 0-9 . _ -); generated,
                         never overwritten
  --existing-hsm-key     wrap the HSM key already under --hsm-key-label (re-import after the
                         material expired) instead of generating one
  --valid-to DATE        material expires then: YYYY-MM-DD (UTC) or RFC 3339 date-time, in the
                         future and at most ${defaults.byok.maxValidToDays} days ahead
  --no-expiry            material never expires (KEY_MATERIAL_DOES_NOT_EXPIRE)
  --wrapping-algorithm A force one of RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1 (AES_256),
                         RSA_AES_KEY_WRAP_SHA_256, RSA_AES_KEY_WRAP_SHA_1 (RSA)
  --wrapping-key-spec S  RSA_2048, RSA_3072 or RSA_4096 (default ${defaults.byok.wrappingKeySpec})
  --import-token FILE    an import token from an earlier GetParametersForImport (with
  --wrapping-key FILE    its wrapping public key, DER; needs --key-id and --wrapping-algorithm)

${HSM_HELP}

exit codes: 10 import token expired, 11 import token of another key, 12 deprecated wrapping
algorithm (RSAES_PKCS1_V1_5), 13 --valid-to refused, 14 the KMS key cannot take this material,
15 HSM unreachable, 16 HSM login refused, 17 HSM refused; others as for every command.

IAM: kms:CreateKey, kms:CreateAlias, kms:DescribeKey, kms:GetParametersForImport,
kms:ImportKeyMaterial, kms:GetPublicKey (RSA material).

${GLOBAL_HELP}
`

/** Everything checked before KMS or the HSM is touched. */
interface ByokPlan {
  readonly material: ByokMaterial
  readonly keySpec: string
  readonly alias: string | undefined
  readonly keyId: string | undefined
  readonly hsmKeyLabel: string
  readonly existingHsmKey: boolean
  readonly validTo: Date | undefined
  readonly forced: WrapAlgorithm | undefined
  readonly wrappingKeySpec: (typeof WRAPPING_KEY_SPECS)[number]
  readonly given: { readonly token: Uint8Array; readonly wrappingKey: Uint8Array } | undefined
}

function plan(args: ParsedArgs, nowMs: number): ByokPlan {
  const materialText = requiredString(args, 'material')
  if (!Object.hasOwn(MATERIALS, materialText)) {
    throw new UsageError(
      `--material ${shown(materialText)}: use AES_256, RSA_2048, RSA_3072 or RSA_4096`,
    )
  }
  const material = materialText as ByokMaterial
  const forcedText = optionalString(args, 'wrapping-algorithm')
  const forced = forcedText === undefined ? undefined : checkForcedAlgorithm(forcedText, material)
  const aliasText = optionalString(args, 'alias')
  const keyId = optionalString(args, 'key-id')
  if ((aliasText === undefined) === (keyId === undefined)) {
    throw new UsageError('give exactly one of --alias NAME (create the key) or --key-id ID')
  }
  const validToText = optionalString(args, 'valid-to')
  const noExpiry = flag(args, 'no-expiry')
  if ((validToText === undefined) === !noExpiry) {
    throw new UsageError('give exactly one of --valid-to DATE or --no-expiry')
  }
  const validTo = validToText === undefined ? undefined : parseValidTo(validToText, nowMs)
  const hsmKeyLabel = requiredString(args, 'hsm-key-label')
  if (!isLabel(hsmKeyLabel)) {
    throw new UsageError(`--hsm-key-label ${shown(hsmKeyLabel)}: 1 to 64 of A-Z a-z 0-9 . _ -`)
  }
  const spec = optionalString(args, 'wrapping-key-spec') ?? defaults.byok.wrappingKeySpec
  if (!(WRAPPING_KEY_SPECS as readonly string[]).includes(spec)) {
    throw new UsageError(`--wrapping-key-spec ${shown(spec)}: use RSA_2048, RSA_3072 or RSA_4096`)
  }
  const tokenFile = optionalString(args, 'import-token')
  const wrappingKeyFile = optionalString(args, 'wrapping-key')
  let given: ByokPlan['given']
  if (tokenFile !== undefined || wrappingKeyFile !== undefined) {
    if (tokenFile === undefined || wrappingKeyFile === undefined) {
      throw new UsageError('--import-token and --wrapping-key go together')
    }
    if (keyId === undefined || forced === undefined) {
      throw new UsageError(
        '--import-token needs --key-id and --wrapping-algorithm (the token is bound to both)',
      )
    }
    const max = defaults.byok.maxParameterFileBytes
    given = {
      token: readFileBoundedSync(tokenFile, max),
      wrappingKey: readFileBoundedSync(wrappingKeyFile, max),
    }
  }
  return {
    material,
    keySpec: MATERIALS[material].keySpec,
    alias: aliasText === undefined ? undefined : normalizeAlias(aliasText),
    keyId,
    hsmKeyLabel,
    existingHsmKey: flag(args, 'existing-hsm-key'),
    validTo,
    forced,
    wrappingKeySpec: spec as ByokPlan['wrappingKeySpec'],
    given,
  }
}

/** KMS's refusals of an import, as `byok`'s own errors; anything else unchanged. */
function byokErrorOf(err: unknown, keyArn: string): unknown {
  if (!(err instanceof KmsError) || err.code !== 'ERR_KMS_REQUEST') return err
  switch (err.awsCode) {
    case 'ExpiredImportTokenException':
      return new ByokError(
        'ERR_BYOK_TOKEN_EXPIRED',
        'the import token has expired (valid 24 h): run byok without --import-token for new parameters',
        { cause: err },
      )
    case 'InvalidImportTokenException':
      return new ByokError(
        'ERR_BYOK_TOKEN_FOREIGN',
        `the import token is not one of ${keyArn}'s (from another key, or not an import token)`,
        { cause: err },
      )
    case 'ValidationException':
      return /ValidTo/.test(err.message)
        ? new ByokError('ERR_BYOK_VALID_TO', `KMS refused the ValidTo: ${err.message}`, {
            cause: err,
          })
        : err
    case 'IncorrectKeyMaterialException':
    case 'InvalidCiphertextException':
      return new ByokError(
        'ERR_BYOK_KEY',
        `${keyArn} refused the material (${err.awsCode}): another material was imported before, or the wrapping does not match the import parameters`,
        { cause: err },
      )
    default:
      return err
  }
}

/** Checks that an existing key can take the material. */
async function checkExistingKey(ctx: CommandContext, p: ByokPlan, keyId: string): Promise<string> {
  const out = await ctx
    .kms()
    .call('DescribeKey', (c, abortSignal) =>
      c.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal }),
    )
  const meta = out.KeyMetadata
  const arn = meta?.Arn ?? keyId
  if (meta?.Origin !== 'EXTERNAL') {
    throw new ByokError(
      'ERR_BYOK_KEY',
      `${arn} has Origin ${meta?.Origin ?? 'unknown'}: material can be imported only into an EXTERNAL key`,
    )
  }
  if (meta.KeySpec !== p.keySpec || meta.KeyUsage !== 'ENCRYPT_DECRYPT') {
    throw new ByokError(
      'ERR_BYOK_KEY',
      `${arn} is ${meta.KeySpec ?? '?'} ${meta.KeyUsage ?? '?'}: ${p.material} material needs ${p.keySpec} ENCRYPT_DECRYPT`,
    )
  }
  return arn
}

async function assertAliasFree(ctx: CommandContext, alias: string): Promise<string> {
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
  return alias
}

async function run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const p = plan(args, ctx.clock.now())
  const out = (line: string): void => void ctx.io.stdout.write(`${line}\n`)
  const hsm: Hsm = await openHsm(args, ctx.io.env)
  let wrapAlias: string | undefined
  try {
    const caps = await hsm.capabilities()
    out(`hsm: ${hsm.name}`)
    for (const note of caps.notes) out(`hsm note: ${note}`)
    if (p.material !== 'AES_256' && !caps.rsaKeyGeneration && !p.existingHsmKey) {
      throw new UsageError(
        `${hsm.name} cannot generate RSA key pairs; use PKCS#11 for ${p.material}`,
      )
    }
    const { algorithm, why } = chooseWrapping(p.material, caps, p.forced, hsm.name)
    out(`wrappingAlgorithm: ${algorithm} (${why})`)
    // The KMS key: checked or created (with its alias) before anything is generated in the HSM.
    let keyArn: string
    if (p.keyId !== undefined) {
      keyArn = await checkExistingKey(ctx, p, p.keyId)
    } else {
      const alias = await assertAliasFree(ctx, p.alias!)
      keyArn = (
        await createExternalKey(ctx.kms(), {
          keySpec: p.keySpec as 'SYMMETRIC_DEFAULT',
          description: defaults.byok.keyDescription,
        })
      ).keyArn
      out(`keyArn: ${keyArn}`)
      try {
        await ctx.kms().call('CreateAlias', (c, abortSignal) =>
          c.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyArn }), {
            abortSignal,
          }),
        )
      } catch (err) {
        if (isCodedError(err))
          err.message = `${err.message} (key ${keyArn} was created without an alias)`
        throw err
      }
      out(`alias: ${alias}`)
    }
    if (p.keyId !== undefined) out(`keyArn: ${keyArn}`)
    out(`keySpec: ${p.keySpec}`)
    let params: Pick<ImportParameters, 'importToken' | 'wrappingKey'>
    if (p.given !== undefined) {
      params = { importToken: p.given.token, wrappingKey: p.given.wrappingKey }
    } else {
      const fetched = await getImportParameters(ctx.kms(), keyArn, algorithm, p.wrappingKeySpec)
      if (fetched.parametersValidTo.getTime() <= ctx.clock.now()) {
        throw new ByokError('ERR_BYOK_TOKEN_EXPIRED', 'KMS gave import parameters already expired')
      }
      params = fetched
    }
    // The HSM: the wrapping key (a session object), the key, the wrapped material.
    wrapAlias = `kms-wrap-${createHash('sha256').update(params.wrappingKey).digest('hex').slice(0, 16)}`
    try {
      await hsm.importWrappingKey(wrapAlias, params.wrappingKey)
    } catch (err) {
      if (err instanceof RangeError) {
        throw new ByokError(
          'ERR_BYOK_KEY',
          `the wrapping key is not an RSA public key: ${err.message}`,
        )
      }
      throw err
    }
    let spki: Uint8Array | undefined
    if (p.existingHsmKey) {
      if (p.material !== 'AES_256') spki = await hsm.publicKey(p.hsmKeyLabel)
    } else if (p.material === 'AES_256') {
      await hsm.generateAes256(p.hsmKeyLabel)
    } else {
      spki = await hsm.generateRsa(p.hsmKeyLabel, Number(p.material.slice(4)) as 2048)
    }
    out(`hsmKey: ${p.hsmKeyLabel} (${p.existingHsmKey ? 'existing' : 'generated'})`)
    const wrapped = await hsm.wrapKey(p.hsmKeyLabel, wrapAlias, algorithm)
    try {
      await importKeyMaterial(ctx.kms(), {
        keyId: keyArn,
        importToken: params.importToken,
        encryptedKeyMaterial: wrapped,
        validTo: p.validTo,
      })
    } catch (err) {
      throw byokErrorOf(err, keyArn)
    }
    out(
      `expiration: ${p.validTo === undefined ? 'none (KEY_MATERIAL_DOES_NOT_EXPIRE)' : p.validTo.toISOString()}`,
    )
    if (spki !== undefined) {
      // The public key devices pin is the HSM's: KMS must now serve the same one.
      const recipient = parseRecipientKey(spki)
      const { checked } = await fetchPublicKey(ctx.kms(), keyArn)
      if (checked.pinSha256 !== toHex(recipient.pin)) {
        throw new ByokError(
          'ERR_BYOK_KEY',
          `${keyArn} serves another public key than the HSM's "${p.hsmKeyLabel}"`,
        )
      }
      out(`pinSha256: ${checked.pinSha256}`)
      out(`pinId: ${checked.pinId}`)
    }
    out('imported: yes')
    return 0
  } finally {
    if (wrapAlias !== undefined) await hsm.forgetWrappingKey(wrapAlias).catch(() => undefined)
    await hsm.close()
  }
}

/**
 * The `byok` command.
 *
 * @example
 * ```ts
 * byokCommand.run(parseCommandArgs(argv, byokCommand.flags, 0), ctx)
 * ```
 */
export const byokCommand: Command = Object.freeze<Command>({
  name: 'byok',
  summary: 'generate a key in the in-house HSM and import it into KMS (EXTERNAL)',
  help: HELP,
  flags: Object.freeze({
    material: { type: 'string' },
    alias: { type: 'string' },
    'key-id': { type: 'string' },
    'hsm-key-label': { type: 'string' },
    'existing-hsm-key': { type: 'boolean' },
    'valid-to': { type: 'string' },
    'no-expiry': { type: 'boolean' },
    'wrapping-algorithm': { type: 'string' },
    'wrapping-key-spec': { type: 'string' },
    'import-token': { type: 'string' },
    'wrapping-key': { type: 'string' },
    ...HSM_FLAGS,
  }),
  maxPositionals: 0,
  run,
})
