#!/usr/bin/env node
/**
 * The `sealwire-provision` executable: runs {@link main} with the process's arguments and sets
 * the exit code (platform's `runMain`: never `process.exit`, so stdout and stderr drain first).
 *
 * @example
 * ```sh
 * sealwire-provision fetch --key-id alias/fleet --out ./key --region eu-west-1
 * ```
 */
import { runMain } from '../../platform/src/index.ts'
import { main } from './main.ts'

// The SDK warns on every run under Node < 22 about SDK releases after January 2027. The station
// pins its SDK version (package.json) and must print one line per failure, nothing more.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
runMain((argv) => main(argv))
