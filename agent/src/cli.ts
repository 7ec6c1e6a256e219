#!/usr/bin/env node
/**
 * The `sealwire-agent` executable.
 *
 * @example
 * ```sh
 * sealwire-agent run --device /etc/sealwire/device --broker mqtts://iot.example:8883
 * ```
 */
// First: the heap settings apply before the rest of the agent is loaded.
import './heap_settings.ts'
import { runMain } from '../../platform/src/index.ts'
import { main } from './main.ts'

// The SDK-free agent has no noisy dependency warnings to silence; keep stdout for humans.
runMain(main)
