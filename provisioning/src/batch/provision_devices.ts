/**
 * Writes one folder per device (key bundle + `agent.json`), idempotently and resumably.
 *
 * Per device, after `inspectBundle`: `absent` → write everything (created); `incomplete` (an
 * interrupted earlier run) → write everything (updated); `same` with the same `agent.json` →
 * nothing (skipped); `same` without `agent.json` → write it (updated); `same` with another
 * `agent.json`, or a `conflict` (another pin or key ARN, a damaged bundle) → nothing, and the
 * device is refused with the error's code, unless `force` replaces it (updated). A folder holding
 * foreign files is refused even with `force`. A refusal does not stop the batch; an I/O error
 * (disk full, permissions) does, since it would fail for every later device too.
 *
 * @example
 * ```ts
 * const result = await provisionDevices({ outDir, devices, spki, manifest, topicPrefix: 'sealwire' })
 * console.log(result.created, result.skipped, result.refused.length)
 * ```
 */
import { join } from 'node:path'
import { BUNDLE_FILES, defaults, FILE_MODES } from '../defaults.ts'
import { BundleError, ProvisioningError } from '../errors.ts'
import type { BundleManifest } from '../bundle/manifest.ts'
import { encodeManifest } from '../bundle/manifest.ts'
import { inspectBundle } from '../bundle/inspect_bundle.ts'
import { writeBundle } from '../bundle/write_bundle.ts'
import { writeFileAtomic } from '../bundle/atomic_write.ts'
import { readLimited } from '../bundle/_read_limited.ts'
import { createAgentConfig, encodeAgentConfig } from './agent_config.ts'
import type { DeviceRow } from './devices_csv.ts'

/** What happened to one device. */
export type DeviceOutcome = 'created' | 'updated' | 'skipped' | 'refused'

/** A device that was refused, and why. */
export interface RefusedDevice {
  readonly deviceId: string
  readonly error: ProvisioningError
}

/** Options of {@link provisionDevices}. */
export interface ProvisionDevicesOptions {
  /** The folder holding one sub-folder per device. */
  readonly outDir: string
  readonly devices: readonly DeviceRow[]
  /** The checked DER SPKI, the same for every device. */
  readonly spki: Uint8Array
  readonly manifest: BundleManifest
  readonly topicPrefix: string
  /** Replace bundles that pin another key (never folders holding foreign files). */
  readonly force?: boolean
  /** Devices written in parallel. */
  readonly concurrency?: number
  /** Called once per device, in completion order. */
  readonly onDevice?: (deviceId: string, outcome: DeviceOutcome, error?: ProvisioningError) => void
}

/** Counts of a finished batch. */
export interface ProvisionDevicesResult {
  readonly created: number
  readonly updated: number
  readonly skipped: number
  readonly refused: readonly RefusedDevice[]
}

/** The text of an existing `agent.json`, `undefined` when there is none, `null` when unreadable. */
async function readAgentConfig(path: string): Promise<string | null | undefined> {
  try {
    const bytes = await readLimited(path, defaults.limits.maxAgentConfigBytes)
    return new TextDecoder().decode(bytes)
  } catch (err) {
    if (err instanceof BundleError) return err.code === 'ERR_BUNDLE_MISSING' ? undefined : null
    throw err
  }
}

/**
 * Provisions every device of `devices` under `outDir`.
 *
 * @throws {IoError} `ERR_IO` on the first file system failure (after the devices in flight end).
 * @example
 * ```ts
 * await provisionDevices({ outDir: '/out', devices, spki, manifest, topicPrefix: 'acme' })
 * ```
 */
export async function provisionDevices(
  options: ProvisionDevicesOptions,
): Promise<ProvisionDevicesResult> {
  const { outDir, devices, spki, manifest, topicPrefix } = options
  const force = options.force ?? false
  const manifestText = encodeManifest(manifest)
  const want = { pinSha256: manifest.pinSha256, keyArn: manifest.keyArn }
  const counts = { created: 0, updated: 0, skipped: 0 }
  const refused: RefusedDevice[] = []
  let fatal: unknown
  let next = 0

  async function one(device: DeviceRow): Promise<DeviceOutcome> {
    const dir = join(outDir, device.deviceId)
    const agentPath = join(dir, BUNDLE_FILES.agentConfig)
    const agentText = encodeAgentConfig(createAgentConfig(device.deviceId, topicPrefix, manifest))
    const status = await inspectBundle(dir, want)
    if (status.kind === 'same') {
      const existing = await readAgentConfig(agentPath)
      if (existing === agentText) return 'skipped'
      if (existing !== undefined && !force) {
        throw new BundleError(
          'ERR_BUNDLE_CONFLICT',
          `${device.deviceId}: ${BUNDLE_FILES.agentConfig} ` +
            (existing === null
              ? 'is unreadable'
              : "differs from this batch's (another topic prefix?)") +
            '; use --force to replace it',
        )
      }
      await writeFileAtomic(agentPath, agentText, FILE_MODES.agentConfig)
      return 'updated'
    }
    if (status.kind === 'conflict' && (!force || !status.forceable)) throw status.error
    await writeBundle(dir, spki, manifestText)
    await writeFileAtomic(agentPath, agentText, FILE_MODES.agentConfig)
    return status.kind === 'absent' ? 'created' : 'updated'
  }

  async function worker(): Promise<void> {
    while (fatal === undefined && next < devices.length) {
      const device = devices[next++]!
      let outcome: DeviceOutcome
      let error: ProvisioningError | undefined
      try {
        outcome = await one(device)
      } catch (err) {
        if (err instanceof ProvisioningError && err.code !== 'ERR_IO') {
          outcome = 'refused'
          error = err
          refused.push({ deviceId: device.deviceId, error: err })
        } else {
          fatal ??= err
          return
        }
      }
      if (outcome !== 'refused') counts[outcome]++
      options.onDevice?.(device.deviceId, outcome, error)
    }
  }

  const concurrency = Math.max(
    1,
    Math.min(options.concurrency ?? defaults.batchConcurrency, devices.length),
  )
  await Promise.all(Array.from({ length: concurrency }, worker))
  if (fatal !== undefined) throw fatal
  return { ...counts, refused }
}
