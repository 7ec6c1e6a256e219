/**
 * A provisioned device for the agent rows, made the way `sealwire-provision batch` makes one
 * (and as `test/agent/_device.ts` does, without KMS): a fresh RSA-2048 key pair whose private
 * half stands in for KMS, a key bundle and `agent.json` under a unique topic prefix, in a
 * temporary folder that {@link BenchDevice.remove} deletes.
 *
 * @example
 * ```ts
 * const device = await makeBenchDevice('bench-agent')
 * // … sealwire-agent run --device device.dir …
 * await device.remove()
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createAgentConfig,
  createManifest,
  writeAgentConfig,
  writeBundle,
} from '../../device-bundle/src/index.ts'
import { parseRecipientKey } from '../../envelope/src/index.ts'

/** A syntactically valid key ARN (nothing calls KMS). */
const BENCH_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'

/** A device folder and what the bench needs around it. */
export interface BenchDevice {
  /** The temporary root: the device folder and any state folders live under it. */
  readonly root: string
  /** The device folder (`agent.json` + key bundle). */
  readonly dir: string
  readonly deviceId: string
  /** The unique topic prefix of this run. */
  readonly prefix: string
  readonly topics: { readonly data: string; readonly key: string }
  readonly spkiDer: Uint8Array
  readonly privateKey: KeyObject
  /** A fresh folder under {@link root} for a state database. */
  stateDir(name: string): string
  /** Deletes everything under {@link root}. */
  remove(): Promise<void>
}

/** A topic prefix no other run uses, e.g. `sealwire-bench-1f2e3d4c5b6a`. */
function uniquePrefix(): string {
  return `sealwire-bench-${randomBytes(6).toString('hex')}`
}

/**
 * Writes a device folder for a new device id under a new topic prefix in a new temporary folder
 * (in `os.tmpdir()`, on a real disk here, so `synchronous=FULL` pays for its fsyncs).
 */
export async function makeBenchDevice(name: string): Promise<BenchDevice> {
  const root = await mkdtemp(join(tmpdir(), 'sealwire-bench-'))
  try {
    const prefix = uniquePrefix()
    const deviceId = `${name}-${prefix.slice(-6)}`
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicExponent: 65537,
    })
    const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
    const manifest = createManifest(
      { keyArn: BENCH_KEY_ARN, keySpec: 'RSA_2048', key: parseRecipientKey(spkiDer) },
      { fetchedAt: new Date(), source: { endpoint: null, region: 'eu-west-1' } },
    )
    const dir = join(root, 'device')
    await writeBundle(dir, spkiDer, manifest)
    const config = createAgentConfig(deviceId, prefix, manifest)
    await writeAgentConfig(dir, config)
    return {
      root,
      dir,
      deviceId,
      prefix,
      topics: { data: config.topics.data, key: config.topics.key },
      spkiDer,
      privateKey,
      stateDir: (n) => join(root, n),
      remove: () => rm(root, { recursive: true, force: true }),
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true })
    throw err
  }
}
