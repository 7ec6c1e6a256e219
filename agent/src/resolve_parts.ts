/**
 * Turns settings into the parts of a running agent, checking everything `run` needs before
 * anything starts — the same checks `check-config` runs: the device folder verified exactly as
 * `sealwire-provision verify` does (damaged or substituted key, pin differing from `agent.json`),
 * the ingest address, the broker URL, TLS files (a private key readable by group or others is
 * refused), AWS IoT Core's limits on topics, the entropy settings and the state folder.
 *
 * @example
 * ```ts
 * const checked = await checkAgentSettings(settings)
 * console.log(checked.summary)
 * ```
 */
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { VerifiedDevice } from '../../device-bundle/src/index.ts'
import { verifyDeviceFolder } from '../../device-bundle/src/index.ts'
import { shown } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import type { AgentSettings } from './config/defaults.ts'
import { ConfigError } from '../../platform/src/index.ts'
import type { ListenAddress } from './ingest/http_server.ts'
import { parseListenAddress } from './ingest/http_server.ts'
import type { EntropySource } from './entropy/index.ts'
import { HardwareEntropySource, OsEntropySource } from './entropy/index.ts'
import type { Logger } from 'pino'
import { Agent } from './agent.ts'
import { openAgentStore } from './store/index.ts'
import type { BrokerSettings } from './transport/index.ts'
import { loadBrokerSettings } from './transport/index.ts'

/** Everything checked, ready to start. */
export interface CheckedSettings {
  readonly settings: AgentSettings
  readonly device: VerifiedDevice
  readonly broker: BrokerSettings
  readonly listen: ListenAddress | undefined
  readonly stateDir: string
  /** One line for `check-config` and the start-up log, without secrets. */
  readonly summary: string
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/

function checkListen(
  settings: AgentSettings,
  sourceOf: (s: string) => string,
): ListenAddress | undefined {
  if (!settings.http.enabled) return undefined
  let listen: ListenAddress
  try {
    listen = parseListenAddress(settings.http.listen)
  } catch (err) {
    throw new ConfigError('http.listen', sourceOf('http.listen'), (err as Error).message)
  }
  if ('host' in listen && !LOOPBACK.test(listen.host)) {
    throw new ConfigError(
      'http.listen',
      sourceOf('http.listen'),
      `${shown(listen.host)} is not a loopback address: the ingest API has no authentication, so it listens on 127.0.0.1, ::1 or a Unix socket only`,
    )
  }
  return listen
}

async function checkStateDir(dir: string, source: string): Promise<string> {
  const abs = resolve(dir)
  try {
    const info = await stat(abs)
    if (!info.isDirectory()) throw new ConfigError('state', source, `${shown(abs)} is not a folder`)
    await access(abs, constants.W_OK | constants.X_OK)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const code = (err as { code?: unknown }).code
    if (code !== 'ENOENT') {
      throw new ConfigError('state', source, `${shown(abs)} is not writable (${String(code)})`)
    }
    try {
      await access(dirname(abs), constants.W_OK | constants.X_OK)
    } catch {
      throw new ConfigError('state', source, `${shown(abs)} does not exist and cannot be created`)
    }
  }
  return abs
}

/**
 * Checks every setting against the world (files, device folder, broker URL) without starting
 * anything or writing anything.
 *
 * @throws {ConfigError} `ERR_CONFIG`, or the device-bundle, key or transport error of what is
 *   wrong (each a configuration failure: exit 78).
 */
export async function checkAgentSettings(
  settings: AgentSettings,
  sources: ReadonlyMap<string, string> = new Map(),
): Promise<CheckedSettings> {
  const sourceOf = (s: string): string => sources.get(s) ?? 'default'
  if (settings.device === undefined) {
    throw new ConfigError(
      'device',
      'flags',
      'is required: --device DIR (a folder written by sealwire-provision batch)',
    )
  }
  const device = await verifyDeviceFolder(settings.device)
  const listen = checkListen(settings, sourceOf)
  if (settings.entropy.source === 'hardware' && settings.entropy.device === undefined) {
    throw new ConfigError(
      'entropy.device',
      sourceOf('entropy.source'),
      'is required when entropy.source is "hardware"',
    )
  }
  if (settings.batch.maxBytes > 120 * 1024) {
    throw new ConfigError(
      'batch.maxBytes',
      sourceOf('batch.maxBytes'),
      'must leave room under the 128 KiB MQTT payload limit',
    )
  }
  const { tls } = settings.broker
  const broker = await loadBrokerSettings({
    url: settings.broker.url,
    clientId: device.config.deviceId,
    protocolVersion: settings.broker.protocolVersion,
    keepaliveSec: settings.broker.keepaliveSec,
    connectTimeoutMs: settings.broker.connectTimeoutMs,
    ...(settings.broker.username !== undefined && { username: settings.broker.username }),
    ...(settings.broker.password !== undefined && { password: settings.broker.password }),
    tls: {
      ...(tls.ca !== undefined && { caFile: tls.ca }),
      ...(tls.cert !== undefined && { certFile: tls.cert }),
      ...(tls.key !== undefined && { keyFile: tls.key }),
    },
    topics: [device.config.topics.data, device.config.topics.key],
  })
  const stateDir = await checkStateDir(settings.state, sourceOf('state'))
  const summary =
    `ok: device ${device.config.deviceId} (pin sha256:${device.bundle.pinSha256}), ` +
    `broker ${broker.summary}, state ${stateDir}, ` +
    `ingest ${listen === undefined ? 'off' : 'path' in listen ? `unix:${listen.path}` : `${listen.host}:${listen.port}`}` +
    `${settings.stdin ? ' + stdin' : ''}, entropy ${settings.entropy.source}` +
    `${settings.entropy.source === 'hardware' ? ` ${settings.entropy.device} (H=${settings.entropy.minEntropyPerSample})` : ''}` +
    `, outbox ${settings.outbox.policy} ≤ ${settings.outbox.maxCount} msgs / ${settings.outbox.maxBytes} B, durability ${settings.durability}`
  return { settings, device, broker, listen, stateDir, summary }
}

/**
 * The entropy source the settings ask for.
 *
 * @example
 * ```ts
 * const entropy = entropySourceFor(settings) // OsEntropySource unless entropy.source is hardware
 * ```
 */
export function entropySourceFor(settings: AgentSettings): EntropySource {
  if (settings.entropy.source === 'hardware') {
    return new HardwareEntropySource({
      input: { path: settings.entropy.device! },
      minEntropyPerSample: settings.entropy.minEntropyPerSample,
      starvationTimeoutMs: settings.entropy.starvationTimeoutMs,
    })
  }
  return new OsEntropySource()
}

/**
 * Opens the store the settings describe and starts an agent on it: what `sealwire-agent run` does
 * before it opens the ingest API. The store is closed again if the agent cannot start.
 *
 * @example
 * ```ts
 * const agent = await startAgent(await checkAgentSettings(settings), pino())
 * ```
 */
export async function startAgent(
  checked: CheckedSettings,
  logger: Logger,
  hardware: {
    readonly entropy?: EntropySource
    readonly clock?: Clock
    readonly ntpSynchronized?: () => boolean
  } = {},
): Promise<Agent> {
  const entropy = hardware.entropy ?? entropySourceFor(checked.settings)
  const { settings } = checked
  const store = await openAgentStore({
    stateDir: checked.stateDir,
    durability: settings.durability,
    outbox: {
      maxCount: settings.outbox.maxCount,
      maxBytes: settings.outbox.maxBytes,
      policy: settings.outbox.policy,
      ttlMs: settings.outbox.ttlMs,
    },
  })
  try {
    return await Agent.start({
      settings,
      device: checked.device,
      store,
      entropy,
      broker: checked.broker,
      logger,
      ...(hardware.clock !== undefined && { clock: hardware.clock }),
      ...(hardware.ntpSynchronized !== undefined && { ntpSynchronized: hardware.ntpSynchronized }),
    })
  } catch (err) {
    await store.stop()
    throw err
  }
}
