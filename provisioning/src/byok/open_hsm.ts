/**
 * Opens the HSM `byok` talks to, from its flags. A secret never comes from a flag's value (which
 * any user on the machine can read in the process list): the PKCS#11 PIN comes from an
 * environment variable (`--pin-env`, default `SEALWIRE_HSM_PIN`) or a file (`--pin-file`, first
 * line); the HTTP API's bearer token from an environment variable (`--hsm-token-env`, default
 * `SEALWIRE_HSM_API_TOKEN`, optional).
 *
 * @example
 * ```ts
 * const hsm = await openHsm(args, ctx.io.env)
 * ```
 */
import type { Hsm } from '../../../hsm/src/index.ts'
import { HttpHsm, hsmDefaults, Pkcs11Hsm } from '../../../hsm/src/index.ts'
import type { ParsedArgs } from '../../../platform/src/index.ts'
import {
  optionalString,
  readFileBoundedSync,
  shown,
  UsageError,
} from '../../../platform/src/index.ts'
import { defaults } from '../defaults.ts'

/** Largest PIN file read, in bytes. */
const MAX_PIN_FILE_BYTES = 1024

/** The HSM flags, shared by the help text and the parser. */
export const HSM_FLAGS = Object.freeze({
  'pkcs11-module': { type: 'string' },
  'token-label': { type: 'string' },
  'pin-env': { type: 'string' },
  'pin-file': { type: 'string' },
  'hsm-url': { type: 'string' },
  'hsm-ca': { type: 'string' },
  'hsm-token-env': { type: 'string' },
} as const)

/** The help lines of {@link HSM_FLAGS}. */
export const HSM_HELP = `HSM (PKCS#11, or the HSM's HTTP API with --hsm-url):
  --token-label LABEL  PKCS#11 token label (required without --hsm-url)
  --pkcs11-module PATH PKCS#11 library (default ${hsmDefaults.pkcs11Module})
  --pin-env VAR        environment variable holding the user PIN (default ${defaults.byok.pinEnv})
  --pin-file FILE      file whose first line is the user PIN (instead of --pin-env)
  --hsm-url URL        https:// URL of the HSM's HTTP API (AES_256 only)
  --hsm-ca FILE        CA certificates (PEM) to check the HTTP API's server with
  --hsm-token-env VAR  environment variable holding the API's bearer token
                       (default ${defaults.byok.apiTokenEnv}; none when unset)`

function readPin(args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): string {
  const file = optionalString(args, 'pin-file')
  const envName = optionalString(args, 'pin-env')
  if (file !== undefined && envName !== undefined) {
    throw new UsageError('give --pin-env or --pin-file, not both')
  }
  if (file !== undefined) {
    const text = Buffer.from(readFileBoundedSync(file, MAX_PIN_FILE_BYTES)).toString('utf8')
    const pin = text.split(/\r?\n/, 1)[0] ?? ''
    if (pin === '') throw new UsageError(`--pin-file ${shown(file)}: the first line is empty`)
    return pin
  }
  const name = envName ?? defaults.byok.pinEnv
  const pin = env[name]
  if (pin === undefined || pin === '') {
    throw new UsageError(`no PKCS#11 PIN: set ${name} (or use --pin-file FILE)`)
  }
  return pin
}

/**
 * Opens the HSM the flags name (PKCS#11 unless `--hsm-url`).
 *
 * @throws {UsageError} for missing or conflicting flags, no PIN.
 * @throws {HsmError} `ERR_HSM_*` from opening it.
 * @example
 * ```ts
 * const hsm = await openHsm(args, env)
 * ```
 */
export async function openHsm(
  args: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Hsm> {
  const url = optionalString(args, 'hsm-url')
  const tokenLabel = optionalString(args, 'token-label')
  if (url !== undefined) {
    for (const f of ['token-label', 'pkcs11-module', 'pin-env', 'pin-file']) {
      if (optionalString(args, f) !== undefined) {
        throw new UsageError(`--${f} is for PKCS#11; --hsm-url names the HTTP API`)
      }
    }
    const caFile = optionalString(args, 'hsm-ca')
    const tokenEnv = optionalString(args, 'hsm-token-env') ?? defaults.byok.apiTokenEnv
    const apiToken = env[tokenEnv]
    try {
      return new HttpHsm({
        url,
        ca: caFile === undefined ? undefined : Buffer.from(readFileBoundedSync(caFile, 1 << 20)),
        apiToken: apiToken === '' ? undefined : apiToken,
      })
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(`--hsm-url ${shown(url)}: ${err.message}`)
      throw err
    }
  }
  for (const f of ['hsm-ca', 'hsm-token-env']) {
    if (optionalString(args, f) !== undefined) throw new UsageError(`--${f} needs --hsm-url`)
  }
  if (tokenLabel === undefined) {
    throw new UsageError('--token-label (PKCS#11) or --hsm-url (HTTP API) is required')
  }
  return Pkcs11Hsm.open({
    module: optionalString(args, 'pkcs11-module') ?? hsmDefaults.pkcs11Module,
    tokenLabel,
    pin: readPin(args, env),
  })
}
