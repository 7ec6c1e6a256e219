/**
 * Re-checks a key bundle offline: the check `sealwire-provision verify` runs, the station runs
 * before it skips a device, and the device agent runs at every start (through
 * {@link verifyDeviceFolder}).
 *
 * In order, each with its own code: the folder and both files exist (`ERR_BUNDLE_MISSING`); the
 * manifest is well-formed (`ERR_BUNDLE_CORRUPT`); `public_key.der` passes the envelope's
 * `parseRecipientKey` (`ERR_KEY_UNSUPPORTED`, `ERR_KEY_SIZE`, `ERR_KEY_EXPONENT`); its SHA-256
 * equals the manifest's pin (`ERR_KEY_PIN_MISMATCH`: a public key swapped for another valid RSA
 * key fails here); its modulus matches the manifest's key spec (`ERR_BUNDLE_CORRUPT`); the pin is
 * the expected one, if given (`ERR_KEY_PIN_MISMATCH`); the manifest's key ARN is the expected
 * one, if given (`ERR_BUNDLE_CONFLICT`).
 *
 * What it binds: the pin binds the key **bytes**. The manifest is not signed, so its `keyArn` is a
 * record of what the station fetched, not a proof: whoever can write the folder can edit it along
 * with the key, and only an expected pin from a second channel catches that. `expectKeyArn`
 * checks the record (a wrong folder, a station pointed at another key), nothing more.
 *
 * Findings that do not stop a device are warnings: a folder or file writable by group or others,
 * a temporary file an interrupted write left, a manifest recording an endpoint with a password.
 *
 * @example
 * ```ts
 * const bundle = await verifyBundle('/etc/sealwire/key', { expectSha256: PINNED })
 * const wrapper = createKeyWrapper(bundle.key)
 * ```
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { RecipientKey } from '../../envelope/src/index.ts'
import { KeyRejectedError, parseRecipientKey, toHex } from '../../envelope/src/index.ts'
import {
  IoError,
  isTempName,
  shown,
  UsageError,
  withoutUserinfo,
} from '../../platform/src/index.ts'
import { BUNDLE_FILES, bundleLimits } from './defaults.ts'
import { readBundleFile, utf8Text } from './_document.ts'
import { BundleError, PinMismatchError } from './errors.ts'
import { isKeyArn, RSA_KEY_SPECS } from './key_spec.ts'
import type { BundleManifest } from './manifest.ts'
import { parseManifest } from './manifest.ts'
import { assertPin, parseExpectedPin } from './pin.ts'

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions {
  /** The pin the bundle must have: 64 hex digits (any case, colons allowed). */
  readonly expectSha256?: string | undefined
  /** The key ARN the manifest must record (see the module doc for what this binds). */
  readonly expectKeyArn?: string | undefined
}

/** A bundle that passed every check. */
export interface VerifiedBundle {
  readonly dir: string
  readonly manifest: BundleManifest
  /** The checked key, ready for the envelope's `createKeyWrapper`. */
  readonly key: RecipientKey
  readonly pinSha256: string
  readonly pinId: string
  /** Non-fatal findings, one line each. */
  readonly warnings: readonly string[]
}

const GROUP_OR_OTHER_WRITE = 0o022

/** Throws `ERR_BUNDLE_MISSING` or `ERR_BUNDLE_CORRUPT` unless `dir` is a folder. */
async function assertBundleDir(dir: string): Promise<void> {
  try {
    // stat, not lstat: a device may point its key folder at the bundle through a symbolic link.
    if ((await stat(dir)).isDirectory()) return
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new BundleError('ERR_BUNDLE_MISSING', `no key bundle at ${shown(dir, 200)}`)
    }
    throw new IoError('other', dir, `cannot read ${shown(dir, 200)}: ${String(code ?? err)}`, {
      cause: err,
    })
  }
  throw new BundleError('ERR_BUNDLE_CORRUPT', `${shown(dir, 200)} is not a folder`)
}

/** The warnings about `dir` and the bundle files in it (see the module doc). */
async function folderWarnings(dir: string, manifest: BundleManifest): Promise<string[]> {
  const out: string[] = []
  let names: string[] = []
  try {
    names = await readdir(dir)
  } catch {
    // Read a moment ago; if it vanished since, the next start fails loudly anyway.
  }
  if (process.platform !== 'win32') {
    const files = Object.values(BUNDLE_FILES).filter((n) => names.includes(n))
    for (const path of [dir, ...files.map((n) => join(dir, n))]) {
      try {
        const info = await stat(path)
        if (info.mode & GROUP_OR_OTHER_WRITE) {
          const mode = (info.mode & 0o777).toString(8)
          out.push(`${path} is writable by group or others (mode ${mode})`)
        }
      } catch {
        // As above.
      }
    }
  }
  for (const name of names.filter(isTempName).sort()) {
    out.push(
      `${join(dir, name)} is a temporary file an interrupted write left; remove it ` +
        '(sealwire-provision batch and fetch do when they next write the folder)',
    )
  }
  const endpoint = manifest.source.endpoint
  if (endpoint !== null && withoutUserinfo(endpoint) !== endpoint) {
    out.push(
      `${BUNDLE_FILES.manifest} records a KMS endpoint with a user name or password; ` +
        'rewrite the bundle (fetch or batch with --force)',
    )
  }
  return out
}

function checkKey(spki: Uint8Array): RecipientKey {
  try {
    return parseRecipientKey(spki)
  } catch (err) {
    if (err instanceof KeyRejectedError) {
      throw new KeyRejectedError(err.code, `${BUNDLE_FILES.publicKey}: ${err.message}`, {
        cause: err,
      })
    }
    throw err
  }
}

/**
 * Verifies the key bundle in `dir`.
 *
 * @throws {BundleError} `ERR_BUNDLE_MISSING`, `ERR_BUNDLE_CORRUPT`, `ERR_BUNDLE_CONFLICT`.
 * @throws {KeyRejectedError} `ERR_KEY_UNSUPPORTED`, `ERR_KEY_SIZE`, `ERR_KEY_EXPONENT`.
 * @throws {PinMismatchError} `ERR_KEY_PIN_MISMATCH`.
 * @throws {UsageError} `ERR_USAGE` when an expected pin or key ARN is malformed.
 * @throws {IoError} `ERR_IO` when a file exists but cannot be read.
 * @example
 * ```ts
 * await verifyBundle(dir) // throws ERR_KEY_PIN_MISMATCH if public_key.der was swapped
 * ```
 */
export async function verifyBundle(
  dir: string,
  options: VerifyBundleOptions = {},
): Promise<VerifiedBundle> {
  const expectedPin =
    options.expectSha256 === undefined
      ? undefined
      : parseExpectedPin(options.expectSha256, 'expectSha256')
  const expectedArn = options.expectKeyArn
  if (expectedArn !== undefined && !isKeyArn(expectedArn)) {
    throw new UsageError(`expectKeyArn ${shown(expectedArn)} is not a KMS key ARN`)
  }
  await assertBundleDir(dir)
  const manifestBytes = await readBundleFile(
    join(dir, BUNDLE_FILES.manifest),
    bundleLimits.maxManifestBytes,
  )
  const spki = await readBundleFile(join(dir, BUNDLE_FILES.publicKey), bundleLimits.maxSpkiBytes)
  const manifest = parseManifest(utf8Text(manifestBytes, BUNDLE_FILES.manifest))
  const key = checkKey(spki)
  const pinSha256 = toHex(key.pin)
  if (pinSha256 !== manifest.pinSha256) {
    throw new PinMismatchError(
      `${BUNDLE_FILES.publicKey} has pin sha256:${pinSha256} but ${BUNDLE_FILES.manifest} pins ` +
        `sha256:${manifest.pinSha256}: the public key was replaced`,
    )
  }
  if (key.modulusBits !== RSA_KEY_SPECS[manifest.keySpec].modulusBits) {
    throw new BundleError(
      'ERR_BUNDLE_CORRUPT',
      `${BUNDLE_FILES.publicKey} has a ${key.modulusBits}-bit modulus; the manifest says ${manifest.keySpec}`,
    )
  }
  if (expectedPin !== undefined) {
    assertPin(pinSha256, expectedPin, `the bundle at ${shown(dir, 200)}`)
  }
  if (expectedArn !== undefined && manifest.keyArn !== expectedArn) {
    throw new BundleError(
      'ERR_BUNDLE_CONFLICT',
      `the bundle at ${shown(dir, 200)} records key ${shown(manifest.keyArn, 200)}, ` +
        `expected ${shown(expectedArn, 200)}`,
    )
  }
  return Object.freeze({
    dir,
    manifest,
    key,
    pinSha256,
    pinId: toHex(key.pinId),
    warnings: Object.freeze(await folderWarnings(dir, manifest)),
  })
}
