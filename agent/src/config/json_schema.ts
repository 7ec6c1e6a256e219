/**
 * The config file's JSON Schema as published in `agent/config.schema.json` (a test keeps the two
 * equal; `sealwire-agent schema` prints it).
 *
 * @example
 * ```ts
 * JSON.stringify(agentJsonSchema(), null, 2)
 * ```
 */
import { AgentSettingsSchema } from './schema.ts'

/** The schema as plain JSON (TypeBox's internal symbols dropped), draft 2020-12. */
export function agentJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(JSON.parse(JSON.stringify(AgentSettingsSchema)) as Record<string, unknown>),
  }
}
