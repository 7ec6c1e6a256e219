/**
 * The consumer's own errors: one base class ({@link ConsumerError}, a platform `CodedError`) with
 * a stable `code` per instance, and the union of every code. Errors from the components it uses
 * (envelope, kms-client, platform, device-bundle) keep their own codes; the CLI maps every code
 * it can meet to an exit code (README "Exit codes").
 *
 * @example
 * ```ts
 * if (err instanceof ConsumerError && err.code === 'ERR_CONFIG') process.exitCode = 78
 * ```
 */
import { CodedError, ConfigError } from '../../platform/src/index.ts'

/** Every code a {@link ConsumerError} can carry. */
export type ConsumerErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_EPOCH_BUDGET'
  | 'ERR_SINK_UNAVAILABLE'
  | 'ERR_BROKER_REFUSED'
  | 'ERR_BROKER_UNREACHABLE'

/**
 * Base class of the consumer's errors.
 *
 * @example
 * ```ts
 * throw new ConsumerError('ERR_BROKER_REFUSED', 'the broker refused the connection: not authorized')
 * ```
 */
export class ConsumerError<C extends ConsumerErrorCode = ConsumerErrorCode> extends CodedError<C> {}

export { ConfigError }

/**
 * A message would open a new epoch beyond the budget (per device or in total): it is
 * dead-lettered as `epoch-budget`, and no KMS call is made for it.
 *
 * @example
 * ```ts
 * new EpochBudgetError('dev-1', { device: 21, total: 40 }, { perDevice: 20, total: 10_000 })
 * ```
 */
export class EpochBudgetError extends ConsumerError<'ERR_EPOCH_BUDGET'> {
  static readonly code = 'ERR_EPOCH_BUDGET' as const
  constructor(
    deviceId: string,
    counts: { readonly device: number; readonly total: number },
    limits: { readonly perDevice: number; readonly total: number; readonly windowMs: number },
  ) {
    const which =
      counts.device > limits.perDevice
        ? `device ${deviceId} opened ${counts.device} new epochs (limit ${limits.perDevice})`
        : `${counts.total} new epochs in total (limit ${limits.total})`
    super('ERR_EPOCH_BUDGET', `new-epoch budget spent: ${which} within ${limits.windowMs} ms`)
  }
}

/**
 * The sink kept failing for longer than `sink.deadLetterAfterMs`: the message is dead-lettered as
 * `sink-failed` (replayable) so the rest can flow.
 *
 * @example
 * ```ts
 * new SinkUnavailableError(60_000, err)
 * ```
 */
export class SinkUnavailableError extends ConsumerError<'ERR_SINK_UNAVAILABLE'> {
  static readonly code = 'ERR_SINK_UNAVAILABLE' as const
  constructor(forMs: number, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super('ERR_SINK_UNAVAILABLE', `the sink failed for ${forMs} ms: ${why}`, { cause })
  }
}

/**
 * The broker cannot be used: it refused the connection (bad credentials, not authorized, a
 * protocol it does not speak) or cannot be reached at start.
 *
 * @example
 * ```ts
 * new BrokerError('ERR_BROKER_UNREACHABLE', 'mqtt://127.0.0.1:1883: connect ECONNREFUSED')
 * ```
 */
export class BrokerError extends ConsumerError<'ERR_BROKER_REFUSED' | 'ERR_BROKER_UNREACHABLE'> {
  static readonly codes = ['ERR_BROKER_REFUSED', 'ERR_BROKER_UNREACHABLE'] as const
}

/** Every consumer error. */
export type AnyConsumerError = ConfigError | EpochBudgetError | SinkUnavailableError | BrokerError
