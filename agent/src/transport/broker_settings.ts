/**
 * Broker settings: where to connect and as whom. {@link checkBrokerSettings} validates the
 * input without touching files (for `check-config`), {@link loadBrokerSettings} validates it,
 * loads the TLS files and returns the {@link BrokerSettings} a publisher connects with.
 *
 * Rules: `mqtt://` or `mqtts://` with a host, an optional port (default 1883 / 8883) and no path,
 * query or fragment; TLS files only with `mqtts://`; user name and password either in the URL
 * or as settings, not both; the client id is the device id (1 to 128 UTF-8 bytes, AWS IoT Core);
 * MQTT 5 by default, 3.1.1 as `protocolVersion: 4`; every configured publish topic and the
 * payload limit within AWS IoT Core's limits (see `limits.ts`).
 *
 * @example
 * ```ts
 * const settings = await loadBrokerSettings({
 *   url: 'mqtts://a1b2c3-ats.iot.eu-west-1.amazonaws.com:8883',
 *   clientId: 'dev-1',
 *   tls: { caFile: 'AmazonRootCA1.pem', certFile: 'dev-1.crt', keyFile: 'dev-1.key' },
 *   topics: ['sealwire/dev-1/data', 'sealwire/dev-1/key'],
 * })
 * ```
 */
import { shown, withoutUserinfo } from '../../../platform/src/index.ts'
import { transportDefaults } from './defaults.ts'
import { configError } from './errors.ts'
import { AWS_IOT_LIMITS, checkPublishTopic, utf8Length } from './limits.ts'
import { loadTlsFiles } from './tls_files.ts'
import type { TlsFilePaths, TlsMaterial } from './tls_files.ts'

/** What a caller configures. Only `url` and `clientId` are required. */
export interface BrokerSettingsInput {
  /** `mqtt://host[:port]` or `mqtts://host[:port]`; may carry `user:password@`. */
  readonly url: string
  /** The MQTT client id: the device id. */
  readonly clientId: string
  /** `5` (default) or `4` (MQTT 3.1.1, e.g. for aedes). */
  readonly protocolVersion?: number
  /** Keepalive in seconds, 0..65535 (default 60). */
  readonly keepaliveSec?: number
  /** Connect timeout in milliseconds (default 10,000). */
  readonly connectTimeoutMs?: number
  readonly username?: string
  readonly password?: string
  /** TLS files, for `mqtts://` only. */
  readonly tls?: TlsFilePaths
  /** The topics this client will publish to (data and key): checked against the limits now. */
  readonly topics?: readonly string[]
  /** Largest payload, at most AWS IoT Core's 128 KiB (the default). */
  readonly maxPayloadBytes?: number
}

/** Validated settings with the TLS files loaded. Holds the password: never log it whole. */
export interface BrokerSettings {
  /** The URL without userinfo: `mqtts://host:8883`. Safe to print. */
  readonly url: string
  readonly tlsEnabled: boolean
  readonly host: string
  readonly port: number
  readonly clientId: string
  readonly protocolVersion: 4 | 5
  readonly keepaliveSec: number
  readonly connectTimeoutMs: number
  readonly username: string | undefined
  readonly password: string | undefined
  readonly tls: TlsMaterial
  readonly maxPayloadBytes: number
  /** One line for logs and `check-config`, without secrets. */
  readonly summary: string
}

/** Validated settings before any file is read. */
type CheckedSettings = Omit<BrokerSettings, 'tls' | 'summary'> & { readonly tlsPaths: TlsFilePaths }

function checkInteger(setting: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configError(setting, `${shown(value)} is not an integer in ${min}..${max}`)
  }
  return value
}

function parseUrl(url: unknown): URL {
  if (typeof url !== 'string') throw configError('url', `${shown(url)} is not a string`)
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw configError('url', `${shown(withoutUserinfo(url), 200)} is not a URL`)
  }
  const safe = shown(withoutUserinfo(url), 200)
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') {
    throw configError('url', `${safe}: the scheme must be mqtt:// or mqtts://`)
  }
  if (u.hostname === '') throw configError('url', `${safe} has no host`)
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') {
    throw configError('url', `${safe} must have no path, query or fragment`)
  }
  return u
}

function optionalString(setting: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw configError(setting, `${shown(value)} is not a string`)
  return value
}

/**
 * Validates `input` without reading any file.
 *
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG` naming the first bad setting.
 * @example
 * ```ts
 * checkBrokerSettings({ url: 'ws://broker', clientId: 'dev-1' }) // throws: url: … mqtt:// or mqtts://
 * ```
 */
export function checkBrokerSettings(input: BrokerSettingsInput): void {
  checked(input)
}

function checked(input: BrokerSettingsInput): CheckedSettings {
  const u = parseUrl(input.url)
  const tlsEnabled = u.protocol === 'mqtts:'
  const port = u.port === '' ? (tlsEnabled ? 8883 : 1883) : Number(u.port)

  const clientId = input.clientId
  if (typeof clientId !== 'string' || clientId.length === 0) {
    throw configError('clientId', `${shown(clientId)} is not a non-empty string`)
  }
  if (utf8Length(clientId) > AWS_IOT_LIMITS.maxClientIdBytes) {
    throw configError(
      'clientId',
      `${shown(clientId)} is over AWS IoT Core's ${AWS_IOT_LIMITS.maxClientIdBytes} bytes`,
    )
  }

  const version = input.protocolVersion ?? transportDefaults.protocolVersion
  if (version !== 4 && version !== 5) {
    throw configError('protocolVersion', `${shown(version)} is not 5 (MQTT 5) or 4 (MQTT 3.1.1)`)
  }
  const keepaliveSec = checkInteger(
    'keepaliveSec',
    input.keepaliveSec ?? transportDefaults.keepaliveSec,
    0,
    65_535,
  )
  const connectTimeoutMs = checkInteger(
    'connectTimeoutMs',
    input.connectTimeoutMs ?? transportDefaults.connectTimeoutMs,
    1,
    600_000,
  )
  const maxPayloadBytes = checkInteger(
    'maxPayloadBytes',
    input.maxPayloadBytes ?? AWS_IOT_LIMITS.maxPayloadBytes,
    1,
    AWS_IOT_LIMITS.maxPayloadBytes,
  )

  let username = optionalString('username', input.username)
  let password = optionalString('password', input.password)
  if (u.username !== '' || u.password !== '') {
    if (username !== undefined || password !== undefined) {
      throw configError('url', 'user name or password given both in the URL and as settings')
    }
    username = decodeURIComponent(u.username)
    password = u.password === '' ? undefined : decodeURIComponent(u.password)
  }
  if (password !== undefined && username === undefined) {
    throw configError('password', 'a password needs a username')
  }

  const tls = input.tls ?? {}
  for (const name of ['caFile', 'certFile', 'keyFile'] as const) {
    const path = optionalString(`tls.${name}`, tls[name])
    if (path === '') throw configError(`tls.${name}`, 'is empty')
    if (path !== undefined && !tlsEnabled) {
      throw configError(`tls.${name}`, 'TLS files need an mqtts:// url')
    }
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const missing = tls.certFile === undefined ? 'tls.certFile' : 'tls.keyFile'
    throw configError(missing, 'mutual TLS needs both tls.certFile and tls.keyFile')
  }

  const topics = input.topics ?? []
  topics.forEach((t, i) => checkPublishTopic(t, `topics[${i}]`))

  u.username = ''
  u.password = ''
  return {
    url: `${u.protocol}//${u.host}`,
    tlsEnabled,
    host: u.hostname,
    port,
    clientId,
    protocolVersion: version,
    keepaliveSec,
    connectTimeoutMs,
    username,
    password,
    maxPayloadBytes,
    tlsPaths: tls,
  }
}

/**
 * Validates `input`, loads its TLS files and returns the settings to connect with.
 *
 * @throws {TransportError} `ERR_TRANSPORT_CONFIG` (first bad setting, unreadable file) or
 *   `ERR_TRANSPORT_KEY_PERMISSIONS` (private key readable by group or others).
 * @example
 * ```ts
 * const s = await loadBrokerSettings({ url: 'mqtt://127.0.0.1:1883', clientId: 'dev-1' })
 * s.summary // 'mqtt://127.0.0.1:1883 MQTT 5 client "dev-1" keepalive 60s'
 * ```
 */
export async function loadBrokerSettings(input: BrokerSettingsInput): Promise<BrokerSettings> {
  const { tlsPaths, ...c } = checked(input)
  const tls = await loadTlsFiles(tlsPaths)
  const auth = [
    tls.key !== undefined ? 'mutual TLS' : c.tlsEnabled ? 'TLS' : undefined,
    c.username !== undefined ? `user ${shown(c.username)}` : undefined,
  ].filter((s) => s !== undefined)
  const summary =
    `${c.url} MQTT ${c.protocolVersion === 5 ? '5' : '3.1.1'} client ${shown(c.clientId)} ` +
    `keepalive ${c.keepaliveSec}s${auth.length > 0 ? `, ${auth.join(', ')}` : ''}`
  return Object.freeze({ ...c, tls, summary })
}
