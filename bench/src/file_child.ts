/**
 * The child process of the file rows (`runFileRowsIsolated`): measures them in a fresh process
 * of this runtime and prints one marked result line on stdout. Argument: rounds at 256 MiB.
 *
 * @example
 * ```sh
 * node dist/bench/src/file_child.js 5
 * ```
 */
import { fileChildMain } from './file_rows.ts'

await fileChildMain(Number(process.argv[2] ?? '5') || 5)
