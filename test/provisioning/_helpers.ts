/**
 * Shared helpers of the provisioning tests: captured CLI streams, temp folders, vector paths,
 * RSA keys made with node:crypto, and bundles written without KMS.
 */
import { generateKeyPairSync, createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { CliIo } from '../../provisioning/src/index.ts'
import {
  checkPublicKeyResponse,
  createManifest,
  encodeManifest,
  writeBundle,
} from '../../provisioning/src/index.ts'
import type { PublicKeyResponse } from '../../provisioning/src/index.ts'

// The SDK's notice about Node < 22 support after 2027 is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** The repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)))

/** Shared test vectors: `../shared/vectors` relative to the repo root (read, never copied). */
export const VECTORS = resolve(REPO_ROOT, '../shared/vectors')

/** A fake but well-formed key ARN. */
export const TEST_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'

/** Captured stdout/stderr plus an env for `main`. */
export interface Captured {
  readonly io: CliIo
  out(): string
  err(): string
}

/** Streams that record what is written; `tty` makes stderr look like a terminal. */
export function capture(env: Record<string, string | undefined> = {}, tty = false): Captured {
  let out = ''
  let err = ''
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true), isTTY: tty, columns: 100 },
      env,
    },
    out: () => out,
    err: () => err,
  }
}

const tempDirs: string[] = []

/** A new temp folder, removed by {@link cleanupTempDirs}. */
export async function tempDir(prefix = 'sealwire-prov-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

/** Removes every folder made by {@link tempDir}. */
export async function cleanupTempDirs(): Promise<void> {
  while (tempDirs.length > 0) await rm(tempDirs.pop()!, { recursive: true, force: true })
}

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

/** A GetPublicKey response as KMS returns it for an RSA_2048 ENCRYPT_DECRYPT key. */
export function publicKeyResponse(
  spki: Uint8Array,
  overrides: Partial<Record<keyof PublicKeyResponse, unknown>> = {},
): PublicKeyResponse {
  return {
    KeyId: TEST_ARN,
    PublicKey: spki,
    KeySpec: 'RSA_2048',
    KeyUsage: 'ENCRYPT_DECRYPT',
    EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
    ...overrides,
  } as PublicKeyResponse
}

/** Writes a valid bundle for `spki` (RSA-2048 unless `keySpec` says otherwise) into `dir`. */
export async function writeTestBundle(
  dir: string,
  spki: Uint8Array = rsaSpki(2048),
  keySpec = 'RSA_2048',
  keyArn = TEST_ARN,
): Promise<{ pin: string }> {
  const checked = checkPublicKeyResponse(
    publicKeyResponse(spki, { KeySpec: keySpec, KeyId: keyArn }),
  )
  const manifest = createManifest(checked, {
    fetchedAt: new Date('2026-01-02T03:04:05.000Z'),
    source: { endpoint: null, region: 'eu-west-1' },
  })
  await writeBundle(dir, checked.key.spki, encodeManifest(manifest))
  return { pin: checked.pinSha256 }
}

/** Hex to bytes. */
export function hex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'))
}
