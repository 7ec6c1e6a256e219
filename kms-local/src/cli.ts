#!/usr/bin/env node
/**
 * The `sealwire-kms-local` executable: runs {@link main} with the process arguments (platform's
 * `runMain`) and exits with its code once the server has stopped (SIGINT/SIGTERM).
 *
 * @example
 * ```sh
 * sealwire-kms-local --port 4599 --state ./kms-state.json --audit-log ./kms-audit.jsonl
 * ```
 */
import { runMain } from '../../platform/src/index.ts'
import { main } from './main.ts'

runMain(main)
