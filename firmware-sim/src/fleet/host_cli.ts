#!/usr/bin/env node
/**
 * The device host's entry point, started by the fleet runner (never by a person):
 * `host_cli.js SPEC.json`, commands on stdin, events on stdout (`host_protocol.ts`).
 *
 * @example
 * ```sh
 * node dist/firmware-sim/src/fleet/host_cli.js /tmp/fleet/hosts/host-0.json
 * ```
 */
import { readFileSync } from 'node:fs'
import { runDeviceHost } from './device_host.ts'
import { parseHostSpec } from './host_protocol.ts'

const specPath = process.argv[2]
if (specPath === undefined) {
  process.stderr.write('usage: host_cli.js SPEC.json (started by the fleet runner)\n')
  process.exit(2)
}
runDeviceHost(parseHostSpec(readFileSync(specPath, 'utf8')), process.stdin, process.stdout).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `error ${String((err as { code?: unknown }).code ?? 'ERR_INTERNAL')}: ${(err as Error).message}\n`,
    )
    process.exit(1)
  },
)
