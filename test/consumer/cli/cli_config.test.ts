/**
 * `sealwire-consumer` without traffic: `--help` everywhere, usage errors (exit 2), every kind of
 * bad configuration refused with exit 78 and one line naming the setting and its source, the
 * layering defaults < config file < SEALWIRE_CONSUMER_* < flags, the KMS key checked at start
 * (a signing key is refused before anything is subscribed), and `stats`.
 */
import { CreateKeyCommand } from '@aws-sdk/client-kms'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../consumer/src/main.ts'
import { startKmsLocal } from '../../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../../kms-local/src/index.ts'
import { capture, cleanupTempDirs, kmsClientFor, tempDir } from '../../helpers/index.ts'
import { KMS_ENV } from '../_helpers.ts'

let kms: KmsLocalServer
let encryptKey: string
let signKey: string

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  const admin = kmsClientFor(kms)
  encryptKey = (
    await admin.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }))
  ).KeyMetadata!.Arn!
  signKey = (
    await admin.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))
  ).KeyMetadata!.Arn!
  admin.destroy()
})

afterAll(async () => {
  await kms?.close()
})

afterEach(cleanupTempDirs)

const ENV = { ...KMS_ENV }

async function runCli(args: string[], env: Record<string, string> = {}) {
  const c = capture({ ...ENV, ...env })
  const code = await main(args, c.io)
  return { code, out: c.out(), err: c.err() }
}

describe('sealwire-consumer help and usage', () => {
  it('prints help for the program and every command with exit 0', async () => {
    const top = await runCli(['--help'])
    expect(top.code).toBe(0)
    expect(top.out).toMatch(/^usage: sealwire-consumer <command>/)
    for (const cmd of ['run', 'replay', 'stats']) {
      const r = await runCli([cmd, '--help'])
      expect(r.code, cmd).toBe(0)
      expect(r.out, cmd).toMatch(new RegExp(`^usage: sealwire-consumer ${cmd}`))
      expect(r.err, cmd).toBe('')
    }
  })

  it('answers usage errors with exit 2 and one error line', async () => {
    const cases: [string[], RegExp][] = [
      [[], /error ERR_USAGE: no command given\n$/],
      [['launch'], /^error ERR_USAGE: unknown command "launch"; commands: run, replay, stats\n$/],
      [['run', '--sink'], /^error ERR_USAGE: Option '--sink <value>' argument missing/],
      [['run', '--sink', 'a', '--sink', 'b'], /^error ERR_USAGE: --sink given more than once/],
      [['stats', '--key-id', 'x'], /^error ERR_USAGE: Unknown option '--key-id'/],
    ]
    for (const [args, line] of cases) {
      const r = await runCli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.err, args.join(' ')).toMatch(line)
    }
  })
})

describe('sealwire-consumer configuration', () => {
  it('refuses each bad setting with exit 78 and one line naming it and its source', async () => {
    const dir = await tempDir('sealwire-consumer-')
    const base = [
      'run',
      '--key-id',
      encryptKey,
      '--sink',
      `jsonl:${join(dir, 'out.jsonl')}`,
      '--dead-letters',
      join(dir, 'dl'),
    ]
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ['run', '--sink', 'jsonl:-'],
        {},
        /^error ERR_CONFIG: keyIds \(flags\): at least one --key-id is required/,
      ],
      [
        ['run', '--key-id', encryptKey],
        {},
        /^error ERR_CONFIG: sink \(flags\): --sink is required/,
      ],
      [
        [...base.slice(0, 3), '--sink', 'kafka://x'],
        {},
        /^error ERR_CONFIG: sink \(--sink\): expected jsonl:PATH, jsonl:- or postgres:\/\/…, got "kafka:\/\/x"/,
      ],
      [
        [...base, '--broker', 'http://127.0.0.1:1883'],
        {},
        /^error ERR_CONFIG: broker\.url \(--broker\): expected mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\]/,
      ],
      [
        [...base, '--broker', 'mqtt://u:secret@127.0.0.1:1883/x'],
        {},
        /^error ERR_CONFIG: broker\.url \(--broker\): expected a host and port only/,
      ],
      [
        [...base, '--metrics', 'everywhere'],
        {},
        /^error ERR_CONFIG: metrics \(--metrics\): expected HOST:PORT/,
      ],
      [
        [...base, '--state', 'mongodb://x'],
        {},
        /^error ERR_CONFIG: state \(--state\): expected memory or redis:\/\/…/,
      ],
      [
        [...base, '--topic-prefix', 'a/#'],
        {},
        /^error ERR_CONFIG: topicPrefix \(--topic-prefix\): "a\/#" must be topic levels/,
      ],
      [
        [...base, '--share-group', 'a/b'],
        {},
        /^error ERR_CONFIG: broker\.shareGroup \(--share-group\): /,
      ],
      [
        [...base, '--endpoint', 'ftp://kms'],
        {},
        /^error ERR_CONFIG: kms\.endpoint \(--endpoint\): /,
      ],
      [[...base, '--log-level', 'loud'], {}, /^error ERR_CONFIG: log\.level \(--log-level\): /],
      [
        base,
        { SEALWIRE_CONSUMER_KMS_RATE_PER_SECOND: 'fast' },
        /^error ERR_CONFIG: kms\.ratePerSecond \(SEALWIRE_CONSUMER_KMS_RATE_PER_SECOND\): expected a number, got "fast"\n$/,
      ],
      [
        base,
        { SEALWIRE_CONSUMER_PARKING_MAX_AGE_MS: '-1' },
        /^error ERR_CONFIG: parking\.maxAgeMs \(SEALWIRE_CONSUMER_PARKING_MAX_AGE_MS\): /,
      ],
      [
        base,
        { SEALWIRE_CONSUMER_NOPE: '1' },
        /^error ERR_CONFIG: SEALWIRE_CONSUMER_NOPE \(environment\): unknown setting/,
      ],
      [
        base,
        { SEALWIRE_CONSUMER_BROKER_PROTOCOL_VERSION: '3' },
        /^error ERR_CONFIG: broker\.protocolVersion \(SEALWIRE_CONSUMER_BROKER_PROTOCOL_VERSION\): /,
      ],
    ]
    for (const [args, env, line] of cases) {
      const r = await runCli(args, env)
      expect(r.code, `${args.join(' ')} ${JSON.stringify(env)}`).toBe(78)
      expect(r.err, args.join(' ')).toMatch(line)
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(r.out).toBe('')
    }
  })

  it('layers defaults < config file < environment < flags, naming where a bad value came from', async () => {
    const dir = await tempDir('sealwire-consumer-')
    const file = join(dir, 'consumer.json')
    writeFileSync(
      file,
      JSON.stringify({ topicPrefix: 'file/#', keyIds: [encryptKey], sink: 'jsonl:-' }),
    )
    // The file's bad value is reported with the file's name...
    let r = await runCli(['stats', '--config', file])
    expect(r.code).toBe(78)
    expect(r.err).toMatch(
      /^error ERR_CONFIG: topicPrefix \(config file ".*consumer\.json"\): "file\/#"/,
    )
    // ...an environment variable replaces it (and is named when it is the bad one)...
    r = await runCli(['stats', '--config', file], { SEALWIRE_CONSUMER_TOPIC_PREFIX: 'env/#' })
    expect(r.err).toMatch(
      /^error ERR_CONFIG: topicPrefix \(SEALWIRE_CONSUMER_TOPIC_PREFIX\): "env\/#"/,
    )
    // ...a flag replaces both.
    r = await runCli(
      ['stats', '--config', file, '--topic-prefix', 'ok', '--dead-letters', join(dir, 'dl')],
      {
        SEALWIRE_CONSUMER_TOPIC_PREFIX: 'env/#',
      },
    )
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
    // The config file can also be named in the environment.
    r = await runCli(['stats'], { SEALWIRE_CONSUMER_CONFIG: file })
    expect(r.err).toMatch(/^error ERR_CONFIG: topicPrefix \(config file /)
    writeFileSync(file, '{"kms": {"ratePerSecond": 0}}')
    r = await runCli(['stats', '--config', file])
    expect(r.err).toMatch(/^error ERR_CONFIG: kms\.ratePerSecond \(config file ".*"\): /)
    writeFileSync(file, '{"nope": 1}')
    r = await runCli(['stats', '--config', file])
    expect(r.code).toBe(78)
  })

  it('checks every --key-id at start as provisioning does: a signing key or an unknown alias is exit 78', async () => {
    const dir = await tempDir('sealwire-consumer-')
    const common = [
      '--sink',
      `jsonl:${join(dir, 'out.jsonl')}`,
      '--dead-letters',
      join(dir, 'dl'),
      '--endpoint',
      kms.endpoint,
      '--region',
      kms.region,
      '--broker',
      'mqtt://127.0.0.1:9',
    ]
    let r = await runCli(['run', '--key-id', signKey, ...common])
    expect(r.code).toBe(78)
    expect(r.err).toMatch(/^error ERR_KEY_USAGE: /m)
    r = await runCli(['run', '--key-id', 'alias/nope', ...common])
    expect(r.code).toBe(78)
    expect(r.err).toMatch(/^error ERR_KMS_REQUEST: /m)
    r = await runCli(['run', '--key-id', encryptKey, '--key-id', encryptKey, ...common])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/^error ERR_USAGE: --key-id .* names a key already given/m)
    // A good key, but no broker there: exit 69 (unavailable), after the key was checked.
    r = await runCli(['run', '--key-id', encryptKey, ...common])
    expect(r.code).toBe(69)
    expect(r.err).toMatch(/^error ERR_BROKER_UNREACHABLE: mqtt:\/\/127\.0\.0\.1:9: /m)
    expect(r.err).toMatch(/"event":"key".*"pinId":"[0-9a-f]{16}"/)
  })

  it('stats prints what the state and the dead letters hold', async () => {
    const dir = await tempDir('sealwire-consumer-')
    const r = await runCli(['stats', '--dead-letters', join(dir, 'dl')])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(
      /^state: memory\n {2}devices with a replay window: 0\n {2}stored announcements: 0\ndead letters: .*dl.*\n {2}total: 0\n$/,
    )
    const j = await runCli(['stats', '--dead-letters', join(dir, 'dl'), '--json'])
    expect(JSON.parse(j.out)).toMatchObject({
      state: { devices: 0, announcements: 0 },
      deadLetters: { total: 0, byReason: {} },
    })
  })
})
