/**
 * What every candidate shares: the key pair of the run, the payloads, and the contract each
 * candidate follows (prepare once per payload size, check a round trip, then expose one step to
 * time).
 *
 * @example
 * ```ts
 * const ctx = createContext()
 * const prepared = await someCandidate.prepare(telemetryPayload(256), ctx)
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { generateKeyPairSync } from 'node:crypto'
import type { Step } from './measure.ts'

/** Payload sizes, in bytes. */
export const SIZES: readonly number[] = Object.freeze([256, 1024, 16 * 1024])

/** The recipient key pair, generated in memory for one run, in every form a candidate wants. */
export interface BenchContext {
  readonly publicKey: KeyObject
  readonly privateKey: KeyObject
  /** DER SubjectPublicKeyInfo (what KMS `GetPublicKey` returns). */
  readonly spkiDer: Uint8Array
  readonly publicPem: string
  readonly privatePem: string
}

/** A candidate ready to time at one payload size. */
export interface Prepared {
  readonly step: Step
  /** Output bytes minus plaintext bytes, for one message. */
  readonly overheadBytes: number
  /** A short note for the report (suite, cache settings…), if any. */
  readonly note?: string
}

/** One thing to measure. */
export interface Candidate {
  /** Stable key, e.g. `sealwire-compact`. */
  readonly id: string
  /** Row label in the report. */
  readonly label: string
  /**
   * Seal rows are compared with the seal baselines and the raw AES-GCM encrypt, open rows with
   * the open baseline and the raw AES-GCM decrypt.
   */
  readonly op: 'seal' | 'open'
  /** True for a minimal-hybrid baseline of its `op` (ratios use the fastest one in the run). */
  readonly baseline: boolean
  /** True for the raw AES-GCM row of its `op`: no framing at all, the floor. */
  readonly floor?: boolean
  /**
   * Builds the step for `payload`. Checks once that the output opens back to the payload (with
   * the private key where the candidate needs it), so a broken candidate cannot post a number.
   */
  prepare(payload: Uint8Array, ctx: BenchContext): Promise<Prepared>
}

/**
 * Generates the RSA-2048 key pair of one run (e = 65537, as KMS RSA_2048).
 *
 * @example
 * ```ts
 * const { spkiDer } = createContext()
 * ```
 */
export function createContext(): BenchContext {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
  })
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  return Object.freeze({
    publicKey,
    privateKey,
    spkiDer: new Uint8Array(spki.buffer, spki.byteOffset, spki.length),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  })
}

const READING =
  '{"ts":1732330000000,"seq":1000,"t":21.53,"rh":48.2,"p":1013.25,"co2":612,"vbat":3.31,"rssi":-67}'

/**
 * A telemetry-shaped payload of exactly `size` bytes: JSON readings, newline separated, padded
 * with spaces. (No candidate compresses, so only the length matters; the shape is for realism.)
 *
 * @example
 * ```ts
 * telemetryPayload(256).length // 256
 * ```
 */
export function telemetryPayload(size: number): Uint8Array {
  let text = ''
  while (text.length + READING.length + 1 <= size) text += `${READING}\n`
  return new TextEncoder().encode(text.padEnd(size, ' '))
}

/**
 * How many distinct messages an open step cycles through: 1,024, fewer for large payloads so the
 * pools stay near 4 MiB (a big live heap would slow every candidate's GC).
 *
 * @example
 * ```ts
 * openPoolSize(256) // 1024
 * ```
 */
export function openPoolSize(payloadBytes: number): number {
  return Math.max(64, Math.min(1024, Math.floor((4 * 1024 * 1024) / payloadBytes)))
}

/** Throws unless two byte arrays are equal (the candidates' round-trip check). */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length !== expected.length || !actual.every((b, i) => b === expected[i])) {
    throw new Error(`${what}: round trip does not return the payload`)
  }
}
