/**
 * Re-checks a key bundle offline: the check the station runs before it skips a device, and the
 * one the device agent runs at every start.
 *
 * In order, each with its own code: the folder and both files exist (ERR_BUNDLE_MISSING); the
 * manifest is well-formed (ERR_BUNDLE_CORRUPT); `public_key.der` passes the envelope's
 * `parseRecipientKey` (ERR_KEY_UNSUPPORTED for truncated or corrupt DER, ERR_KEY_SIZE,
 * ERR_KEY_EXPONENT); SHA-256 of `public_key.der` equals the manifest's pin (ERR_KEY_PIN_MISMATCH:
 * a public key replaced by another valid RSA key fails here); its modulus matches the manifest's
 * key spec (ERR_BUNDLE_CORRUPT); and, if given, the pin is the expected one (ERR_KEY_PIN_MISMATCH).
 * Permission bits that let group or others write are reported as warnings, not failures.
 *
 * @example
 * ```ts
 * const bundle = await verifyBundle('/etc/sealwire/key', { expectSha256: PINNED })
 * const wrapper = createKeyWrapper(bundle.key)
 * ```
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { RecipientKey } from '../../../envelope/src/index.ts'
import { toHex } from '../../../envelope/src/index.ts'
import { BUNDLE_FILES, defaults } from '../defaults.ts'
import { BundleError, IoError, KeyRefusedError, PinMismatchError } from '../errors.ts'
import type { KeyRefusedCode } from '../errors.ts'
import { assertPin, parseExpectedPin } from '../key/pin.ts'
import { checkRecipientSpki } from '../key/recipient.ts'
import { RSA_KEY_SPECS } from '../key/key_policy.ts'
import type { BundleManifest } from './manifest.ts'
import { parseManifest } from './manifest.ts'
import { readLimited } from './_read_limited.ts'
import { shown } from '../_sanitize.ts'

/** Options of {@link verifyBundle}. */
export interface VerifyBundleOptions {
  /** The pin the bundle must have: 64 hex digits (any case, colons allowed). */
  readonly expectSha256?: string | undefined
}

/** A bundle that passed every check. */
export interface VerifiedBundle {
  readonly dir: string
  readonly manifest: BundleManifest
  /** The checked key, ready for the envelope's `createKeyWrapper`. */
  readonly key: RecipientKey
  readonly pinSha256: string
  readonly pinId: string
  /** Non-fatal findings, such as group- or world-writable files. */
  readonly warnings: readonly string[]
}

const GROUP_OR_OTHER_WRITE = 0o022

async function modeWarnings(dir: string): Promise<string[]> {
  if (process.platform === 'win32') return []
  const out: string[] = []
  for (const path of [dir, join(dir, BUNDLE_FILES.publicKey), join(dir, BUNDLE_FILES.manifest)]) {
    try {
      const info = await stat(path)
      if (info.mode & GROUP_OR_OTHER_WRITE) {
        out.push(`${path} is writable by group or others (mode ${(info.mode & 0o777).toString(8)})`)
      }
    } catch {
      // Read a moment ago; if it vanished since, the next start fails loudly anyway.
    }
  }
  return out
}

/**
 * Verifies the key bundle in `dir`.
 *
 * @throws {BundleError} `ERR_BUNDLE_MISSING`, `ERR_BUNDLE_CORRUPT`.
 * @throws {KeyRefusedError} `ERR_KEY_UNSUPPORTED`, `ERR_KEY_SIZE`, `ERR_KEY_EXPONENT`.
 * @throws {PinMismatchError} `ERR_KEY_PIN_MISMATCH`.
 * @throws {UsageError} `ERR_USAGE` when `expectSha256` is not 64 hex digits.
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
  const expected =
    options.expectSha256 === undefined
      ? undefined
      : parseExpectedPin(options.expectSha256, 'expectSha256')
  try {
    // stat, not lstat: a device may point its key folder at the bundle through a symbolic link.
    const info = await stat(dir)
    if (!info.isDirectory()) {
      throw new BundleError('ERR_BUNDLE_CORRUPT', `${shown(dir, 200)} is not a folder`)
    }
  } catch (err) {
    if (err instanceof BundleError) throw err
    if ((err as { code?: unknown }).code === 'ENOENT') {
      throw new BundleError('ERR_BUNDLE_MISSING', `no key bundle at ${shown(dir, 200)}`)
    }
    throw new IoError(`cannot read ${shown(dir, 200)}`, err)
  }
  const manifestPath = join(dir, BUNDLE_FILES.manifest)
  const spkiPath = join(dir, BUNDLE_FILES.publicKey)
  const manifestBytes = await readLimited(manifestPath, defaults.limits.maxManifestBytes)
  const spki = await readLimited(spkiPath, defaults.limits.maxSpkiBytes)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes)
  } catch {
    throw new BundleError('ERR_BUNDLE_CORRUPT', `${BUNDLE_FILES.manifest}: not UTF-8`)
  }
  const manifest = parseManifest(text)
  let key: RecipientKey
  try {
    key = checkRecipientSpki(spki)
  } catch (err) {
    if (err instanceof KeyRefusedError) {
      throw new KeyRefusedError(
        err.code as KeyRefusedCode,
        `${BUNDLE_FILES.publicKey}: ${err.message}`,
        {
          cause: err,
        },
      )
    }
    throw err
  }
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
  if (expected !== undefined) assertPin(pinSha256, expected, `the bundle at ${shown(dir, 200)}`)
  return Object.freeze({
    dir,
    manifest,
    key,
    pinSha256,
    pinId: toHex(key.pinId),
    warnings: Object.freeze(await modeWarnings(dir)),
  })
}
