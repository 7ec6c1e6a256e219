/**
 * What is already in a bundle folder, compared with the key about to be pinned there.
 *
 * The station never replaces a pinned key by accident: `fetch` and `batch` call this first and
 * write only when the folder is `absent` (nothing there) or `incomplete` (what an interrupted
 * write of this same key leaves: the public key without its manifest, or the manifest without its
 * public key). A folder that verifies with this pin and key ARN is `same` and left untouched.
 * Anything else is a `conflict` carrying the error to report: another pin or key ARN
 * (ERR_BUNDLE_CONFLICT), a damaged bundle (its verify error), or a folder holding other files
 * (ERR_BUNDLE_CONFLICT, and not `forceable`: the station never writes into a foreign folder).
 *
 * @example
 * ```ts
 * const status = await inspectBundle(dir, { pinSha256, keyArn })
 * if (status.kind === 'conflict' && !force) throw status.error
 * ```
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { VerifiedBundle } from '../../../device-bundle/src/index.ts'
import {
  BUNDLE_FILES,
  BundleError,
  bundleLimits,
  parseManifest,
  verifyBundle,
} from '../../../device-bundle/src/index.ts'
import { parseRecipientKey, toHex } from '../../../envelope/src/index.ts'
import type { CodedError } from '../../../platform/src/index.ts'
import { IoError, isCodedError, readFileBounded, shown } from '../../../platform/src/index.ts'
import { isBundleTempName } from './bundle_temps.ts'

/** The key a folder should pin. */
export interface WantedKey {
  readonly pinSha256: string
  readonly keyArn: string
}

/** The state of a bundle folder; see the module doc. */
export type BundleStatus =
  | { readonly kind: 'absent' }
  | { readonly kind: 'incomplete'; readonly detail: string }
  | { readonly kind: 'same'; readonly bundle: VerifiedBundle }
  | {
      readonly kind: 'conflict'
      readonly error: CodedError | (Error & { readonly code: string })
      /** False when `--force` must not write there either (not a folder, or foreign files). */
      readonly forceable: boolean
    }

const KNOWN_NAMES: ReadonlySet<string> = new Set(Object.values(BUNDLE_FILES))

function conflict(dir: string, detail: string, forceable = true): BundleStatus {
  return {
    kind: 'conflict',
    error: new BundleError('ERR_BUNDLE_CONFLICT', `${shown(dir, 200)} ${detail}`),
    forceable,
  }
}

/** Reads a file for a best-effort look; `undefined` when it is not readable as one. */
async function bytesOf(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  try {
    return await readFileBounded(path, maxBytes)
  } catch (err) {
    if (err instanceof IoError && err.reason !== 'permission' && err.reason !== 'other') {
      return undefined
    }
    throw err
  }
}

async function pinOfFile(path: string): Promise<string | undefined> {
  const spki = await bytesOf(path, bundleLimits.maxSpkiBytes)
  try {
    return spki && toHex(parseRecipientKey(spki).pin)
  } catch (err) {
    if (isCodedError(err)) return undefined
    throw err
  }
}

async function pinOfManifest(path: string): Promise<{ pin: string; arn: string } | undefined> {
  const bytes = await bytesOf(path, bundleLimits.maxManifestBytes)
  try {
    const m = bytes && parseManifest(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return m && { pin: m.pinSha256, arn: m.keyArn }
  } catch (err) {
    if (isCodedError(err) || err instanceof TypeError) return undefined
    throw err
  }
}

/**
 * Classifies the folder `dir` against the key `want`.
 *
 * @throws {IoError} `ERR_IO` when the folder cannot be read at all.
 * @example
 * ```ts
 * const { kind } = await inspectBundle('/out/dev-1', { pinSha256, keyArn })
 * ```
 */
export async function inspectBundle(dir: string, want: WantedKey): Promise<BundleStatus> {
  let names: string[]
  try {
    // lstat: the station never writes through a symbolic link it did not create.
    if (!(await lstat(dir)).isDirectory()) {
      return conflict(dir, 'exists and is not a folder (or is a symbolic link)', false)
    }
    names = await readdir(dir)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT') return { kind: 'absent' }
    const why = code === 'ENOTDIR' ? 'a parent is not a folder' : String(code ?? err)
    throw new IoError(
      code === 'ENOTDIR' ? 'missing' : 'other',
      dir,
      `cannot use ${shown(dir, 200)}: ${why}`,
      {
        cause: err,
      },
    )
  }
  const foreign = names.filter((n) => !KNOWN_NAMES.has(n) && !isBundleTempName(n))
  if (foreign.length > 0) {
    // Never writable, not even with --force: `--out /etc` must not chmod /etc to 0700.
    return conflict(
      dir,
      `holds files that are not part of a key bundle (${shown(foreign[0])}); use a new or empty folder`,
      false,
    )
  }
  const hasKey = names.includes(BUNDLE_FILES.publicKey)
  const hasManifest = names.includes(BUNDLE_FILES.manifest)
  if (!hasKey && !hasManifest) return { kind: 'absent' }
  if (hasKey && !hasManifest) {
    const pin = await pinOfFile(join(dir, BUNDLE_FILES.publicKey))
    if (pin === want.pinSha256) return { kind: 'incomplete', detail: 'manifest.json missing' }
    return conflict(
      dir,
      `holds another public key (${pin ? `sha256:${pin}` : 'unreadable'}) and no manifest`,
    )
  }
  if (!hasKey) {
    const m = await pinOfManifest(join(dir, BUNDLE_FILES.manifest))
    if (m?.pin === want.pinSha256 && m.arn === want.keyArn) {
      return { kind: 'incomplete', detail: 'public_key.der missing' }
    }
    return conflict(
      dir,
      `pins ${m ? `sha256:${m.pin}` : 'an unreadable manifest'} and has no public key`,
    )
  }
  let bundle: VerifiedBundle
  try {
    bundle = await verifyBundle(dir)
  } catch (err) {
    if (isCodedError(err) && err.code !== 'ERR_IO') {
      return { kind: 'conflict', error: err, forceable: true }
    }
    throw err
  }
  if (bundle.pinSha256 !== want.pinSha256) {
    return conflict(
      dir,
      `already pins sha256:${bundle.pinSha256}, not sha256:${want.pinSha256}; ` +
        'refusing to replace a pinned key (use --force to replace it)',
    )
  }
  if (bundle.manifest.keyArn !== want.keyArn) {
    return conflict(
      dir,
      `pins the same public key under another key ARN (${shown(bundle.manifest.keyArn, 200)}); ` +
        'use --force to replace it',
    )
  }
  return { kind: 'same', bundle }
}
