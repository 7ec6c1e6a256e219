/**
 * What the verifier reads (the evidence of a fleet run) and what it answers (the verdict).
 * `firmware-sim/VERIFY.md` is normative for every field.
 *
 * @example
 * ```ts
 * const verdict: FleetVerdict = verifyFleet({ confirmed, delivered, wire: tap.messages,
 *   kms: { decryptCalls }, deadLetters: [] })
 * ```
 */
import type { OutputRecord } from '../../../consumer/src/index.ts'

/** A reading the agent confirmed (HTTP 200 / resolved `submit`). */
export interface ConfirmedReading {
  readonly deviceId: string
  readonly stream: string
  /** Unique per device: the runner numbers readings 0, 1, 2 … per device. */
  readonly value: number
  /** When the confirmation arrived, ms since 1970. */
  readonly confirmedAt: number
}

/** One line of the consumer's JSONL sink (`consumer/src/sinks/sink.ts`). */
export type DeliveredRecord = OutputRecord

/** One message the wire tap saw, read without any key. */
export interface WireMessage {
  readonly deviceId: string
  readonly topic: string
  /** From the topic: `<prefix>/<device>/data` or `…/key`. */
  readonly kind: 'data' | 'key'
  /** Absent when the payload is not a `sealwire/1` envelope (then `problem` says why). */
  readonly form?: 'compact' | 'full'
  /** 16 lower-case hex digits: the compact header's, or SHA-256(wrapped CEK)[:8] of a full one. */
  readonly epochId?: string
  /** The Partial IV: the device sequence number. */
  readonly seq?: number
  /** SHA-256 of the payload, 64 lower-case hex digits. */
  readonly payloadSha256: string
  /** Payload bytes. */
  readonly size: number
  /** The broker delivered it as a retained message (a subscription's first sight of a topic). */
  readonly retain: boolean
  /** When the tap received it, ms since 1970. */
  readonly at: number
  /** The envelope error code when the payload did not parse. */
  readonly problem?: string
}

/** A dead letter as the verifier needs it. */
export interface DeadLetterEvidence {
  readonly reason: string
  readonly topic: string
  /** The message as received: when given, its sequence number explains a gap. */
  readonly bytes?: Uint8Array
}

/** Everything a run leaves behind. */
export interface FleetEvidence {
  readonly confirmed: Iterable<ConfirmedReading>
  readonly delivered: Iterable<DeliveredRecord>
  readonly wire: Iterable<WireMessage>
  readonly kms: {
    /** KMS `Decrypt` calls the consumer made (kms-local's count, or CloudTrail's). */
    readonly decryptCalls: number
    /** Calls allowed per epoch (default 1; n consumer instances or restarts need more). */
    readonly maxPerEpoch?: number
  }
  readonly deadLetters: Iterable<DeadLetterEvidence>
  /** Dead-letter reasons the run caused on purpose and counted: not failures. */
  readonly expectedDeadLetterReasons?: ReadonlySet<string>
  /** Examples kept per finding (default 5). */
  readonly examples?: number
}

/** How the missing sequence numbers of all devices are explained. */
export interface GapAccount {
  /** Numbers missing from the delivered sequences (see VERIFY.md for the range). */
  readonly missing: number
  /** Missing numbers the tap saw as key announcements. */
  readonly announcements: number
  /** Missing numbers kept as dead letters. */
  readonly deadLettered: number
  /** Missing numbers never seen on the wire: burnt by the agent, never published. */
  readonly neverPublished: number
  /** Missing numbers the tap saw published as data, neither delivered nor dead-lettered. */
  readonly unexplained: number
}

/** The verdict. Every field is JSON (the `--json` summary). */
export interface FleetVerdict {
  readonly ok: boolean
  /** Names of the failed checks, in VERIFY.md's order; empty when ok. */
  readonly failures: readonly string[]
  readonly devices: number
  readonly confirmed: number
  /** Sink lines read (records, duplicates included). */
  readonly delivered: number
  readonly lost: number
  readonly duplicated: number
  /** Delivered readings that were never confirmed (their answer was lost): not failures. */
  readonly unconfirmedDelivered: number
  readonly nonceRepeats: number
  /** The same payload of (device, epoch, seq) seen again on the wire (QoS 1, retained, re-announced). */
  readonly redeliveries: number
  /** A (device, seq) under two different epochs. */
  readonly sequenceReuses: number
  readonly unexplainedGaps: number
  readonly gaps: GapAccount
  readonly epochs: number
  readonly decryptCalls: number
  readonly decryptPerEpoch: number
  readonly decryptBudget: number
  readonly wire: {
    readonly messages: number
    /** Payloads that were not `sealwire/1` envelopes. */
    readonly malformed: number
    /** Delivered messages (device, seq) the tap never saw: its coverage gap. */
    readonly notSeen: number
  }
  /** Record times (VERIFY.md, "Clock"). */
  readonly clock: {
    /** Delivered records flagged `clock: 1` (stamped before the device's clock was trusted). */
    readonly unsynced: number
    /** Records whose time is below the previous record's of the same device, in (seq, index) order. */
    readonly backwards: number
  }
  readonly deadLettered: {
    readonly expected: number
    readonly unexpected: number
    readonly byReason: Readonly<Record<string, number>>
  }
  /** A few cases of each finding, for the person reading. */
  readonly examples: {
    readonly lost: readonly string[]
    readonly duplicated: readonly string[]
    readonly nonceRepeats: readonly string[]
    readonly sequenceReuses: readonly string[]
    readonly unexplainedGaps: readonly string[]
    readonly clockBackwards: readonly string[]
  }
}
