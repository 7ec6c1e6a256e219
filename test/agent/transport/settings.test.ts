/**
 * Broker and publisher settings: AWS IoT Core limits (payload 128 KiB, topic 256 bytes UTF-8,
 * at most 7 '/', no wildcards in a publish topic), URL rules, TLS file rules and the private key
 * file mode (refused when group or others may read it, as the AWS IoT Device Client does).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AWS_IOT_LIMITS,
  checkBrokerSettings,
  checkPayloadSize,
  checkPublishTopic,
  checkPublisherOptions,
  loadBrokerSettings,
  readPrivateKeyFile,
  transportDefaults,
} from '../../../agent/src/transport/index.ts'
import type { BrokerSettingsInput } from '../../../agent/src/transport/index.ts'

const base: BrokerSettingsInput = { url: 'mqtt://127.0.0.1:1883', clientId: 'dev-1' }

function refused(fn: () => unknown, setting: string, message: RegExp): void {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  expect(err).toMatchObject({ code: 'ERR_TRANSPORT_CONFIG', setting })
  expect((err as Error).message).toMatch(message)
  expect((err as Error).message.startsWith(setting)).toBe(true)
}

describe('AWS IoT Core limits', () => {
  it('accepts a topic of exactly 256 bytes and 7 slashes', () => {
    const t = `a/b/c/d/e/f/g/${'x'.repeat(256 - 14)}`
    expect(Buffer.byteLength(t)).toBe(256)
    expect(() => checkPublishTopic(t)).not.toThrow()
  })

  it('counts UTF-8 bytes, not characters', () => {
    const t = 'é'.repeat(129) // 129 characters, 258 bytes
    refused(() => checkPublishTopic(t), 'topic', /is 258 bytes of UTF-8, over AWS IoT Core's 256/)
  })

  it('refuses more than 7 slashes', () => {
    refused(() => checkPublishTopic('a/b/c/d/e/f/g/h/i'), 'topic', /has 8 '\/', over .* 7/)
  })

  it.each(['a/+/c', 'a/#', '+', 'a#b'])('refuses the wildcard in %j', (t) => {
    refused(() => checkPublishTopic(t, 'topics[0]'), 'topics[0]', /wildcard/)
  })

  it('refuses an empty topic and U+0000', () => {
    refused(() => checkPublishTopic(''), 'topic', /is empty/)
    refused(() => checkPublishTopic('a\u0000b'), 'topic', /U\+0000/)
  })

  it('refuses a payload over 128 KiB', () => {
    expect(AWS_IOT_LIMITS.maxPayloadBytes).toBe(131_072)
    expect(() => checkPayloadSize(131_072)).not.toThrow()
    refused(() => checkPayloadSize(131_073), 'payload', /131073 bytes, over the 131072-byte limit/)
  })
})

describe('broker settings', () => {
  it('applies the defaults: MQTT 5, keepalive 60 s, port 1883 / 8883', async () => {
    const s = await loadBrokerSettings({ url: 'mqtt://broker.local', clientId: 'dev-1' })
    expect(s).toMatchObject({
      url: 'mqtt://broker.local',
      port: 1883,
      protocolVersion: 5,
      keepaliveSec: transportDefaults.keepaliveSec,
      maxPayloadBytes: 131_072,
      tlsEnabled: false,
    })
    expect(s.summary).toBe('mqtt://broker.local MQTT 5 client "dev-1" keepalive 60s')
    const t = await loadBrokerSettings({ url: 'mqtts://broker.local', clientId: 'dev-1' })
    expect(t.port).toBe(8883)
  })

  it('selects MQTT 3.1.1 with protocolVersion 4', async () => {
    const s = await loadBrokerSettings({ ...base, protocolVersion: 4 })
    expect(s.protocolVersion).toBe(4)
    expect(s.summary).toContain('MQTT 3.1.1')
  })

  it('takes user and password from the URL, and keeps them out of url and summary', async () => {
    const s = await loadBrokerSettings({ ...base, url: 'mqtt://dev%2D1:s3cr%40t@127.0.0.1:1883' })
    expect(s).toMatchObject({ username: 'dev-1', password: 's3cr@t', url: 'mqtt://127.0.0.1:1883' })
    expect(s.summary).not.toContain('s3cr')
  })

  it.each<[string, Partial<BrokerSettingsInput>, string, RegExp]>([
    ['a ws:// URL', { url: 'ws://127.0.0.1' }, 'url', /mqtt:\/\/ or mqtts:\/\//],
    ['a non-URL', { url: 'localhost:1883' }, 'url', /scheme|not a URL/],
    ['a path', { url: 'mqtt://h/x' }, 'url', /no path, query or fragment/],
    ['a password in URL and settings', { url: 'mqtt://u:p@h', password: 'q' }, 'url', /both/],
    ['an empty client id', { clientId: '' }, 'clientId', /non-empty/],
    ['a 129-byte client id', { clientId: 'd'.repeat(129) }, 'clientId', /128 bytes/],
    ['MQTT 3.1', { protocolVersion: 3 }, 'protocolVersion', /5 \(MQTT 5\) or 4/],
    ['a negative keepalive', { keepaliveSec: -1 }, 'keepaliveSec', /0\.\.65535/],
    ['a fractional keepalive', { keepaliveSec: 1.5 }, 'keepaliveSec', /integer/],
    ['a payload limit over 128 KiB', { maxPayloadBytes: 131_073 }, 'maxPayloadBytes', /131072/],
    ['a wildcard topic', { topics: ['s/dev-1/data', 's/+/key'] }, 'topics[1]', /wildcard/],
    ['a deep topic', { topics: ['a/b/c/d/e/f/g/h/dev-1/data'] }, 'topics[0]', /'\/'/],
    ['a password alone', { password: 'x' }, 'password', /needs a username/],
    ['TLS files with mqtt://', { tls: { caFile: '/ca.pem' } }, 'tls.caFile', /mqtts:\/\//],
    [
      'a certificate without its key',
      { url: 'mqtts://h', tls: { certFile: '/c.pem' } },
      'tls.keyFile',
      /both/,
    ],
  ])('refuses %s with ERR_TRANSPORT_CONFIG naming the setting', (_, patch, setting, message) => {
    refused(() => checkBrokerSettings({ ...base, ...patch }), setting, message)
  })
})

describe('publisher options', () => {
  it.each<[string, Parameters<typeof checkPublisherOptions>[0], string]>([
    ['windowSize 0', { windowSize: 0 }, 'windowSize'],
    ['windowSize 65536', { windowSize: 65_536 }, 'windowSize'],
    ['watchdogMs 0', { watchdogMs: 0 }, 'watchdogMs'],
    ['maxMs below initialMs', { backoff: { initialMs: 500, maxMs: 100 } }, 'backoff.maxMs'],
    ['a negative drainMs', { drainMs: -1 }, 'drainMs'],
  ])('refuses %s', (_, options, setting) => {
    refused(() => checkPublisherOptions(options), setting, new RegExp(setting.replace('.', '\\.')))
  })
})

describe('TLS files', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sealwire-transport-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function keyFile(name: string, mode: number): Promise<string> {
    const path = join(dir, name)
    await writeFile(path, '-----BEGIN PRIVATE KEY-----\n')
    await chmod(path, mode)
    return path
  }

  it.each([0o640, 0o604, 0o644, 0o660, 0o666, 0o610])(
    'refuses a key file with mode %o, naming the file',
    async (mode) => {
      const path = await keyFile(`key-${mode.toString(8)}.pem`, mode)
      const err = await readPrivateKeyFile(path).catch((e: unknown) => e)
      expect(err).toMatchObject({
        code: 'ERR_TRANSPORT_KEY_PERMISSIONS',
        setting: 'tls.keyFile',
        path,
      })
      expect((err as Error).message).toContain(path)
      expect((err as Error).message).toContain(`mode 0${mode.toString(8)}`)
    },
  )

  it.each([0o600, 0o400])('accepts a key file with mode %o', async (mode) => {
    const path = await keyFile(`ok-${mode.toString(8)}.pem`, mode)
    const bytes = await readPrivateKeyFile(path)
    expect(Buffer.from(bytes).toString()).toBe('-----BEGIN PRIVATE KEY-----\n')
  })

  it('refuses a world-readable key through loadBrokerSettings, before any connection', async () => {
    const key = await keyFile('loose.pem', 0o644)
    const cert = join(dir, 'cert.pem')
    await writeFile(cert, 'cert')
    await expect(
      loadBrokerSettings({
        url: 'mqtts://127.0.0.1:8883',
        clientId: 'dev-1',
        tls: { certFile: cert, keyFile: key },
      }),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT_KEY_PERMISSIONS', path: key })
  })

  it('refuses a missing CA file and a key that is a directory', async () => {
    await expect(
      loadBrokerSettings({
        url: 'mqtts://h',
        clientId: 'dev-1',
        tls: { caFile: join(dir, 'nope.pem') },
      }),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT_CONFIG', setting: 'tls.caFile' })
    await expect(readPrivateKeyFile(dir)).rejects.toMatchObject({
      code: 'ERR_TRANSPORT_CONFIG',
      setting: 'tls.keyFile',
    })
  })
})
