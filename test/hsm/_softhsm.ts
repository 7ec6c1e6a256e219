/**
 * A SoftHSM2 token in a temporary token directory (never the system one), for the tests of
 * `hsm/`, the BYOK command and the consumer's HSM fallback. SoftHSM2 reads `SOFTHSM2_CONF` and
 * scans its token directory when the module initializes, so a test file makes its token in
 * `beforeAll`, before anything opens the module; every test file runs in its own process
 * (vitest `pool: 'forks'`).
 *
 * @example
 * ```ts
 * const present = softhsmPresent()
 * describe.skipIf(skipWithout(present, 'SoftHSM2 (apt-get install softhsm2)'))('…', () => {
 *   let token: SoftToken
 *   beforeAll(async () => { token = await softToken() })
 * })
 * ```
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { hsmDefaults } from '../../hsm/src/index.ts'
import { tempDir } from '../helpers/index.ts'

/** An initialized token. */
export interface SoftToken {
  readonly module: string
  readonly tokenLabel: string
  readonly pin: string
  readonly dir: string
  /** The `SOFTHSM2_CONF` file (also set in this process's environment). */
  readonly conf: string
}

/** True when the SoftHSM2 module and `softhsm2-util` are on this machine. */
export function softhsmPresent(): boolean {
  if (!existsSync(hsmDefaults.pkcs11Module)) return false
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** True under Bun. */
export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

/** The part of `bun:ffi` used here (no Bun types in this project's typecheck). */
interface BunFfi {
  FFIType: { cstring: number; i32: number }
  dlopen(
    lib: string,
    symbols: Record<string, { args: number[]; returns: number }>,
  ): { symbols: { setenv: (...a: unknown[]) => number }; close(): void }
  ptr(b: Uint8Array): unknown
}

/**
 * Sets an environment variable where a native library's `getenv` sees it. On Node,
 * `process.env` is the C environment; Bun keeps its own copy, so there libc's `setenv` is called
 * through `bun:ffi` (tests only: a deployed program gets `SOFTHSM2_CONF` from its environment at
 * start, on both runtimes).
 */
async function setNativeEnv(name: string, value: string): Promise<void> {
  process.env[name] = value
  if (!isBun) return
  const ffi = createRequire(import.meta.url)('bun:ffi') as BunFfi
  const libc = ffi.dlopen('libc.so.6', {
    setenv: {
      args: [ffi.FFIType.cstring, ffi.FFIType.cstring, ffi.FFIType.i32],
      returns: ffi.FFIType.i32,
    },
  })
  const n = Buffer.from(`${name}\0`)
  const v = Buffer.from(`${value}\0`)
  const rc = libc.symbols.setenv(ffi.ptr(n), ffi.ptr(v), 1)
  libc.close()
  if (rc !== 0) throw new Error('setenv failed')
}

/** A label no other test uses. */
export function uniqueLabel(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/**
 * Makes a temporary token directory with one initialized token and points `SOFTHSM2_CONF` of
 * this process at it.
 */
export async function softToken(label = 'sealwire-test'): Promise<SoftToken> {
  const dir = await tempDir('sealwire-softhsm-')
  const tokens = join(dir, 'tokens')
  await mkdir(tokens, { mode: 0o700 })
  const conf = join(dir, 'softhsm2.conf')
  await writeFile(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  )
  const pin = randomBytes(6).toString('hex')
  const env = { ...process.env, SOFTHSM2_CONF: conf }
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`],
    { env, stdio: 'pipe' },
  )
  await setNativeEnv('SOFTHSM2_CONF', conf)
  return { module: hsmDefaults.pkcs11Module, tokenLabel: label, pin, dir, conf }
}
