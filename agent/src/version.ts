/**
 * The agent's version, carried in every key announcement's metadata.
 *
 * @example
 * ```ts
 * AGENT_VERSION // 'sealwire-agent/0.1.0'
 * ```
 */
export const AGENT_VERSION = 'sealwire-agent/0.1.0'
