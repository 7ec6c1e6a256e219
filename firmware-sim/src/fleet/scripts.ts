/**
 * Where the programs a fleet run starts live: the built CLIs (`dist/…/cli.js`), run with the same
 * runtime as the runner (`process.execPath`: Node or Bun). A run from the TypeScript sources (the
 * tests) still starts the built programs, so `npm run build` must have run (`npm start` does it).
 *
 * @example
 * ```ts
 * spawn(process.execPath, [programPath('provisioning'), 'batch', …])
 * ```
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FleetError } from './errors.ts'

/** The repository (or package) root: three folders above this file, under `dist/` or not. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const root = resolve(here, '../../..')
  return root.endsWith(`${'/'}dist`) ? dirname(root) : root
}

/** The programs a run starts, by component. */
const PROGRAMS = {
  provisioning: 'dist/provisioning/src/cli.js',
  consumer: 'dist/consumer/src/cli.js',
  host: 'dist/firmware-sim/src/fleet/host_cli.js',
} as const

/** A program a run starts. */
export type Program = keyof typeof PROGRAMS

/**
 * The built entry point of `program`.
 *
 * @throws {FleetError} `ERR_FLEET_NOT_BUILT` when it is missing (run `npm run build`).
 */
export function programPath(program: Program): string {
  const path = join(packageRoot(), PROGRAMS[program])
  if (!existsSync(path)) {
    throw new FleetError('ERR_FLEET_NOT_BUILT', `${path} is missing: run "npm run build" first`)
  }
  return path
}
