/**
 * Writes one folder per device (key bundle + `agent.json`), idempotently and resumably.
 *
 * Per device, after `inspectBundle`: `absent` → write everything (created); `incomplete` (an
 * interrupted earlier run) → write everything (updated); `same` with the same `agent.json` bytes →
 * nothing (skipped); `same` without `agent.json` → write it (updated); `same` with another
 * `agent.json`, or a `conflict` (another pin or key ARN, a damaged bundle) → nothing, and the
 * device is refused with the error's code, unless `force` replaces it (updated). A folder holding
 * foreign files is refused even with `force`. Temporary files an interrupted write left in a folder
 * the batch writes or skips are removed (a skipped folder that had one counts as updated). A
 * refusal does not stop the batch; an I/O error (disk full, permissions) does, since it would fail
 * for every later device too.
 *
 * @example
 * ```ts
 * const result = await provisionDevices({ outDir, devices, spki, manifest, topicPrefix: 'sealwire' })
 * console.log(result.created, result.skipped, result.refused.length)
 * ```
 */
import { join } from 'node:path'
import type { BundleManifest } from '../../../device-bundle/src/index.ts'
import {
  BUNDLE_FILES,
  BundleError,
  createAgentConfig,
  encodeAgentConfig,
  readAgentConfig,
  writeAgentConfig,
  writeBundle,
} from '../../../device-bundle/src/index.ts'
import { isCodedError } from '../../../platform/src/index.ts'
import { defaults } from '../defaults.ts'
import { removeBundleTemps } from '../output/bundle_temps.ts'
import { inspectBundle } from '../output/inspect_bundle.ts'
import type { DeviceRow } from './devices_csv.ts'

/** What happened to one device. */
export type DeviceOutcome = 'created' | 'updated' | 'skipped' | 'refused'

/** A refusal's error: any coded error but `ERR_IO`. */
export type RefusalError = Error & { readonly code: string }

/** A device that was refused, and why. */
export interface RefusedDevice {
  readonly deviceId: string
  readonly error: RefusalError
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
  readonly onDevice?: (deviceId: string, outcome: DeviceOutcome, error?: RefusalError) => void
}

/** Counts of a finished batch. */
export interface ProvisionDevicesResult {
  readonly created: number
  readonly updated: number
  readonly skipped: number
  readonly refused: readonly RefusedDevice[]
}

/** The text of an existing `agent.json`: `undefined` when there is none, `null` when damaged. */
async function existingAgentConfig(dir: string): Promise<string | null | undefined> {
  try {
    return (await readAgentConfig(dir)).text
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
  const want = { pinSha256: manifest.pinSha256, keyArn: manifest.keyArn }
  const counts = { created: 0, updated: 0, skipped: 0 }
  const refused: RefusedDevice[] = []
  let fatal: unknown
  let next = 0

  async function one(device: DeviceRow): Promise<DeviceOutcome> {
    const dir = join(outDir, device.deviceId)
    const config = createAgentConfig(device.deviceId, topicPrefix, manifest)
    const text = encodeAgentConfig(config)
    const status = await inspectBundle(dir, want)
    if (status.kind === 'same') {
      const existing = await existingAgentConfig(dir)
      if (existing !== undefined && existing !== text && !force) {
        throw new BundleError(
          'ERR_BUNDLE_CONFLICT',
          `${device.deviceId}: ${BUNDLE_FILES.agentConfig} ` +
            (existing === null
              ? 'is unreadable or malformed'
              : "differs from this batch's (another topic prefix?)") +
            '; use --force to replace it',
        )
      }
      const cleaned = (await removeBundleTemps(dir)).length > 0
      if (existing === text) return cleaned ? 'updated' : 'skipped'
      await writeAgentConfig(dir, config)
      return 'updated'
    }
    if (status.kind === 'conflict' && (!force || !status.forceable)) throw status.error
    await removeBundleTemps(dir)
    await writeBundle(dir, spki, manifest)
    await writeAgentConfig(dir, config)
    return status.kind === 'absent' ? 'created' : 'updated'
  }

  async function worker(): Promise<void> {
    while (fatal === undefined && next < devices.length) {
      const device = devices[next++]!
      let outcome: DeviceOutcome
      let error: RefusalError | undefined
      try {
        outcome = await one(device)
      } catch (err) {
        if (isCodedError(err) && err.code !== 'ERR_IO') {
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
