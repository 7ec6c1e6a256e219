/**
 * `sealwire-file seal`: seal a file (or stdin) to the KMS key's public key, into the stream
 * format (`envelope/STREAM.md`). No KMS call: the public key is enough.
 *
 * @example
 * ```sh
 * sealwire-file seal --public-key key.der --expect-sha256 3f9a…c1 big.bin big.bin.sw
 * ```
 */
import { createKeyWrapper, sealStream } from '../../../envelope/src/index.ts'
import { EXIT, optionalString, UsageError } from '../../../platform/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'
import { openInput } from '../io/input.ts'
import { openOutput } from '../io/output.ts'
import { byteProgress } from '../io/progress.ts'
import { guarded, pump } from '../io/pump.ts'
import { loadRecipient } from '../recipient.ts'
import { GLOBAL_HELP, RECIPIENT_FLAGS } from './command.ts'
import type { Command, CommandContext } from './command.ts'

/** The two positionals IN and OUT, both required. */
export function inOut(args: ParsedArgs, what: string): [string, string] {
  const [a, b] = args.positionals
  if (a === undefined || b === undefined) {
    throw new UsageError(`${what} needs IN and OUT ("-" for stdin/stdout) (see --help)`)
  }
  return [a, b]
}

export const sealCommand: Command = {
  name: 'seal',
  summary: 'seal a file to the KMS public key (no KMS call)',
  flags: RECIPIENT_FLAGS,
  maxPositionals: 2,
  help: `usage: sealwire-file seal (--device DIR | --public-key FILE.der) [--expect-sha256 HEX] IN OUT

Seals IN into OUT in the sealwire/1 stream format: a fresh AES-256 key for the file, wrapped to
the RSA public key with RSA-OAEP-SHA-256, and AES-256-GCM segments of 256 KiB. Only the holder of
KMS Decrypt on the key can open it. "-" reads stdin / writes stdout. A file OUT appears only
when sealing succeeded (written to a temporary file, then renamed).

flags:
  --device DIR          a device key bundle (checked: pin, key size, manifest)
  --public-key FILE     the key's DER SubjectPublicKeyInfo (KMS GetPublicKey)
  --expect-sha256 HEX   the SHA-256 pin the key must have (64 hex digits, colons allowed)

${GLOBAL_HELP}
`,
  async run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
    const [inPath, outPath] = inOut(args, 'seal')
    const { key, warnings } = await loadRecipient({
      device: optionalString(args, 'device'),
      publicKey: optionalString(args, 'public-key'),
      expectSha256: optionalString(args, 'expect-sha256'),
    })
    for (const w of warnings) ctx.io.stderr.write(`${w}\n`)
    const wrapper = createKeyWrapper(key)
    const input = await openInput(inPath, ctx.io)
    try {
      const progress = byteProgress(input.size, ctx.io, args.values.quiet === true)
      const output = await openOutput(outPath, ctx.io)
      const chunks = guarded(input.chunks(), ctx.signal, progress)
      await pump(
        sealStream(chunks, {
          wrapper,
          segmentBytes: filesDefaults.segmentBytes,
          totalBytes: input.size,
        }),
        output,
      )
      progress.finish()
    } finally {
      await input.close()
    }
    return EXIT.ok
  },
}
