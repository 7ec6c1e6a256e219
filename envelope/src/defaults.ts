/**
 * Every default of the envelope, in one typed object each, merged once with the caller's options.
 *
 * @example
 * ```ts
 * const sealer = new Sealer({ ...opts, limits: { ...defaultEpochLimits, maxMessages: 10_000 } })
 * ```
 */
import type { DecodeLimits } from './cbor/decode.ts'
import { TAG_ENCRYPT, TAG_ENCRYPT0 } from './suites.ts'

/** When a data-key epoch closes: at the first limit reached (or at restart: the CEK is RAM only). */
export interface EpochLimits {
  /** Messages per epoch (the key announcement counts). At most 2^32 (NIST SP 800-38D §8.3). */
  readonly maxMessages: number
  /** Age of an epoch in milliseconds. */
  readonly maxAgeMs: number
  /** Plaintext bytes per epoch. */
  readonly maxBytes: number
}

/** The hard ceiling on messages under one key, whatever the configuration says. */
export const MAX_MESSAGES_PER_KEY = 2 ** 32

/**
 * Default epoch limits: one KMS `Decrypt` per device per hour at most, or per 100,000 messages.
 * At 1,000 devices that is under 0.3 Decrypt/s, far below the 500/s RSA quota.
 */
export const defaultEpochLimits: EpochLimits = Object.freeze({
  maxMessages: 100_000,
  maxAgeMs: 60 * 60 * 1000,
  maxBytes: 256 * 1024 * 1024,
})

/** Default decode limits for one envelope: 64 KiB, a small fixed structure. */
export const defaultDecodeLimits: DecodeLimits = Object.freeze({
  maxBytes: 64 * 1024,
  maxDepth: 6,
  maxItems: 64,
  allowedTags: Object.freeze([TAG_ENCRYPT0, TAG_ENCRYPT]),
})

/** Default bound of `MemoryEpochKeyStore`, the opener's default store: 10,000 epochs. */
export const defaultKeyStoreEntries = 10_000
