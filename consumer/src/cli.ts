#!/usr/bin/env node
/**
 * The `sealwire-consumer` executable.
 *
 * @example
 * ```sh
 * sealwire-consumer run --broker mqtt://127.0.0.1:1883 --key-id alias/fleet --sink jsonl:-
 * ```
 */
import { runMain } from '../../platform/src/index.ts'
import { main } from './main.ts'

// The SDK's notice about Node < 22 support after 2027 is noise on a consumer's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
runMain(main)
