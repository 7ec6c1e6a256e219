/**
 * The provisioning station's own errors. Every other failure it reports comes from the component
 * that found it, with that component's class and code: platform's `UsageError` (`ERR_USAGE`) and
 * `IoError` (`ERR_IO`), device-bundle's `BundleError` and `PinMismatchError`, the envelope's
 * `KeyRejectedError` (`ERR_KEY_*`), kms-client's `KmsError` (`ERR_KMS_*`). `exit_codes.ts` maps
 * every one of those codes to the exit code of its class.
 *
 * @example
 * ```ts
 * throw new CsvError(7, 'duplicate device_id "dev-3" (first on line 4)')
 * ```
 */
import { CodedError } from '../../platform/src/index.ts'

/** Every code a {@link ProvisioningError} can carry. */
export type ProvisioningErrorCode = 'ERR_CSV_INVALID'

/**
 * Base class of the station's own errors.
 *
 * @example
 * ```ts
 * if (err instanceof ProvisioningError) console.error(err.code)
 * ```
 */
export class ProvisioningError<
  C extends ProvisioningErrorCode = ProvisioningErrorCode,
> extends CodedError<C> {}

/**
 * The devices CSV is unreadable or malformed. `line` is the 1-based physical line where the bad
 * row starts, or 0 for the file as a whole.
 *
 * @example
 * ```ts
 * throw new CsvError(7, 'duplicate device_id "dev-3" (first on line 4)')
 * ```
 */
export class CsvError extends ProvisioningError<'ERR_CSV_INVALID'> {
  static readonly code = 'ERR_CSV_INVALID' as const
  /** The 1-based line of the offending row, or 0 for the file as a whole. */
  readonly line: number
  constructor(line: number, detail: string, options?: { cause?: unknown }) {
    super(
      CsvError.code,
      line > 0 ? `devices CSV line ${line}: ${detail}` : `devices CSV: ${detail}`,
      options,
    )
    this.line = line
  }
}

/** Every concrete error class of this component. */
export type AnyProvisioningError = CsvError
