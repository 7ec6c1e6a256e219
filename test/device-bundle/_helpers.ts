/**
 * Helpers of the device-bundle tests (and the provisioning tests, which build on them): RSA keys
 * made with node:crypto, and bundles and device folders written without KMS.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { parseRecipientKey } from '../../envelope/src/index.ts'
import type { PinnedKey, RsaKeySpec } from '../../device-bundle/src/index.ts'
import {
  createAgentConfig,
  createManifest,
  writeAgentConfig,
  writeBundle,
} from '../../device-bundle/src/index.ts'

/** A fake but well-formed key ARN. */
export const TEST_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'

/** The fetch time every test manifest records. */
export const TEST_FETCHED_AT = new Date('2026-01-02T03:04:05.000Z')

const keyCache = new Map<string, Uint8Array>()

/** The DER SPKI of a fresh RSA key (cached per size and exponent within a test file). */
export function rsaSpki(bits: number, exponent = 65537, fresh = false): Uint8Array {
  const id = `${bits}/${exponent}`
  const cached = keyCache.get(id)
  if (cached && !fresh) return cached
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent: exponent,
  })
  const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  if (!fresh) keyCache.set(id, der)
  return der
}

/** SHA-256 hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A checked key as kms-client hands it to `createManifest`. */
export function pinnedKey(
  spki: Uint8Array = rsaSpki(2048),
  keySpec: RsaKeySpec = 'RSA_2048',
  keyArn = TEST_ARN,
): PinnedKey {
  return { keyArn, keySpec, key: parseRecipientKey(spki) }
}

/** Writes a valid bundle for `spki` into `dir`; returns its pin. */
export async function writeTestBundle(
  dir: string,
  spki: Uint8Array = rsaSpki(2048),
  keySpec: RsaKeySpec = 'RSA_2048',
  keyArn = TEST_ARN,
): Promise<{ pin: string }> {
  const manifest = createManifest(pinnedKey(spki, keySpec, keyArn), {
    fetchedAt: TEST_FETCHED_AT,
    source: { endpoint: null, region: 'eu-west-1' },
  })
  await writeBundle(dir, spki, manifest)
  return { pin: manifest.pinSha256 }
}

/** Writes a valid device folder (bundle + agent.json) for `deviceId` into `dir`. */
export async function writeTestDevice(
  dir: string,
  deviceId = 'dev-0001',
  topicPrefix = 'sealwire',
  spki: Uint8Array = rsaSpki(2048),
): Promise<{ pin: string }> {
  const manifest = createManifest(pinnedKey(spki), {
    fetchedAt: TEST_FETCHED_AT,
    source: { endpoint: null, region: 'eu-west-1' },
  })
  await writeBundle(dir, spki, manifest)
  await writeAgentConfig(dir, createAgentConfig(deviceId, topicPrefix, manifest))
  return { pin: manifest.pinSha256 }
}
