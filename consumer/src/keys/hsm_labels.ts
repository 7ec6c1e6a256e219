/**
 * Which HSM key serves which recipient kid: for each configured label, the HSM's public key of
 * that key pair, its pin id (the first 8 bytes of SHA-256 of the SPKI, as devices compute it),
 * which must be one of the ring's (a key KMS serves too). Learnt once at start, like the ring.
 *
 * @example
 * ```ts
 * const labels = await hsmLabelsFor(hsm, ['fleet-rsa-1'], ring)
 * labels.get(ring.keys[0].pinId) // 'fleet-rsa-1'
 * ```
 */
import { parseRecipientKey, toHex } from '../../../envelope/src/index.ts'
import type { Hsm } from '../../../hsm/src/index.ts'
import { ConfigError } from '../../../platform/src/index.ts'
import type { KeyRing } from './key_ring.ts'

/**
 * The kid → label table.
 *
 * @throws {ConfigError} `ERR_CONFIG` (setting `hsm.keyLabels`, from `source`) when a label's key
 *   is not one the ring serves, or two labels hold the same key.
 * @throws {HsmError} `ERR_HSM_*` (no such key, HSM unusable).
 * @example
 * ```ts
 * await hsmLabelsFor(hsm, settings.hsm.keyLabels, ring)
 * ```
 */
export async function hsmLabelsFor(
  hsm: Hsm,
  keyLabels: readonly string[],
  ring: KeyRing,
  source = 'settings',
): Promise<ReadonlyMap<string, string>> {
  const table = new Map<string, string>()
  for (const label of keyLabels) {
    const pinId = toHex(parseRecipientKey(await hsm.publicKey(label)).pinId)
    if (!ring.table.has(pinId)) {
      throw new ConfigError(
        'hsm.keyLabels',
        source,
        `the HSM key "${label}" (pin id ${pinId}) is not one of the served KMS keys`,
      )
    }
    if (table.has(pinId)) {
      throw new ConfigError(
        'hsm.keyLabels',
        source,
        `"${label}" holds the same key as "${table.get(pinId)!}"`,
      )
    }
    table.set(pinId, label)
  }
  return table
}
