/**
 * Checks the merged settings beyond their schema, before anything starts, and turns them into
 * what the parts need: the broker URL split from its userinfo and the TLS files read (a private
 * key readable by group or others is refused), the metrics address, the KMS endpoint and key ids
 * as kms-client checks them, and the shape of the sink, state and dead-letter specs (their
 * factories check the rest when they open). Every problem is one `ERR_CONFIG` line naming the
 * setting and where it came from: exit 78, nothing started.
 *
 * @example
 * ```ts
 * const checked = await checkSettings(loaded, { keys: true, sink: true })
 * checked.broker.url // 'mqtts://broker.example:8883' (no userinfo)
 * ```
 */
import { stat } from 'node:fs/promises'
import { topicPrefixProblem } from '../../../device-bundle/src/index.ts'
import { checkEndpoint, checkKeyId } from '../../../kms-client/src/index.ts'
import { readFileBounded, shown, withoutUserinfo } from '../../../platform/src/index.ts'
import { ConfigError } from '../../../platform/src/index.ts'
import type { ConsumerSettings } from './defaults.ts'
import type { LoadedSettings } from './load_settings.ts'

/** Largest TLS file read. */
const MAX_TLS_FILE_BYTES = 1024 * 1024

/** What the broker connection needs. Holds the password: never log it. */
export interface CheckedBroker {
  /** The URL without userinfo: safe to print. */
  readonly url: string
  readonly username: string | undefined
  readonly password: string | undefined
  readonly tls: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | undefined
}

/** Settings checked, with what they name loaded. */
export interface CheckedSettings {
  readonly settings: ConsumerSettings
  readonly sources: ReadonlyMap<string, string>
  readonly broker: CheckedBroker
  /** Where the Prometheus endpoint listens, or undefined (off). */
  readonly metrics: { readonly host: string; readonly port: number } | undefined
}

/** What the command needs present. */
export interface Needs {
  /** At least one `--key-id` (run, replay). */
  readonly keys: boolean
  /** A `--sink` (run, replay). */
  readonly sink: boolean
  /** The broker (run). */
  readonly broker: boolean
}

function sourceOf(sources: ReadonlyMap<string, string>, setting: string): string {
  return sources.get(setting) ?? 'default'
}

async function readTls(
  path: string | undefined,
  setting: string,
  source: string,
  secret: boolean,
): Promise<Buffer | undefined> {
  if (path === undefined) return undefined
  try {
    if (secret && ((await stat(path)).mode & 0o077) !== 0) {
      throw new ConfigError(
        setting,
        source,
        `${shown(path)} is readable by group or others (chmod 600 it)`,
      )
    }
    return Buffer.from(await readFileBounded(path, MAX_TLS_FILE_BYTES))
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(setting, source, `${shown(path)}: ${(err as Error).message}`, {
      cause: err,
    })
  }
}

async function checkBroker(
  s: ConsumerSettings,
  sources: ReadonlyMap<string, string>,
): Promise<CheckedBroker> {
  const src = sourceOf(sources, 'broker.url')
  let url: URL
  try {
    url = new URL(s.broker.url)
  } catch {
    throw new ConfigError('broker.url', src, `${shown(withoutUserinfo(s.broker.url))} is not a URL`)
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') {
    throw new ConfigError('broker.url', src, 'expected mqtt://host[:port] or mqtts://host[:port]')
  }
  if (
    url.hostname === '' ||
    (url.pathname !== '' && url.pathname !== '/') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new ConfigError(
      'broker.url',
      src,
      'expected a host and port only, no path, query or fragment',
    )
  }
  let username = s.broker.username
  let password = s.broker.password
  if (url.username !== '' || url.password !== '') {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError(
        'broker.url',
        src,
        'a user name in the URL and in broker.username: give one',
      )
    }
    username = decodeURIComponent(url.username)
    password = url.password === '' ? undefined : decodeURIComponent(url.password)
  }
  const tlsPaths = s.broker.tls
  const anyTls =
    tlsPaths.ca !== undefined || tlsPaths.cert !== undefined || tlsPaths.key !== undefined
  if (anyTls && url.protocol !== 'mqtts:') {
    throw new ConfigError(
      'broker.tls',
      sourceOf(sources, 'broker.tls.ca'),
      'TLS files need an mqtts:// broker URL',
    )
  }
  if ((tlsPaths.cert === undefined) !== (tlsPaths.key === undefined)) {
    throw new ConfigError(
      'broker.tls',
      sourceOf(sources, 'broker.tls.cert'),
      'give the client certificate and its key together',
    )
  }
  const tls = anyTls
    ? {
        ...(tlsPaths.ca !== undefined && {
          ca: (await readTls(
            tlsPaths.ca,
            'broker.tls.ca',
            sourceOf(sources, 'broker.tls.ca'),
            false,
          ))!,
        }),
        ...(tlsPaths.cert !== undefined && {
          cert: (await readTls(
            tlsPaths.cert,
            'broker.tls.cert',
            sourceOf(sources, 'broker.tls.cert'),
            false,
          ))!,
        }),
        ...(tlsPaths.key !== undefined && {
          key: (await readTls(
            tlsPaths.key,
            'broker.tls.key',
            sourceOf(sources, 'broker.tls.key'),
            true,
          ))!,
        }),
      }
    : undefined
  return {
    url: `${url.protocol}//${url.host}`,
    username,
    password,
    tls,
  }
}

function checkMetrics(value: string | undefined, source: string): CheckedSettings['metrics'] {
  if (value === undefined || value === 'off') return undefined
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value)
  const port = m === null ? NaN : Number(m[2])
  if (m === null || port > 65_535) {
    throw new ConfigError(
      'metrics',
      source,
      `expected HOST:PORT (such as 127.0.0.1:9464) or off, got ${shown(value)}`,
    )
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

/**
 * Checks `loaded` for a command that `needs` keys, a sink, a broker.
 *
 * @throws {ConfigError} `ERR_CONFIG` naming the setting and its source.
 * @example
 * ```ts
 * await checkSettings(loaded, { keys: false, sink: false, broker: false }) // stats
 * ```
 */
export async function checkSettings(
  loaded: LoadedSettings,
  needs: Needs,
): Promise<CheckedSettings> {
  const { settings: s, sources } = loaded
  const problem = topicPrefixProblem(s.topicPrefix)
  if (problem !== undefined) {
    throw new ConfigError(
      'topicPrefix',
      sourceOf(sources, 'topicPrefix'),
      `${shown(s.topicPrefix)} ${problem}`,
    )
  }
  if (needs.keys) {
    if (s.keyIds.length === 0) {
      throw new ConfigError(
        'keyIds',
        'flags',
        'at least one --key-id is required (a KMS key id, ARN or alias)',
      )
    }
    for (const id of s.keyIds) {
      try {
        checkKeyId(id)
      } catch (err) {
        throw new ConfigError('keyIds', sourceOf(sources, 'keyIds'), (err as Error).message)
      }
    }
  }
  if (needs.sink && s.sink === undefined) {
    throw new ConfigError(
      'sink',
      'flags',
      '--sink is required: jsonl:PATH, jsonl:- or postgres://…',
    )
  }
  if (s.sink !== undefined && !/^(jsonl:.|postgres(ql)?:\/\/)/i.test(s.sink)) {
    throw new ConfigError(
      'sink',
      sourceOf(sources, 'sink'),
      `expected jsonl:PATH, jsonl:- or postgres://…, got ${shown(withoutUserinfo(s.sink))}`,
    )
  }
  if (s.state !== 'memory' && !/^rediss?:\/\//i.test(s.state)) {
    throw new ConfigError(
      'state',
      sourceOf(sources, 'state'),
      `expected memory or redis://…, got ${shown(withoutUserinfo(s.state))}`,
    )
  }
  if (s.kms.endpoint !== undefined) {
    try {
      checkEndpoint(s.kms.endpoint)
    } catch (err) {
      throw new ConfigError(
        'kms.endpoint',
        sourceOf(sources, 'kms.endpoint'),
        (err as Error).message,
      )
    }
  }
  if (s.delivery.retryInitialMs > s.delivery.retryMaxMs) {
    throw new ConfigError(
      'delivery.retryInitialMs',
      sourceOf(sources, 'delivery.retryInitialMs'),
      'must not exceed delivery.retryMaxMs',
    )
  }
  if (s.broker.settleMs > s.broker.maxSettleMs) {
    throw new ConfigError(
      'broker.settleMs',
      sourceOf(sources, 'broker.settleMs'),
      'must not exceed broker.maxSettleMs',
    )
  }
  const metrics = checkMetrics(s.metrics, sourceOf(sources, 'metrics'))
  const broker = needs.broker
    ? await checkBroker(s, sources)
    : {
        url: withoutUserinfo(s.broker.url),
        username: undefined,
        password: undefined,
        tls: undefined,
      }
  return { settings: s, sources, broker, metrics }
}
