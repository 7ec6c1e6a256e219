/**
 * The verifier's errors: one class on platform's {@link CodedError}, with the union of its codes.
 *
 * @example
 * ```ts
 * throw new VerifyError('ERR_SINK_LINE_INVALID', 'out.jsonl:3: not JSON')
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/** Every code of the verifier. */
export type VerifyErrorCode =
  /** A line of the consumer's JSONL sink that is not one output record. */
  | 'ERR_SINK_LINE_INVALID'
  /** The sink file cannot be read. */
  | 'ERR_IO'
  /** The wire tap could not connect or subscribe. */
  | 'ERR_WIRE_TAP'

/**
 * A failure of the verifier's inputs (not a failed verdict: that is `ok: false`).
 *
 * @example
 * ```ts
 * if (err instanceof VerifyError && err.code === 'ERR_SINK_LINE_INVALID') process.exitCode = 1
 * ```
 */
export class VerifyError extends CodedError<VerifyErrorCode> {
  static readonly codes = Object.freeze([
    'ERR_SINK_LINE_INVALID',
    'ERR_IO',
    'ERR_WIRE_TAP',
  ] as const satisfies readonly VerifyErrorCode[])
}
