/**
 * The line protocol between the fleet runner and a device host process: the host's spec (a JSON
 * file named on its command line), commands (one JSON object per line on the host's stdin) and
 * events (one JSON object per line on its stdout). Both ends are this package; every line is still
 * checked against its schema, so a damaged line is an error, not a guess.
 *
 * @example
 * ```ts
 * const event = parseHostEvent('{"type":"up","id":"dev-0001","url":"http://127.0.0.1:40123"}')
 * ```
 */
import { Type } from '@sinclair/typebox'
import type { Static } from '@sinclair/typebox'
import { compileSchema, parseStrictJson } from '../../../platform/src/index.ts'
import { NoiseFaultSchema } from '../hardware/index.ts'

const DeviceSpecSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    /** The device folder `sealwire-provision batch` wrote. */
    dir: Type.String({ minLength: 1 }),
    /** The agent's config file (`--config`). */
    config: Type.String({ minLength: 1 }),
    /** Seed of the device's noise source. */
    seed: Type.Integer(),
    /** Boots without an RTC (1970) and syncs `syncAfterMs` after each boot; absent: a real clock. */
    syncAfterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

const HostSpecSchema = Type.Object(
  {
    host: Type.Integer({ minimum: 0 }),
    logFile: Type.String({ minLength: 1 }),
    logLevel: Type.Union([
      Type.Literal('debug'),
      Type.Literal('info'),
      Type.Literal('warn'),
      Type.Literal('error'),
    ]),
    /** How often the host reports its devices' status, ms. */
    statusMs: Type.Integer({ minimum: 100 }),
    devices: Type.Array(DeviceSpecSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
)

const HostCommandSchema = Type.Union([
  /** Switch a device's noise source to `fault` (the hardware fails). */
  Type.Object(
    { cmd: Type.Literal('fault'), id: Type.String(), fault: NoiseFaultSchema },
    { additionalProperties: false },
  ),
  /** Stop a device cleanly and start it again on its state folder; `repair` clears its fault. */
  Type.Object(
    { cmd: Type.Literal('reboot'), id: Type.String(), repair: Type.Boolean() },
    { additionalProperties: false },
  ),
  /** Stop every device cleanly, then exit 0. */
  Type.Object({ cmd: Type.Literal('stop') }, { additionalProperties: false }),
])

const DeviceStatusSchema = Type.Object({
  id: Type.String(),
  up: Type.Boolean(),
  outbox: Type.Integer({ minimum: 0 }),
  entropyOk: Type.Boolean(),
  clockSynced: Type.Boolean(),
})

const HostEventSchema = Type.Union([
  Type.Object({
    type: Type.Literal('up'),
    id: Type.String(),
    url: Type.String(),
    boot: Type.Integer(),
  }),
  Type.Object({
    type: Type.Literal('down'),
    id: Type.String(),
    code: Type.String(),
    message: Type.String(),
  }),
  Type.Object({ type: Type.Literal('status'), devices: Type.Array(DeviceStatusSchema) }),
  Type.Object({ type: Type.Literal('stopped') }),
])

/** One device a host runs. */
export type DeviceSpec = Static<typeof DeviceSpecSchema>
/** What a host runs. */
export type HostSpec = Static<typeof HostSpecSchema>
/** A command to a host. */
export type HostCommand = Static<typeof HostCommandSchema>
/** One device's status line entry. */
export type DeviceStatus = Static<typeof DeviceStatusSchema>
/** An event from a host. */
export type HostEvent = Static<typeof HostEventSchema>

const hostSpec = compileSchema(HostSpecSchema)
const hostCommand = compileSchema(HostCommandSchema)
const hostEvent = compileSchema(HostEventSchema)

/** Parses a host spec file's text. @throws JsonInvalidError, SchemaInvalidError */
export function parseHostSpec(text: string): HostSpec {
  return hostSpec.parse(parseStrictJson(text))
}

/** Parses one command line. @throws JsonInvalidError, SchemaInvalidError */
export function parseHostCommand(line: string): HostCommand {
  return hostCommand.parse(parseStrictJson(line))
}

/** Parses one event line. @throws JsonInvalidError, SchemaInvalidError */
export function parseHostEvent(line: string): HostEvent {
  return hostEvent.parse(parseStrictJson(line))
}
