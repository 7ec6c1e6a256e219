/**
 * Conditioning of raw hardware samples (SP 800-90B §3.1.5.1.1, a vetted function): one 32-byte
 * block = SHA-256("sealwire/1 entropy conditioning" ‖ s₁ ‖ … ‖ s_B) over B = ⌈320 / H⌉ samples,
 * so each block's input carries at least 256 + 64 bits of claimed min-entropy (SP 800-90C's
 * n + 64 rule for full-entropy output). The prefix separates this hash from every other SHA-256
 * use in sealwire.
 *
 * @example
 * ```ts
 * const block = conditionSamples(samples) // 32 bytes
 * ```
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { checkMinEntropy } from './cutoffs.ts'
import { entropyDefaults } from './defaults.ts'

const PREFIX = new TextEncoder().encode('sealwire/1 entropy conditioning')

/** Bytes in one conditioned block (the SHA-256 output). */
export const BLOCK_BYTES = 32

/**
 * Samples hashed into one block: B = ⌈inputBits / H⌉ (default inputBits = 320).
 *
 * @example
 * ```ts
 * samplesPerBlock(1) // 320
 * samplesPerBlock(8) // 40
 * ```
 */
export function samplesPerBlock(
  minEntropyPerSample: number,
  inputBits = entropyDefaults.conditioningInputBits,
): number {
  checkMinEntropy(minEntropyPerSample)
  if (!Number.isSafeInteger(inputBits) || inputBits < 256) {
    throw new RangeError(`conditioning input bits: expected an integer ≥ 256, got ${inputBits}`)
  }
  const x = inputBits / minEntropyPerSample
  const r = Math.round(x)
  // 320 / 0.1 is 3200 exactly, whatever floating point says.
  return Math.abs(x - r) <= 1e-9 * x ? r : Math.ceil(x)
}

/**
 * The conditioned block of `samples`: SHA-256 over the domain prefix and the samples.
 *
 * @example
 * ```ts
 * conditionSamples(new Uint8Array(320)).length // 32
 * ```
 */
export function conditionSamples(samples: Uint8Array): Uint8Array {
  if (!(samples instanceof Uint8Array)) throw new TypeError('samples: expected a Uint8Array')
  return sha256.create().update(PREFIX).update(samples).digest()
}
