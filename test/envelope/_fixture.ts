/**
 * A fixed recipient key (Wycheproof rsa_oaep_2048_sha256_mgf1sha256, group 0, read from
 * ../shared/vectors) and fixed "randomness" for golden-bytes and independent-check tests.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createKeyWrapperWithSeed, parseRecipientKey, Sealer } from '../../envelope/src/index.ts'
import type { RecipientKey } from '../../envelope/src/index.ts'
import { hex, readVector } from '../helpers/vectors.ts'

export const fixedPrivateKey: KeyObject = createPrivateKey({
  key: Buffer.from(
    hex(
      readVector<{ testGroups: { privateKeyPkcs8: string }[] }>(
        'wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json',
      ).testGroups[0]!.privateKeyPkcs8,
    ),
  ),
  format: 'der',
  type: 'pkcs8',
})

export const fixedRecipient: RecipientKey = parseRecipientKey(
  createPublicKey(fixedPrivateKey).export({ format: 'der', type: 'spki' }),
)

/** CEK = 00 01 02 … 1f; OAEP seed = a0 a1 … bf. */
const fixedCek = Uint8Array.from({ length: 32 }, (_, i) => i)
const fixedSeed = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i)
export const goldenDeviceId = 'gw-0042'
export const goldenPlaintext = new TextEncoder().encode('{"t":21.5,"rh":40}')

/** A sealer whose every input is fixed: the same bytes on every run and runtime. */
export function goldenSealer(): Sealer {
  return new Sealer({
    wrapper: createKeyWrapperWithSeed(fixedRecipient, fixedSeed),
    deviceId: goldenDeviceId,
    random: () => Uint8Array.from(fixedCek),
    now: () => 0,
    bootCount: 3,
    agentVersion: '0.1.0',
  })
}
