/**
 * Typed errors of the provisioning station.
 *
 * Every domain failure is a {@link ProvisioningError} with a stable string `code`; the CLI prints
 * it as one line, `error ERR_CODE: message`, and exits with the code's class (see
 * `exit_codes.ts`). Caller bugs (a wrong argument type) stay plain `TypeError`/`RangeError`. The
 * key-check codes `ERR_KEY_SIZE`, `ERR_KEY_EXPONENT` and `ERR_KEY_UNSUPPORTED` are the envelope's
 * `KeyRejectedError` codes passed through 1:1, so the station and the device agent name a refused
 * key the same way.
 *
 * @example
 * ```ts
 * try {
 *   await verifyBundle(dir, { expectSha256 })
 * } catch (err) {
 *   if (err instanceof ProvisioningError && err.code === 'ERR_KEY_PIN_MISMATCH') quarantine(dir)
 *   else throw err
 * }
 * ```
 */

/** Every code a {@link ProvisioningError} can carry; a `switch` over it can be exhaustive. */
export type ProvisioningErrorCode =
  | 'ERR_USAGE'
  | 'ERR_KEY_SPEC'
  | 'ERR_KEY_USAGE'
  | 'ERR_KEY_ALGORITHM'
  | 'ERR_KEY_STATE'
  | 'ERR_KEY_SIZE'
  | 'ERR_KEY_EXPONENT'
  | 'ERR_KEY_UNSUPPORTED'
  | 'ERR_KEY_PIN_MISMATCH'
  | 'ERR_BUNDLE_MISSING'
  | 'ERR_BUNDLE_CORRUPT'
  | 'ERR_BUNDLE_CONFLICT'
  | 'ERR_CSV_INVALID'
  | 'ERR_KMS_UNAVAILABLE'
  | 'ERR_KMS_DENIED'
  | 'ERR_KMS_REQUEST'
  | 'ERR_IO'

/**
 * Base class of every provisioning error.
 *
 * @example
 * ```ts
 * if (err instanceof ProvisioningError) console.error(`error ${err.code}: ${err.message}`)
 * ```
 */
export class ProvisioningError extends Error {
  /** A stable code; see {@link ProvisioningErrorCode}. */
  static code: ProvisioningErrorCode = 'ERR_USAGE'
  readonly code: ProvisioningErrorCode

  constructor(code: ProvisioningErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = this.constructor.name
  }
}

/**
 * The command line is wrong: unknown command or flag, missing or malformed value.
 *
 * @example
 * ```ts
 * throw new UsageError('--out is required')
 * ```
 */
export class UsageError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_USAGE'
  constructor(message: string) {
    super('ERR_USAGE', message)
  }
}

/** Codes of {@link KeyRefusedError}. */
export type KeyRefusedCode =
  | 'ERR_KEY_SPEC'
  | 'ERR_KEY_USAGE'
  | 'ERR_KEY_ALGORITHM'
  | 'ERR_KEY_STATE'
  | 'ERR_KEY_SIZE'
  | 'ERR_KEY_EXPONENT'
  | 'ERR_KEY_UNSUPPORTED'

/**
 * The KMS key, or the public key it returned, is not one a device may pin: wrong key spec or
 * usage, no `RSAES_OAEP_SHA_256`, not enabled, or an SPKI the envelope refuses.
 *
 * @example
 * ```ts
 * throw new KeyRefusedError('ERR_KEY_USAGE', 'KeyUsage is SIGN_VERIFY; sealing needs ENCRYPT_DECRYPT')
 * ```
 */
export class KeyRefusedError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_KEY_UNSUPPORTED'
  constructor(code: KeyRefusedCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * The SHA-256 of a public key is not the pin it must have: the one given with `--expect-sha256`,
 * or the one its bundle's manifest records.
 *
 * @example
 * ```ts
 * throw new PinMismatchError('public_key.der has pin 3f…, the manifest pins 9a…')
 * ```
 */
export class PinMismatchError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_KEY_PIN_MISMATCH'
  constructor(message: string) {
    super('ERR_KEY_PIN_MISMATCH', message)
  }
}

/** Codes of {@link BundleError}. */
export type BundleErrorCode = 'ERR_BUNDLE_MISSING' | 'ERR_BUNDLE_CORRUPT' | 'ERR_BUNDLE_CONFLICT'

/**
 * A key bundle on disk is missing files, is malformed, or already pins another key (a conflict:
 * the station never replaces a pinned key unless told to with `--force`).
 *
 * @example
 * ```ts
 * throw new BundleError('ERR_BUNDLE_MISSING', 'manifest.json is missing in /out/dev-1')
 * ```
 */
export class BundleError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_BUNDLE_CORRUPT'
  constructor(code: BundleErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * The devices CSV is malformed. `line` is the 1-based physical line where the bad row starts.
 *
 * @example
 * ```ts
 * throw new CsvError(7, 'duplicate device_id "dev-3" (first on line 4)')
 * ```
 */
export class CsvError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_CSV_INVALID'
  /** The 1-based line of the offending row, or 0 for the file as a whole. */
  readonly line: number
  constructor(line: number, detail: string) {
    super(
      'ERR_CSV_INVALID',
      line > 0 ? `devices CSV line ${line}: ${detail}` : `devices CSV: ${detail}`,
    )
    this.line = line
  }
}

/** Codes of {@link KmsError}. */
export type KmsErrorCode = 'ERR_KMS_UNAVAILABLE' | 'ERR_KMS_DENIED' | 'ERR_KMS_REQUEST'

/**
 * A KMS call failed: unreachable or throttled after every retry (`ERR_KMS_UNAVAILABLE`), refused
 * for lack of credentials or permissions (`ERR_KMS_DENIED`), or refused as a request (unknown key,
 * alias already taken: `ERR_KMS_REQUEST`). `operation` is the KMS operation, `awsCode` the
 * service's exception name when there was one.
 *
 * @example
 * ```ts
 * if (err instanceof KmsError && err.code === 'ERR_KMS_UNAVAILABLE') scheduleRetry()
 * ```
 */
export class KmsError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_KMS_REQUEST'
  readonly operation: string
  readonly awsCode: string | undefined
  constructor(
    code: KmsErrorCode,
    operation: string,
    message: string,
    options?: { cause?: unknown; awsCode?: string },
  ) {
    super(code, message, options)
    this.operation = operation
    this.awsCode = options?.awsCode
  }
}

/**
 * A file system operation failed (permissions, disk full, not a directory).
 *
 * @example
 * ```ts
 * throw new IoError('cannot write /out/dev-1/manifest.json: EACCES', err)
 * ```
 */
export class IoError extends ProvisioningError {
  static override code: ProvisioningErrorCode = 'ERR_IO'
  constructor(message: string, cause?: unknown) {
    super('ERR_IO', message, { cause })
  }
}

/** Every error class this module throws. */
export type AnyProvisioningError =
  UsageError | KeyRefusedError | PinMismatchError | BundleError | CsvError | KmsError | IoError
