/**
 * `firmware-sim/src/verify/`: the fleet verifier, independent of the consumer: the wire tap,
 * the JSONL sink reader and `verifyFleet`. `firmware-sim/VERIFY.md` is normative.
 *
 * @example
 * ```ts
 * import { WireTap, collectJsonlSink, verifyFleet } from './verify/index.ts'
 * const verdict = verifyFleet({ confirmed, delivered: await collectJsonlSink(path),
 *   wire: tap.messages, kms: { decryptCalls }, deadLetters })
 * ```
 */
export { verifyFleet } from './verify_fleet.ts'
export type {
  ConfirmedReading,
  DeadLetterEvidence,
  DeliveredRecord,
  FleetEvidence,
  FleetVerdict,
  GapAccount,
  WireMessage,
} from './evidence.ts'
export { WireTap } from './wire_tap.ts'
export type { WireTapOptions, WireTapStats } from './wire_tap.ts'
export { describeWireMessage } from './wire_message.ts'
export type { DescribeOptions } from './wire_message.ts'
export { collectJsonlSink, readJsonlSink } from './jsonl_sink_reader.ts'
export { VerifyError } from './errors.ts'
export type { VerifyErrorCode } from './errors.ts'
