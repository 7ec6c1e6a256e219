/**
 * `sealwire-file get`: download an S3 object while opening it (one KMS `Decrypt`). The final
 * segment is fetched with a ranged GET and checked before anything is written, so a truncated
 * object writes nothing; every GET carries `If-Match` with the object's ETag, so the object
 * cannot change between the requests.
 *
 * @example
 * ```sh
 * sealwire-file get --key-id alias/fleet s3://telemetry/big.bin.sw big.bin
 * ```
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { DecryptionFailedError, openStream } from '../../../envelope/src/index.ts'
import { EXIT, requiredString, UsageError } from '../../../platform/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { filesDefaults } from '../defaults.ts'
import { interrupted } from '../errors.ts'
import { openOutput } from '../io/output.ts'
import { byteProgress } from '../io/progress.ts'
import { guarded, pump } from '../io/pump.ts'
import { unwrapWithKey } from '../kms.ts'
import { s3Error } from '../s3/s3_client.ts'
import { parseS3Url } from '../s3/s3_url.ts'
import { GLOBAL_HELP } from './command.ts'
import type { Command, CommandContext } from './command.ts'

export const getCommand: Command = {
  name: 'get',
  summary: 'download an S3 object while opening it (one KMS Decrypt)',
  flags: { 'key-id': { type: 'string' } },
  maxPositionals: 2,
  help: `usage: sealwire-file get --key-id KEY [--endpoint URL] [--kms-endpoint URL] s3://BUCKET/KEY OUT

Opens a sealed S3 object into OUT ("-" for stdout) as "open" does, while downloading it: a HEAD,
one GET of the object and one ranged GET of its final segment, which is checked before anything
is written (a truncated object writes nothing). A file OUT appears only on success.

flags:
  --key-id KEY          KMS key id, ARN or alias to Decrypt with
  --endpoint URL        an S3-compatible endpoint (path-style addressing)
  --kms-endpoint URL    the KMS endpoint (e.g. kms-local)

${GLOBAL_HELP}
`,
  async run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
    const [url, outPath] = args.positionals
    if (url === undefined || outPath === undefined) {
      throw new UsageError('get needs s3://BUCKET/KEY and OUT (see --help)')
    }
    const where = parseS3Url(url)
    const keyId = requiredString(args, 'key-id')
    const client = ctx.s3()
    const base = { Bucket: where.bucket, Key: where.key }
    const send = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn()
      } catch (err) {
        if (ctx.signal.aborted) throw interrupted()
        throw s3Error(err, where)
      }
    }
    const head = await send(() =>
      client.send(new HeadObjectCommand(base), { abortSignal: ctx.signal }),
    )
    const size = head.ContentLength ?? 0
    const ifMatch = head.ETag !== undefined ? { IfMatch: head.ETag } : {}
    const body = await send(() =>
      client.send(new GetObjectCommand({ ...base, ...ifMatch }), { abortSignal: ctx.signal }),
    )
    const chunks = body.Body as unknown as AsyncIterable<Uint8Array>
    const progress = byteProgress(size, ctx.io, args.values.quiet === true)
    const plain = openStream(guarded(chunks, ctx.signal, progress), {
      unwrap: unwrapWithKey(ctx.kms(), keyId),
      maxSegmentBytes: filesDefaults.maxSegmentBytes,
      finalCheck: {
        totalBytes: size,
        read: async (at, n) => {
          const part = await send(() =>
            client.send(
              new GetObjectCommand({ ...base, ...ifMatch, Range: `bytes=${at}-${at + n - 1}` }),
              { abortSignal: ctx.signal },
            ),
          )
          const bytes = await part.Body?.transformToByteArray()
          if (bytes === undefined) throw new DecryptionFailedError()
          return bytes
        },
      },
    })
    const output = await openOutput(outPath, ctx.io)
    try {
      await pump(plain, output)
    } catch (err) {
      if (ctx.signal.aborted) throw interrupted()
      throw s3Error(err, where)
    } finally {
      ;(chunks as { destroy?: () => void }).destroy?.()
    }
    progress.finish()
    return EXIT.ok
  },
}
