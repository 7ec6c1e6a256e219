/**
 * `sealwire-file open`: open a sealed file through KMS `Decrypt` (one call per file).
 *
 * From a file, the final segment is checked before anything is written (STREAM.md §5): a
 * truncated or extended file writes nothing, not even to stdout. The file is read once
 * (`openRandomAccess`: the header, the final segment, then the segments before it). From stdin
 * the stream is read once, in order: segments are written as they authenticate, and an
 * incomplete stream ends with an error and a non-zero exit. A file OUT appears only on success.
 *
 * @example
 * ```sh
 * sealwire-file open --key-id alias/fleet big.bin.sw big.bin
 * ```
 */
import {
  EnvelopeInvalidError,
  openRandomAccess,
  openStream,
  toHex,
} from '../../../envelope/src/index.ts'
import type { RandomAccessSource, StreamHeader } from '../../../envelope/src/index.ts'
import { EXIT, requiredString } from '../../../platform/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'
import { openInput } from '../io/input.ts'
import { openOutput } from '../io/output.ts'
import { byteProgress } from '../io/progress.ts'
import type { ByteProgress } from '../io/progress.ts'
import { guarded, pump } from '../io/pump.ts'
import { unwrapWithKey } from '../kms.ts'
import { SALTED_MAGIC } from '../legacy/openssl_kdf.ts'
import { GLOBAL_HELP } from './command.ts'
import type { Command, CommandContext } from './command.ts'
import { inOut } from './seal.ts'

/**
 * `err`, or, when the file was refused as not a stream and starts with `Salted__` (an `openssl
 * enc` file of the old walkthrough: it can only have failed the magic), the same refusal saying
 * to use `open-legacy`.
 */
async function legacyHint(err: unknown, random: RandomAccessSource | undefined): Promise<unknown> {
  const invalid = err instanceof EnvelopeInvalidError
  if (!invalid || random === undefined || random.size < SALTED_MAGIC.length) return err
  const start = await random.read(0, SALTED_MAGIC.length)
  if (!SALTED_MAGIC.equals(start)) return err
  return new EnvelopeInvalidError(
    'not a sealwire stream (bad magic): it starts with "Salted__", an openssl enc file; open it with `sealwire-file open-legacy`',
  )
}

/** `random`, each read counted into `progress`. */
function counted(random: RandomAccessSource, progress: ByteProgress): RandomAccessSource {
  return {
    size: random.size,
    read: async (at, n) => {
      const part = await random.read(at, n)
      progress.add(part.length)
      return part
    },
  }
}

export const openCommand: Command = {
  name: 'open',
  summary: 'open a sealed file through KMS Decrypt (one call per file)',
  flags: { 'key-id': { type: 'string' } },
  maxPositionals: 2,
  help: `usage: sealwire-file open --key-id KEY [--endpoint URL] IN OUT

Opens IN (a sealwire/1 stream) into OUT: one KMS Decrypt of the file's wrapped key, then every
segment's tag is checked before its bytes are written. "-" reads stdin / writes stdout.

From a file, the last segment is checked first: a truncated or extended file writes nothing.
A file OUT is written to a temporary file and renamed only when everything checked; on any
failure or interruption it is removed (an existing OUT is left as it was). From stdin to stdout,
segments are written as they check; a stream that ends early fails with exit 6 after them.

flags:
  --key-id KEY          KMS key id, ARN or alias to Decrypt with

${GLOBAL_HELP}
`,
  async run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
    const [inPath, outPath] = inOut(args, 'open')
    const keyId = requiredString(args, 'key-id')
    const unwrap = unwrapWithKey(ctx.kms(), keyId)
    const input = await openInput(inPath, ctx.io)
    try {
      const progress = byteProgress(input.size, ctx.io, args.values.quiet === true)
      const random = input.random
      const options = {
        unwrap,
        maxSegmentBytes: filesDefaults.maxSegmentBytes,
        onHeader: (h: StreamHeader) => {
          if (args.values.quiet !== true && input.size !== undefined) {
            ctx.io.stderr.write(`opening ${input.name}: pin id ${toHex(h.pinId)}\n`)
          }
        },
      }
      const plain = random
        ? guarded(
            openRandomAccess(counted(random, progress), {
              ...options,
              readBytes: filesDefaults.readBytes,
            }),
            ctx.signal,
          )
        : openStream(guarded(input.chunks(), ctx.signal, progress), options)
      const output = await openOutput(outPath, ctx.io)
      try {
        await pump(plain, output)
      } catch (err) {
        throw await legacyHint(err, random)
      }
      progress.finish()
    } finally {
      await input.close()
    }
    return EXIT.ok
  },
}
