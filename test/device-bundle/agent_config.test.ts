/**
 * `agent.json`: encode/parse round trip, each refusal with its message, and `verifyDeviceFolder`,
 * the device agent's start-up check (the bundle, agent.json, and that both name one key).
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BUNDLE_FILES,
  createAgentConfig,
  createManifest,
  encodeAgentConfig,
  parseAgentConfig,
  readAgentConfig,
  verifyDeviceFolder,
} from '../../device-bundle/src/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../helpers/index.ts'
import { pinnedKey, rsaSpki, TEST_ARN, TEST_FETCHED_AT, writeTestDevice } from './_helpers.ts'

afterAll(cleanupTempDirs)

const manifest = createManifest(pinnedKey(), {
  fetchedAt: TEST_FETCHED_AT,
  source: { endpoint: null, region: 'eu-west-1' },
})

describe('agent.json: encode and parse', () => {
  it('has the documented bytes: fixed key order, two-space indent, final newline', () => {
    const text = encodeAgentConfig(createAgentConfig('dev-0001', 'sealwire', manifest))
    expect(text).toBe(
      [
        '{',
        '  "format": "sealwire-agent-provisioning",',
        '  "formatVersion": 1,',
        '  "deviceId": "dev-0001",',
        '  "topics": {',
        '    "data": "sealwire/dev-0001/data",',
        '    "key": "sealwire/dev-0001/key"',
        '  },',
        '  "key": {',
        `    "arn": "${TEST_ARN}",`,
        '    "keySpec": "RSA_2048",',
        '    "algorithm": "RSAES_OAEP_SHA_256",',
        `    "pinSha256": "${manifest.pinSha256}",`,
        `    "pinId": "${manifest.pinId}"`,
        '  },',
        '  "bundle": {',
        '    "publicKey": "public_key.der",',
        '    "manifest": "manifest.json"',
        '  }',
        '}',
        '',
      ].join('\n'),
    )
  })

  it('round-trips: parse(encode(c)) equals c and encodes to the same bytes', () => {
    for (const [id, prefix] of [
      ['dev-0001', 'sealwire'],
      ['A', 'acme/line7/a.b_c-d'],
      ['x'.repeat(128), 'p'.repeat(122)],
      ['gw_9.z', 'a/b/c/d/e/f'],
    ] as const) {
      const config = createAgentConfig(id, prefix, manifest)
      const text = encodeAgentConfig(config)
      const parsed = parseAgentConfig(text)
      expect(parsed).toEqual(config)
      expect(encodeAgentConfig(parsed)).toBe(text)
    }
  })

  it('refuses (RangeError) to build one for an invalid device id or prefix', () => {
    expect(() => createAgentConfig('-rf', 'sealwire', manifest)).toThrow(RangeError)
    expect(() => createAgentConfig('dev', 'a/#', manifest)).toThrow(RangeError)
  })

  const good = (): Record<string, any> =>
    JSON.parse(encodeAgentConfig(createAgentConfig('dev-1', 'sealwire', manifest)))
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['not JSON', () => '{', /^agent\.json: not valid JSON: /],
    ['an array', () => [], /^agent\.json: not a JSON object$/],
    ['an unknown field', () => ({ ...good(), broker: 'mqtt://x' }), /unknown field "broker"/],
    [
      'a missing field',
      () => {
        const { topics: _t, ...rest } = good()
        return rest
      },
      /missing field "topics"/,
    ],
    ['another format', () => ({ ...good(), format: 'x' }), /format is "x"/],
    ['version 2', () => ({ ...good(), formatVersion: 2 }), /formatVersion 2 is not supported/],
    ['a numeric device id', () => ({ ...good(), deviceId: 7 }), /deviceId 7 is not a string/],
    [
      'a device id beginning with "-"',
      () => ({
        ...good(),
        deviceId: '-rf',
        topics: { data: 'sealwire/-rf/data', key: 'sealwire/-rf/key' },
      }),
      /deviceId "-rf" cannot begin with "-" or "\."/,
    ],
    [
      'a device id with a slash',
      () => ({ ...good(), deviceId: 'a/b' }),
      /deviceId "a\/b" may contain only/,
    ],
    [
      'a data topic of another device',
      () => ({ ...good(), topics: { data: 'sealwire/dev-2/data', key: 'sealwire/dev-1/key' } }),
      /topics\.data "sealwire\/dev-2\/data" is not <prefix>\/dev-1\/data/,
    ],
    [
      'a data topic under a wildcard prefix',
      () => ({ ...good(), topics: { data: '#/dev-1/data', key: '#/dev-1/key' } }),
      /under a valid topic prefix/,
    ],
    [
      'a key topic under another prefix',
      () => ({ ...good(), topics: { data: 'sealwire/dev-1/data', key: 'other/dev-1/key' } }),
      /topics\.key "other\/dev-1\/key" is not "sealwire\/dev-1\/key"/,
    ],
    [
      'an unknown topic field',
      () => ({ ...good(), topics: { ...good().topics, status: 'x' } }),
      /topics: unknown field "status"/,
    ],
    ['a bad key ARN', () => ({ ...good(), key: { ...good().key, arn: 'x' } }), /key\.arn "x"/],
    [
      'an upper-case pin',
      () => ({ ...good(), key: { ...good().key, pinSha256: good().key.pinSha256.toUpperCase() } }),
      /key\.pinSha256 is not 64 lower-case hex digits/,
    ],
    [
      'a pin id off its pin',
      () => ({ ...good(), key: { ...good().key, pinId: '0'.repeat(16) } }),
      /key\.pinId is not the first 8 bytes/,
    ],
    [
      'another algorithm',
      () => ({ ...good(), key: { ...good().key, algorithm: 'RSAES_OAEP_SHA_1' } }),
      /key\.algorithm "RSAES_OAEP_SHA_1" is not RSAES_OAEP_SHA_256/,
    ],
    [
      'a bundle path outside the folder',
      () => ({ ...good(), bundle: { publicKey: '../../etc/key.der', manifest: 'manifest.json' } }),
      /bundle\.publicKey "\.\.\/\.\.\/etc\/key\.der", expected public_key\.der/,
    ],
  ]
  for (const [name, make, message] of cases) {
    it(`ERR_BUNDLE_CORRUPT for ${name}`, async () => {
      const value = make()
      const err = await caught(() =>
        parseAgentConfig(typeof value === 'string' ? value : JSON.stringify(value)),
      )
      expect(err.code).toBe('ERR_BUNDLE_CORRUPT')
      expect(err.message).toMatch(/^agent\.json: /)
      expect(err.message).toMatch(message)
    })
  }

  it('ERR_BUNDLE_CORRUPT for a key given twice (no "last one wins")', async () => {
    const text = encodeAgentConfig(createAgentConfig('dev-1', 'sealwire', manifest)).replace(
      '"deviceId": "dev-1",',
      '"deviceId": "dev-1",\n  "deviceId": "dev-2",',
    )
    expect(await caught(() => parseAgentConfig(text))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: 'agent.json: duplicate key "deviceId" at line 5, column 3',
    })
  })
})

describe('verifyDeviceFolder', () => {
  async function device(): Promise<{ dir: string; pin: string }> {
    const dir = join(await tempDir(), 'dev-0001')
    const { pin } = await writeTestDevice(dir, 'dev-0001', 'acme/line7')
    return { dir, pin }
  }

  it('returns the config and the verified bundle', async () => {
    const { dir, pin } = await device()
    const { config, bundle } = await verifyDeviceFolder(dir)
    expect(config.deviceId).toBe('dev-0001')
    expect(config.topics).toEqual({
      data: 'acme/line7/dev-0001/data',
      key: 'acme/line7/dev-0001/key',
    })
    expect(config.key.pinSha256).toBe(pin)
    expect(bundle.pinSha256).toBe(pin)
    expect(bundle.key.modulusBits).toBe(2048)
    expect(bundle.warnings).toEqual([])
    const read = await readAgentConfig(dir)
    expect(read.config).toEqual(config)
    expect(read.text).toBe(await readFile(join(dir, BUNDLE_FILES.agentConfig), 'utf8'))
  })

  it('ERR_BUNDLE_MISSING without agent.json', async () => {
    const { dir } = await device()
    await rm(join(dir, BUNDLE_FILES.agentConfig))
    expect(await caught(verifyDeviceFolder(dir))).toMatchObject({
      code: 'ERR_BUNDLE_MISSING',
      message: expect.stringMatching(/agent\.json" is missing$/),
    })
  })

  it('ERR_KEY_PIN_MISMATCH when agent.json pins another key than the bundle holds', async () => {
    const { dir, pin } = await device()
    const other = await tempDir()
    const { pin: otherPin } = await writeTestDevice(
      other,
      'dev-0001',
      'acme/line7',
      rsaSpki(2048, 65537, true),
    )
    // A whole bundle swapped for another consistent one: only agent.json's pin catches it.
    for (const name of [BUNDLE_FILES.publicKey, BUNDLE_FILES.manifest]) {
      await writeFile(join(dir, name), await readFile(join(other, name)))
    }
    expect(await caught(verifyDeviceFolder(dir))).toMatchObject({
      code: 'ERR_KEY_PIN_MISMATCH',
      message: expect.stringMatching(
        new RegExp(
          `agent\\.json in ".*" pins sha256:${pin}, but the bundle holds sha256:${otherPin}`,
        ),
      ),
    })
  })

  it('ERR_BUNDLE_CONFLICT when agent.json names another key ARN', async () => {
    const { dir } = await device()
    const path = join(dir, BUNDLE_FILES.agentConfig)
    const other = 'arn:aws:kms:eu-west-1:111122223333:key/other'
    await writeFile(path, (await readFile(path, 'utf8')).replace(TEST_ARN, other))
    expect(await caught(verifyDeviceFolder(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CONFLICT',
      message: expect.stringMatching(
        /names key "arn:aws:kms:.*key\/other", but the bundle records/,
      ),
    })
  })

  it('ERR_BUNDLE_CORRUPT when agent.json says another key spec', async () => {
    const { dir } = await device()
    const path = join(dir, BUNDLE_FILES.agentConfig)
    await writeFile(path, (await readFile(path, 'utf8')).replace('RSA_2048', 'RSA_4096'))
    expect(await caught(verifyDeviceFolder(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: expect.stringMatching(/says RSA_4096, but the bundle holds RSA_2048/),
    })
  })

  it('runs the bundle checks first: a swapped public key is ERR_KEY_PIN_MISMATCH', async () => {
    const { dir } = await device()
    await writeFile(join(dir, BUNDLE_FILES.publicKey), rsaSpki(2048, 65537, true))
    expect(await caught(verifyDeviceFolder(dir))).toMatchObject({
      code: 'ERR_KEY_PIN_MISMATCH',
      message: expect.stringMatching(/the public key was replaced$/),
    })
  })
})
