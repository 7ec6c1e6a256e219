#!/usr/bin/env node
/**
 * The `sealwire-fleet` executable (`npm start`): runs {@link main} with the process arguments.
 *
 * @example
 * ```sh
 * npm start -- --devices 100 --duration 60 --broker mqtt://127.0.0.1:1883
 * ```
 */
import { runMain } from '../../platform/src/index.ts'
import { main } from './fleet/main.ts'

runMain(main)
