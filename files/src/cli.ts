#!/usr/bin/env node
/**
 * The `sealwire-file` executable: runs {@link main} with the process's arguments and sets the
 * exit code (platform's `runMain`: never `process.exit`, so stdout and stderr drain first).
 *
 * `SEALWIRE_FILE_REPORT_RSS=1` (for tests and benchmarks) prints the process's peak resident set
 * size on stderr at exit, as `peak-rss-bytes: N` (`process.resourceUsage().maxRSS`, KiB × 1024).
 *
 * @example
 * ```sh
 * sealwire-file seal --public-key key.der big.bin big.bin.sw
 * ```
 */
import { runMain } from '../../platform/src/index.ts'
import { main } from './main.ts'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
if (process.env.SEALWIRE_FILE_REPORT_RSS === '1') {
  process.on('exit', () => {
    process.stderr.write(`peak-rss-bytes: ${process.resourceUsage().maxRSS * 1024}\n`)
  })
}
runMain((argv) => main(argv))
