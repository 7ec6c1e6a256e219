/**
 * `sealwire-file inspect`: a sealed file's header and layout, without any key.
 *
 * @example
 * ```sh
 * sealwire-file inspect big.bin.sw
 * ```
 */
import {
  describeStreamHeader,
  parseStreamHeader,
  streamHeaderLength,
  streamLayout,
} from '../../../envelope/src/index.ts'
import { EXIT, UsageError } from '../../../platform/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import { FilesError } from '../errors.ts'
import { openInput } from '../io/input.ts'
import { GLOBAL_HELP } from './command.ts'
import type { Command, CommandContext } from './command.ts'

export const inspectCommand: Command = {
  name: 'inspect',
  summary: "show a sealed file's header, size and pin id (no key needed)",
  flags: { json: { type: 'boolean' } },
  maxPositionals: 1,
  help: `usage: sealwire-file inspect [--json] FILE

Prints the header of a sealed file and its layout, as computed from its length: format,
algorithms, segment size, number of segments, plaintext size, file id, the pin id of the KMS key
it is sealed to. Nothing is decrypted: whether the segments are authentic is known only to
"open". A length that no complete stream can have is ERR_STREAM_LENGTH (exit 6).

flags:
  --json                one JSON object instead of "name: value" lines

${GLOBAL_HELP}
`,
  async run(args: ParsedArgs, ctx: CommandContext): Promise<number> {
    const path = args.positionals[0]
    if (path === undefined || path === '-')
      throw new UsageError('inspect needs a FILE (see --help)')
    const input = await openInput(path, ctx.io)
    try {
      const random = input.random!
      const prefix = await random.read(0, 40)
      const need = streamHeaderLength(prefix) ?? 40
      const header = parseStreamHeader(await random.read(0, need))
      let layout
      try {
        layout = streamLayout(random.size, header)
      } catch {
        throw new FilesError(
          'ERR_STREAM_LENGTH',
          `${path}: ${random.size} bytes is not the length of a complete stream (truncated or extended)`,
        )
      }
      const info = {
        ...describeStreamHeader(header),
        segments: layout.segments,
        plaintextBytes: layout.plaintextBytes,
        totalBytes: random.size,
      }
      if (args.values.json === true) {
        ctx.io.stdout.write(`${JSON.stringify(info)}\n`)
      } else {
        for (const [k, v] of Object.entries(info)) ctx.io.stdout.write(`${k}: ${v}\n`)
      }
    } finally {
      await input.close()
    }
    return EXIT.ok
  },
}
