/**
 * A started agent with its ingest API: what `sealwire-agent run` serves, as one call, so the CLI
 * and a program hosting many agents in one process (the fleet simulator) wire them the same way.
 *
 * @example
 * ```ts
 * const served = await serveAgent(await checkAgentSettings(settings), logger)
 * console.log(served.server?.url) // http://127.0.0.1:8787
 * await served.stop()
 * ```
 */
import type { Logger } from 'pino'
import type { Clock } from '../../platform/src/index.ts'
import type { Agent } from './agent.ts'
import type { EntropySource } from './entropy/index.ts'
import type { IngestServer } from './ingest/http_server.ts'
import { startIngestServer } from './ingest/http_server.ts'
import type { CheckedSettings } from './resolve_parts.ts'
import { startAgent } from './resolve_parts.ts'

/** Error codes the ingest API answers with 503 (README "Ingest API"): retrying later may help. */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'ERR_OUTBOX_FULL',
  'ERR_OUTBOX_TOO_LARGE',
  'ERR_AGENT_STOPPING',
  'ERR_ENTROPY_HEALTH_RCT',
  'ERR_ENTROPY_HEALTH_APT',
  'ERR_ENTROPY_STARVED',
  'ERR_ENTROPY_NOT_READY',
  'ERR_ENTROPY_SOURCE',
])

/** Hardware a host program supplies instead of the settings' own (the simulator's emulations). */
export interface AgentHardware {
  readonly entropy?: EntropySource
  readonly clock?: Clock
  /** The `ntp` clock trust's signal (default: systemd-timesyncd's flag file). */
  readonly ntpSynchronized?: () => boolean
}

/** A running agent and its ingest API. */
export interface ServedAgent {
  readonly agent: Agent
  /** Undefined when `http.enabled` is false. */
  readonly server: IngestServer | undefined
  /** Closes the ingest API, then stops the agent (drains in-flight messages, closes the store). */
  stop(): Promise<void>
}

/**
 * Starts the agent the checked settings describe, then its ingest API. If the API cannot listen,
 * the agent is stopped again before the error is thrown.
 */
export async function serveAgent(
  checked: CheckedSettings,
  logger: Logger,
  hardware: AgentHardware = {},
): Promise<ServedAgent> {
  const agent = await startAgent(checked, logger, hardware)
  let server: IngestServer | undefined
  if (checked.listen !== undefined) {
    try {
      server = await startIngestServer(
        {
          submit: (readings) => agent.submit(readings),
          metricsText: () => agent.metrics.registry.metrics(),
          metricsContentType: agent.metrics.registry.contentType,
          health: () => agent.health(),
          refused: (err, n) => agent.countRejected(err, n),
        },
        {
          listen: checked.listen,
          maxBodyBytes: checked.settings.http.maxBodyBytes,
          unavailableCodes: UNAVAILABLE_CODES,
        },
      )
    } catch (err) {
      await agent.stop()
      throw err
    }
  }
  return {
    agent,
    server,
    async stop() {
      await server?.close()
      await agent.stop()
    },
  }
}
