/**
 * The consumer's version, in its start-up log line.
 *
 * @example
 * ```ts
 * CONSUMER_VERSION // 'sealwire-consumer/0.1.0'
 * ```
 */
export const CONSUMER_VERSION = 'sealwire-consumer/0.1.0'
