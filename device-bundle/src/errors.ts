/**
 * Typed errors of the device bundle contract. One base class, {@link DeviceBundleError} (a
 * platform `CodedError`), whose instances carry a stable code from {@link DeviceBundleErrorCode}.
 *
 * A bundle reader also lets three foreign errors through, unchanged in kind: the envelope's
 * `KeyRejectedError` (`ERR_KEY_UNSUPPORTED`, `ERR_KEY_SIZE`, `ERR_KEY_EXPONENT`: the public key
 * itself is refused, its message prefixed with the file name), platform's `IoError` (`ERR_IO`: a
 * file exists but cannot be read) and platform's `UsageError` (`ERR_USAGE`: a malformed expected
 * pin given by an operator).
 *
 * @example
 * ```ts
 * try {
 *   await verifyDeviceFolder(dir)
 * } catch (err) {
 *   if (err instanceof DeviceBundleError && err.code === 'ERR_KEY_PIN_MISMATCH') quarantine(dir)
 *   else throw err
 * }
 * ```
 */
import { CodedError } from '../../platform/src/index.ts'

const BUNDLE_ERROR_CODES = Object.freeze([
  'ERR_BUNDLE_MISSING',
  'ERR_BUNDLE_CORRUPT',
  'ERR_BUNDLE_CONFLICT',
] as const)

/** Codes of {@link BundleError}. */
export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[number]

/** Every code a {@link DeviceBundleError} can carry; a `switch` over it can be exhaustive. */
export type DeviceBundleErrorCode = BundleErrorCode | 'ERR_KEY_PIN_MISMATCH'

/**
 * Base class of every device-bundle error. It has no class-level code: each instance has its own.
 *
 * @example
 * ```ts
 * if (err instanceof DeviceBundleError) console.error(`error ${err.code}: ${err.message}`)
 * ```
 */
export class DeviceBundleError<
  C extends DeviceBundleErrorCode = DeviceBundleErrorCode,
> extends CodedError<C> {}

/**
 * A device folder is missing files (`ERR_BUNDLE_MISSING`), holds a malformed, oversized or
 * inconsistent file or a non-regular file where a file belongs (`ERR_BUNDLE_CORRUPT`), or names
 * another key than expected (`ERR_BUNDLE_CONFLICT`).
 *
 * @example
 * ```ts
 * throw new BundleError('ERR_BUNDLE_MISSING', '"/out/dev-1/manifest.json" is missing')
 * ```
 */
export class BundleError extends DeviceBundleError<BundleErrorCode> {
  static readonly codes: readonly BundleErrorCode[] = BUNDLE_ERROR_CODES
  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * The SHA-256 of a public key is not the pin it must have: the manifest's, the one in `agent.json`,
 * or one an operator gave.
 *
 * @example
 * ```ts
 * throw new PinMismatchError('public_key.der has pin sha256:3f…, the manifest pins sha256:9a…')
 * ```
 */
export class PinMismatchError extends DeviceBundleError<'ERR_KEY_PIN_MISMATCH'> {
  static readonly code = 'ERR_KEY_PIN_MISMATCH' as const
  constructor(message: string) {
    super(PinMismatchError.code, message)
  }
}

/** Every concrete error class of this component. */
export type AnyDeviceBundleError = BundleError | PinMismatchError
