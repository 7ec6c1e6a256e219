#!/usr/bin/env node
/**
 * The `sealwire-file` executable: runs {@link main} with the process's arguments and sets the
 * exit code (platform's `runMain`: never `process.exit`, so stdout and stderr drain first).
 *
 * `SEALWIRE_FILE_REPORT_RSS=1` (for tests and benchmarks) prints the process's peak resident set
 * size on stderr at exit, as `peak-rss-bytes: N`: Linux's `VmHWM` of `/proc/self/status`, which
 * starts afresh at `exec`. (`getrusage`'s `ru_maxrss`, behind `process.resourceUsage().maxRSS`,
 * keeps the parent's size at `fork` across `exec` on Linux, so a child of a big parent would
 * report the parent.) Elsewhere, `maxRSS`.
 *
 * @example
 * ```sh
 * sealwire-file seal --public-key key.der big.bin big.bin.sw
 * ```
 */
// First: the heap settings apply before the rest is loaded.
import './heap_settings.ts'
import { readFileSync } from 'node:fs'
import { runMain } from '../../platform/src/index.ts'
import { main } from './main.ts'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
if (process.env.SEALWIRE_FILE_REPORT_RSS === '1') {
  process.on('exit', () => {
    let kib = process.resourceUsage().maxRSS
    try {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
      if (hwm) kib = Number(hwm[1])
    } catch {
      // Not Linux: maxRSS it is.
    }
    process.stderr.write(`peak-rss-bytes: ${kib * 1024}\n`)
  })
}
runMain((argv) => main(argv))
