/**
 * `sealwire-file open-legacy`: open what the AWS walkthrough's openssl commands produce (an
 * `openssl enc -aes-256-cbc` file and its `key.b64.enc`), through one KMS `Decrypt`, and
 * optionally reseal it straight into the stream format.
 *
 * @example
 * ```sh
 * sealwire-file open-legacy --wrapped-key key.b64.enc --key-id alias/fleet F.enc --reseal F.sw
 * ```
 */
import { DecryptCommand } from '@aws-sdk/client-kms'
import { createKeyWrapper, sealStream } from '../../../envelope/src/index.ts'
import {
  fetchPublicKey,
  isDecryptRefusal,
  REQUIRED_ALGORITHM,
} from '../../../kms-client/src/index.ts'
import {
  EXIT,
  integerFlag,
  optionalString,
  readFileBounded,
  requiredString,
  UsageError,
} from '../../../platform/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'
import { legacyFailed } from '../errors.ts'
import { openInput } from '../io/input.ts'
import { openOutput } from '../io/output.ts'
import { byteProgress } from '../io/progress.ts'
import { guarded, pump } from '../io/pump.ts'
import { legacyDecrypt } from '../legacy/legacy_decrypt.ts'
import { opensslPassword } from '../legacy/openssl_kdf.ts'
import type { LegacyKdf } from '../legacy/openssl_kdf.ts'
import { loadRecipient } from '../recipient.ts'
import { GLOBAL_HELP, RECIPIENT_FLAGS } from './command.ts'
import type { Command, CommandContext } from './command.ts'

const CBC_WARNING =
  'warning: openssl enc AES-256-CBC files were never authenticated: a modified file can open to modified bytes without any error. Keep the resealed copy (--reseal) and retire the CBC one.'

export const openLegacyCommand: Command = {
  name: 'open-legacy',
  summary: 'open an openssl enc -aes-256-cbc file of the walkthrough (and --reseal it)',
  flags: {
    'wrapped-key': { type: 'string' },
    'key-id': { type: 'string' },
    pbkdf2: { type: 'boolean' },
    iter: { type: 'string' },
    md: { type: 'string' },
    reseal: { type: 'string' },
    ...RECIPIENT_FLAGS,
  },
  maxPositionals: 2,
  help: `usage: sealwire-file open-legacy --wrapped-key key.b64.enc --key-id KEY [--pbkdf2 [--iter N]]
                                 [--md sha256|sha1|md5] IN (OUT | --reseal OUT)
                                 [--device DIR | --public-key FILE.der [--expect-sha256 HEX]]

Opens a file made by the openssl walkthrough:
  openssl rand -base64 32 > key.b64
  openssl enc -aes-256-cbc [-pbkdf2] -in F -out F.enc -pass file:./key.b64
  openssl pkeyutl -encrypt -pubin -keyform DER -inkey public_key.der -in key.b64 \\
    -out key.b64.enc -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256
One KMS Decrypt (RSAES_OAEP_SHA_256) of key.b64.enc gives key.b64; its first line is the
password, as openssl reads it; the key and IV come from the "Salted__" salt with OpenSSL 1.1+'s
derivation (EVP_BytesToKey, SHA-256, 1 iteration), or PBKDF2-HMAC-SHA-256 with --pbkdf2.

OUT receives the plaintext; --reseal OUT writes the sealwire/1 stream format instead (no
plaintext on disk), sealed to the same KMS key's public key (GetPublicKey) unless --device or
--public-key names another. "-" reads stdin / writes stdout. A file output appears only on
success. A wrong key, a wrong KDF or a damaged file is one error, ERR_LEGACY_DECRYPTION_FAILED.
CBC is not authenticated: a warning says so on every run.

flags:
  --wrapped-key FILE    key.b64.enc: the RSA-OAEP-SHA-256 encryption of key.b64
  --key-id KEY          KMS key id, ARN or alias to Decrypt it with
  --pbkdf2              the file was made with openssl enc -pbkdf2
  --iter N              its -iter (default 10000)
  --md NAME             its -md (default sha256, the OpenSSL 1.1+ default; md5 for OpenSSL 1.0)
  --reseal OUT          write the sealwire/1 stream format to OUT instead of plaintext

${GLOBAL_HELP}
`,
  async run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
    const [inPath, plainOut] = args.positionals
    const resealOut = optionalString(args, 'reseal')
    if (inPath === undefined) throw new UsageError('open-legacy needs IN (see --help)')
    if ((plainOut === undefined) === (resealOut === undefined)) {
      throw new UsageError('give exactly one of OUT and --reseal OUT (see --help)')
    }
    const pbkdf2 = args.values.pbkdf2 === true
    const iterText = optionalString(args, 'iter')
    if (iterText !== undefined && !pbkdf2) throw new UsageError('--iter goes with --pbkdf2')
    const md = optionalString(args, 'md') ?? 'sha256'
    if (md !== 'sha256' && md !== 'sha1' && md !== 'md5') {
      throw new UsageError('--md is sha256, sha1 or md5')
    }
    const kdf: LegacyKdf = {
      kdf: pbkdf2 ? 'pbkdf2' : 'evp',
      md,
      iterations:
        iterText === undefined
          ? filesDefaults.legacy.pbkdf2Iterations
          : integerFlag(iterText, '--iter', 1, 100_000_000),
    }
    const keyId = requiredString(args, 'key-id')
    const wrapped = await readFileBounded(
      requiredString(args, 'wrapped-key'),
      filesDefaults.wrappedKeyMaxBytes,
    )
    if (resealOut === undefined && (args.values.device || args.values['public-key'])) {
      throw new UsageError('--device and --public-key go with --reseal')
    }
    // The input first: a missing or unreadable file fails before the warning and any KMS call.
    const input = await openInput(inPath, ctx.io)
    try {
      ctx.io.stderr.write(`${CBC_WARNING}\n`)
      const session = ctx.kms()
      let wrapper
      if (resealOut !== undefined) {
        const device = optionalString(args, 'device')
        const publicKey = optionalString(args, 'public-key')
        if (device !== undefined || publicKey !== undefined) {
          const r = await loadRecipient({
            device,
            publicKey,
            expectSha256: optionalString(args, 'expect-sha256'),
          })
          for (const w of r.warnings) ctx.io.stderr.write(`${w}\n`)
          wrapper = createKeyWrapper(r.key)
        } else {
          wrapper = createKeyWrapper((await fetchPublicKey(session, keyId)).checked.key)
        }
      }
      let keyFile: Uint8Array | undefined
      try {
        const out = await session.call('Decrypt', (client, abortSignal) =>
          client.send(
            new DecryptCommand({
              KeyId: keyId,
              CiphertextBlob: wrapped,
              EncryptionAlgorithm: REQUIRED_ALGORITHM,
            }),
            { abortSignal },
          ),
        )
        keyFile = out.Plaintext
      } catch (err) {
        if (isDecryptRefusal(err)) throw legacyFailed()
        throw err
      }
      if (!(keyFile instanceof Uint8Array)) throw legacyFailed()
      const password = opensslPassword(keyFile)
      keyFile.fill(0)
      try {
        const progress = byteProgress(input.size, ctx.io, args.values.quiet === true)
        const plain = legacyDecrypt(guarded(input.chunks(), ctx.signal, progress), password, kdf)
        const output = await openOutput(resealOut ?? plainOut!, ctx.io)
        await pump(
          wrapper === undefined
            ? plain
            : sealStream(plain, { wrapper, segmentBytes: filesDefaults.segmentBytes }),
          output,
        )
        progress.finish()
      } finally {
        password.fill(0)
      }
    } finally {
      await input.close()
    }
    return EXIT.ok
  },
}
