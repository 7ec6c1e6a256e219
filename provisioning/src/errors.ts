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

/**
 * Every code a {@link ProvisioningError} can carry. The `ERR_BYOK_*` codes are `byok`'s refusals
 * (README, "byok"), each with its own exit code:
 * - `ERR_BYOK_TOKEN_EXPIRED`: the import token (and its wrapping key) expired (24 h);
 * - `ERR_BYOK_TOKEN_FOREIGN`: the import token is not one of this KMS key's;
 * - `ERR_BYOK_ALGORITHM_DEPRECATED`: `RSAES_PKCS1_V1_5`, refused by KMS since 2023-10-10;
 * - `ERR_BYOK_VALID_TO`: `--valid-to` in the past or more than 365 days ahead;
 * - `ERR_BYOK_KEY`: the KMS key cannot take this material (not `EXTERNAL`, another key spec,
 *   other material imported before, or KMS could not unwrap what the HSM wrapped).
 */
export type ProvisioningErrorCode =
  | 'ERR_CSV_INVALID'
  | 'ERR_BYOK_TOKEN_EXPIRED'
  | 'ERR_BYOK_TOKEN_FOREIGN'
  | 'ERR_BYOK_ALGORITHM_DEPRECATED'
  | 'ERR_BYOK_VALID_TO'
  | 'ERR_BYOK_KEY'

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

/** The codes of {@link ByokError}. */
export type ByokErrorCode = Exclude<ProvisioningErrorCode, 'ERR_CSV_INVALID'>

/**
 * A refusal of `byok` (see {@link ProvisioningErrorCode}).
 *
 * @example
 * ```ts
 * throw new ByokError('ERR_BYOK_VALID_TO', '--valid-to 2030-01-01: more than 365 days ahead')
 * ```
 */
export class ByokError extends ProvisioningError<ByokErrorCode> {}

/** Every concrete error class of this component. */
export type AnyProvisioningError = CsvError | ByokError
