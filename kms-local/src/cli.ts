#!/usr/bin/env node
/**
 * The `sealwire-kms-local` executable: runs {@link main} with the process arguments and exits with
 * its code once the server has stopped (SIGINT/SIGTERM).
 *
 * @example
 * ```sh
 * sealwire-kms-local --port 4599 --state ./kms-state.json --audit-log ./kms-audit.jsonl
 * ```
 */
import { main } from './main.ts'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(
      `sealwire-kms-local: ${err instanceof Error ? err.message : String(err)}\n`,
    )
    process.exitCode = 1
  },
)
