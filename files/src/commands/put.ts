/**
 * `sealwire-file put`: seal a file while uploading it to S3 (multipart through
 * `@aws-sdk/lib-storage`). Plaintext never touches the disk; memory is about
 * `partBytes × (queueSize + 1)` whatever the file's size.
 *
 * @example
 * ```sh
 * sealwire-file put --public-key key.der big.bin s3://telemetry/big.bin.sw
 * ```
 */
import { Readable } from 'node:stream'
import { Upload } from '@aws-sdk/lib-storage'
import { createKeyWrapper, sealStream, toHex } from '../../../envelope/src/index.ts'
import { EXIT, optionalString, UsageError } from '../../../platform/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'
import { interrupted } from '../errors.ts'
import { openInput } from '../io/input.ts'
import { byteProgress } from '../io/progress.ts'
import { guarded } from '../io/pump.ts'
import { loadRecipient } from '../recipient.ts'
import { s3Error } from '../s3/s3_client.ts'
import { parseS3Url } from '../s3/s3_url.ts'
import { GLOBAL_HELP, RECIPIENT_FLAGS } from './command.ts'
import type { Command, CommandContext } from './command.ts'

export const putCommand: Command = {
  name: 'put',
  summary: 'seal a file while uploading it to S3 (multipart, no plaintext on disk)',
  flags: RECIPIENT_FLAGS,
  maxPositionals: 2,
  help: `usage: sealwire-file put (--device DIR | --public-key FILE.der) [--expect-sha256 HEX]
                         [--endpoint URL] IN s3://BUCKET/KEY

Seals IN ("-" for stdin) as "seal" does and uploads the sealed bytes as they are produced, in
8 MiB multipart parts (two in flight). The object appears only when the upload completes; a
failed or interrupted upload is aborted (its parts deleted). Object metadata:
sealwire-format = stream-1, sealwire-pin-id = the key's pin id.

flags:
  --device DIR          a device key bundle
  --public-key FILE     the key's DER SubjectPublicKeyInfo
  --expect-sha256 HEX   the SHA-256 pin the key must have
  --endpoint URL        an S3-compatible endpoint (path-style addressing)

${GLOBAL_HELP}
`,
  async run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
    const [inPath, url] = args.positionals
    if (inPath === undefined || url === undefined) {
      throw new UsageError('put needs IN and s3://BUCKET/KEY (see --help)')
    }
    const where = parseS3Url(url)
    const { key, warnings } = await loadRecipient({
      device: optionalString(args, 'device'),
      publicKey: optionalString(args, 'public-key'),
      expectSha256: optionalString(args, 'expect-sha256'),
    })
    for (const w of warnings) ctx.io.stderr.write(`${w}\n`)
    const input = await openInput(inPath, ctx.io)
    const client = ctx.s3()
    try {
      const progress = byteProgress(input.size, ctx.io, args.values.quiet === true)
      const sealed = sealStream(guarded(input.chunks(), ctx.signal, progress), {
        wrapper: createKeyWrapper(key),
        segmentBytes: filesDefaults.segmentBytes,
        totalBytes: input.size,
      })
      const upload = new Upload({
        client,
        params: {
          Bucket: where.bucket,
          Key: where.key,
          Body: Readable.from(sealed, { objectMode: false, highWaterMark: 1024 * 1024 }),
          ContentType: 'application/octet-stream',
          Metadata: { 'sealwire-format': 'stream-1', 'sealwire-pin-id': toHex(key.pinId) },
        },
        partSize: filesDefaults.s3.partBytes,
        queueSize: filesDefaults.s3.queueSize,
        leavePartsOnError: false,
      })
      const onAbort = (): void => void upload.abort().catch(() => undefined)
      ctx.signal.addEventListener('abort', onAbort, { once: true })
      try {
        await upload.done()
      } catch (err) {
        if (ctx.signal.aborted) throw interrupted()
        throw s3Error(err, where)
      } finally {
        ctx.signal.removeEventListener('abort', onAbort)
      }
      progress.finish()
    } finally {
      await input.close()
    }
    return EXIT.ok
  },
}
