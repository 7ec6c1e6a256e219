/**
 * The faults a {@link NoiseSource} can have, as a TypeBox schema (the static type, the runtime
 * check and a JSON Schema in one object), the extra rules a schema cannot say, and a short text
 * form for command lines. HARDWARE.md is normative for every field.
 *
 * @example
 * ```ts
 * checkNoiseFault({ kind: 'bias', p: 0.94 }) // ok
 * parseNoiseFault('burst:1000/0.21/0x42') // { kind: 'burst', everyMs: 1000, lengthMs: 0.21, value: 66 }
 * ```
 */
import type { Static } from '@sinclair/typebox'
import { Type } from '@sinclair/typebox'
import { compileSchema, SchemaInvalidError } from '../../../platform/src/index.ts'
import { HardwareSimError } from './errors.ts'

const Closed = { additionalProperties: false } as const
const Sample = Type.Integer({ minimum: 0, maximum: 255, description: 'a sample value, 0..255' })

const FAULT_SCHEMAS = {
  none: Type.Object({ kind: Type.Literal('none') }, Closed),
  stuck: Type.Object({ kind: Type.Literal('stuck'), value: Sample }, Closed),
  bias: Type.Object(
    {
      kind: Type.Literal('bias'),
      p: Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        description: 'probability that each bit is 1; not 0.5',
      }),
    },
    Closed,
  ),
  starve: Type.Object(
    {
      kind: Type.Literal('starve'),
      bytesPerSecond: Type.Number({
        minimum: 0,
        maximum: 1e9,
        description: 'samples delivered per second; 0 = none',
      }),
    },
    Closed,
  ),
  burst: Type.Object(
    {
      kind: Type.Literal('burst'),
      everyMs: Type.Number({ exclusiveMinimum: 0, maximum: 86_400_000 }),
      lengthMs: Type.Number({ exclusiveMinimum: 0, maximum: 86_400_000 }),
      value: Sample,
    },
    Closed,
  ),
} as const

/** The schema of a {@link NoiseFault}: one closed object per kind. */
export const NoiseFaultSchema = Type.Union([
  FAULT_SCHEMAS.none,
  FAULT_SCHEMAS.stuck,
  FAULT_SCHEMAS.bias,
  FAULT_SCHEMAS.starve,
  FAULT_SCHEMAS.burst,
])

type FaultKind = keyof typeof FAULT_SCHEMAS

// One checker per kind, so an error names the field at fault rather than "no union member".
const CHECKERS = Object.freeze(
  Object.assign(
    Object.create(null) as Record<FaultKind, { parse(v: unknown): unknown }>,
    Object.fromEntries(
      Object.entries(FAULT_SCHEMAS).map(([k, schema]) => [k, compileSchema(schema)]),
    ),
  ),
)

/**
 * A fault of the emulated hardware RNG:
 *
 * - `none`: fair, uniformly distributed 8-bit samples.
 * - `stuck`: every sample is `value`.
 * - `bias`: each of a sample's 8 bits is 1 with probability `p` (independently).
 * - `starve`: samples arrive at `bytesPerSecond` (0: never) on the source's clock; `read()`
 *   ignores it.
 * - `burst`: fair, except that the last `lengthMs` of every `everyMs` period of the source's
 *   sample timeline are stuck at `value`.
 *
 * @example
 * ```ts
 * const fault: NoiseFault = { kind: 'stuck', value: 0x42 }
 * ```
 */
export type NoiseFault = Static<typeof NoiseFaultSchema>

function invalid(message: string, cause?: unknown): HardwareSimError {
  return new HardwareSimError('ERR_SIM_FAULT_INVALID', `noise fault ${message}`, { cause })
}

/**
 * Checks a fault: the schema, then p ≠ ½ and a burst no longer than its period.
 *
 * @throws {HardwareSimError} `ERR_SIM_FAULT_INVALID` naming the offending field.
 * @example
 * ```ts
 * checkNoiseFault({ kind: 'stuck', value: 256 }) // throws: /value: Expected integer to be less or equal to 255
 * ```
 */
export function checkNoiseFault(value: unknown): NoiseFault {
  const kind = (value as { kind?: unknown } | null)?.kind
  const checker = typeof kind === 'string' ? CHECKERS[kind as FaultKind] : undefined
  if (value === null || typeof value !== 'object' || checker === undefined) {
    throw invalid(`/kind: expected one of ${Object.keys(FAULT_SCHEMAS).join(', ')}`)
  }
  let fault: NoiseFault
  try {
    fault = checker.parse(value) as NoiseFault
  } catch (err) {
    if (err instanceof SchemaInvalidError) throw invalid(err.message, err)
    throw err
  }
  if (fault.kind === 'bias' && fault.p === 0.5) {
    throw invalid('/p: 0.5 is a fair source, not a bias (use kind "none")')
  }
  if (fault.kind === 'burst' && fault.lengthMs > fault.everyMs) {
    throw invalid(`/lengthMs: ${fault.lengthMs} is longer than the period everyMs ${fault.everyMs}`)
  }
  return Object.freeze({ ...fault })
}

function num(text: string, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : Number(text)
  if (text.trim() === '' || !Number.isFinite(n)) throw invalid(`${what}: "${text}" is not a number`)
  return n
}

/**
 * Parses the text form of a fault, for command lines: `none`, `stuck:V`, `bias:P`, `starve:BPS`,
 * `burst:EVERY_MS/LENGTH_MS/V` (V decimal or `0x..`), then checks it.
 *
 * @throws {HardwareSimError} `ERR_SIM_FAULT_INVALID`.
 * @example
 * ```ts
 * parseNoiseFault('starve:0') // { kind: 'starve', bytesPerSecond: 0 }
 * ```
 */
export function parseNoiseFault(text: string): NoiseFault {
  const [kind = '', arg, ...rest] = text.split(':')
  if (rest.length > 0) throw invalid(`"${text}": expected KIND or KIND:ARGS`)
  const args = arg === undefined ? [] : arg.split('/')
  const want = (n: number): void => {
    if (args.length !== n) throw invalid(`"${text}": ${kind} takes ${n} argument(s)`)
  }
  switch (kind) {
    case 'none':
      want(0)
      return checkNoiseFault({ kind })
    case 'stuck':
      want(1)
      return checkNoiseFault({ kind, value: num(args[0]!, 'value') })
    case 'bias':
      want(1)
      return checkNoiseFault({ kind, p: num(args[0]!, 'p') })
    case 'starve':
      want(1)
      return checkNoiseFault({ kind, bytesPerSecond: num(args[0]!, 'bytesPerSecond') })
    case 'burst':
      want(3)
      return checkNoiseFault({
        kind,
        everyMs: num(args[0]!, 'everyMs'),
        lengthMs: num(args[1]!, 'lengthMs'),
        value: num(args[2]!, 'value'),
      })
    default:
      throw invalid(`"${text}": unknown kind (none, stuck, bias, starve, burst)`)
  }
}
