/**
 * Key bundles without KMS: writing (atomic, explicit modes), `verifyBundle` and each of its
 * refusals, what it binds (pin, key ARN), its warnings, and the manifest format.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BUNDLE_FILES,
  createManifest,
  encodeManifest,
  FILE_MODES,
  parseManifest,
  verifyBundle,
  writeBundle,
} from '../../device-bundle/src/index.ts'
import { caught, cleanupTempDirs, hex, tempDir, vectorsDir } from '../helpers/index.ts'
import {
  pinnedKey,
  rsaSpki,
  sha256Hex,
  TEST_ARN,
  TEST_FETCHED_AT,
  writeTestBundle,
} from './_helpers.ts'

afterAll(cleanupTempDirs)

const posix = process.platform !== 'win32'

async function freshBundle(): Promise<{ dir: string; pin: string }> {
  const dir = join(await tempDir(), 'key')
  const { pin } = await writeTestBundle(dir)
  return { dir, pin }
}

function e3Spki(): Uint8Array {
  const data = JSON.parse(
    readFileSync(join(vectorsDir, 'wycheproof', 'rsa_signature_2048_sha256_test.json'), 'utf8'),
  ) as { testGroups: Array<{ publicKeyDer: string; publicKey: { publicExponent: string } }> }
  const group = data.testGroups.find((g) => g.publicKey.publicExponent === '03')!
  return hex(group.publicKeyDer)
}

describe('writeBundle', () => {
  it.runIf(posix)('creates the folder 0700 and the files 0644, whatever the umask', async () => {
    for (const umask of [0o000, 0o077, 0o022]) {
      const previous = process.umask(umask)
      try {
        const { dir } = await freshBundle()
        expect((await stat(dir)).mode & 0o777).toBe(FILE_MODES.keyDir)
        expect((await stat(join(dir, BUNDLE_FILES.publicKey))).mode & 0o777).toBe(
          FILE_MODES.publicKey,
        )
        expect((await stat(join(dir, BUNDLE_FILES.manifest))).mode & 0o777).toBe(
          FILE_MODES.manifest,
        )
      } finally {
        process.umask(previous)
      }
    }
  })

  it('writes the SPKI byte for byte and a manifest that pins it', async () => {
    const spki = rsaSpki(2048)
    const { dir, pin } = await freshBundle()
    const onDisk = new Uint8Array(await readFile(join(dir, BUNDLE_FILES.publicKey)))
    expect(Buffer.from(onDisk).equals(Buffer.from(spki))).toBe(true)
    const manifest = parseManifest(await readFile(join(dir, BUNDLE_FILES.manifest), 'utf8'))
    expect(manifest).toEqual({
      format: 'sealwire-key-bundle',
      formatVersion: 1,
      keyArn: TEST_ARN,
      keySpec: 'RSA_2048',
      algorithm: 'RSAES_OAEP_SHA_256',
      modulusBits: 2048,
      pinSha256: sha256Hex(spki),
      pinId: sha256Hex(spki).slice(0, 16),
      publicKeyFile: 'public_key.der',
      fetchedAt: '2026-01-02T03:04:05.000Z',
      source: { endpoint: null, region: 'eu-west-1' },
    })
    expect(pin).toBe(sha256Hex(spki))
  })

  it('leaves no temporary files behind', async () => {
    const { dir } = await freshBundle()
    expect((await readdir(dir)).sort()).toEqual([BUNDLE_FILES.manifest, BUNDLE_FILES.publicKey])
  })

  it('refuses (RangeError) a manifest that does not pin the key, writing nothing', async () => {
    const dir = join(await tempDir(), 'key')
    const manifest = createManifest(pinnedKey(), {
      fetchedAt: TEST_FETCHED_AT,
      source: { endpoint: null, region: 'eu-west-1' },
    })
    const err = await caught(writeBundle(dir, rsaSpki(2048, 65537, true), manifest))
    expect(err).toBeInstanceOf(RangeError)
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('verifyBundle', () => {
  it('accepts a bundle the station wrote, with its pin and no warnings', async () => {
    const { dir, pin } = await freshBundle()
    const bundle = await verifyBundle(dir)
    expect(bundle.pinSha256).toBe(pin)
    expect(bundle.pinId).toBe(pin.slice(0, 16))
    expect(bundle.key.modulusBits).toBe(2048)
    expect(bundle.manifest.keyArn).toBe(TEST_ARN)
    expect(bundle.warnings).toEqual([])
    await expect(verifyBundle(dir, { expectSha256: pin.toUpperCase() })).resolves.toMatchObject({
      pinSha256: pin,
    })
  })

  it('ERR_KEY_PIN_MISMATCH when public_key.der was replaced by another valid RSA key', async () => {
    const { dir, pin } = await freshBundle()
    const other = rsaSpki(2048, 65537, true)
    await writeFile(join(dir, BUNDLE_FILES.publicKey), other)
    const err = await caught(verifyBundle(dir))
    expect(err.code).toBe('ERR_KEY_PIN_MISMATCH')
    expect(err.message).toBe(
      `public_key.der has pin sha256:${sha256Hex(other)} but manifest.json pins sha256:${pin}: ` +
        'the public key was replaced',
    )
  })

  it('ERR_KEY_PIN_MISMATCH when the expected pin differs', async () => {
    const { dir, pin } = await freshBundle()
    const wrong = 'ab'.repeat(32)
    const err = await caught(verifyBundle(dir, { expectSha256: wrong }))
    expect(err.code).toBe('ERR_KEY_PIN_MISMATCH')
    expect(err.message).toContain(`has pin sha256:${pin}, expected sha256:${wrong}`)
  })

  it('ERR_KEY_EXPONENT when public_key.der was replaced by a Wycheproof e = 3 key', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.publicKey), e3Spki())
    expect(await caught(verifyBundle(dir))).toMatchObject({
      code: 'ERR_KEY_EXPONENT',
      message: 'public_key.der: RSA public exponent 3; the profile requires 65537',
    })
  })

  it('ERR_KEY_SIZE when public_key.der was replaced by an RSA-1024 key', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.publicKey), rsaSpki(1024))
    const err = await caught(verifyBundle(dir))
    expect(err.code).toBe('ERR_KEY_SIZE')
    expect(err.message).toMatch(/^public_key\.der: RSA modulus of 1024 bits/)
  })

  it('ERR_KEY_UNSUPPORTED for truncated or corrupt DER', async () => {
    const spki = rsaSpki(2048)
    for (const bad of [
      spki.slice(0, 200),
      spki.slice(0, 2),
      Uint8Array.from(spki, (b, i) => (i === 0 ? 0x31 : b)),
    ]) {
      const { dir } = await freshBundle()
      await writeFile(join(dir, BUNDLE_FILES.publicKey), bad)
      const err = await caught(verifyBundle(dir))
      expect(err.code).toBe('ERR_KEY_UNSUPPORTED')
      expect(err.message).toMatch(/^public_key\.der: not an RSA SubjectPublicKeyInfo/)
    }
  })

  it('ERR_BUNDLE_MISSING for a missing folder or file', async () => {
    const root = await tempDir()
    expect(await caught(verifyBundle(join(root, 'nope')))).toMatchObject({
      code: 'ERR_BUNDLE_MISSING',
      message: expect.stringMatching(/^no key bundle at /),
    })
    for (const name of [BUNDLE_FILES.publicKey, BUNDLE_FILES.manifest]) {
      const { dir } = await freshBundle()
      await rm(join(dir, name))
      const err = await caught(verifyBundle(dir))
      expect(err.code).toBe('ERR_BUNDLE_MISSING')
      expect(err.message).toContain(`${name}" is missing`)
    }
  })

  const manifestCases: Array<[string, (m: Record<string, unknown>) => unknown, RegExp]> = [
    ['not JSON', () => '{"format": ', /^manifest\.json: not valid JSON: /],
    [
      'a comment',
      () => '// pinned\n{}',
      /^manifest\.json: not valid JSON: .*Comment.* at line 1, column 1$/,
    ],
    ['an array', () => [], /not a JSON object/],
    ['an unknown field', (m) => ({ ...m, extra: 1 }), /unknown field "extra"/],
    ['a missing field', ({ pinId: _pinId, ...m }) => m, /missing field "pinId"/],
    ['another format', (m) => ({ ...m, format: 'x' }), /format is "x"/],
    ['version 2', (m) => ({ ...m, formatVersion: 2 }), /formatVersion 2 is not supported/],
    ['a bad ARN', (m) => ({ ...m, keyArn: 'arn:aws:s3:::bucket' }), /not a KMS key ARN/],
    ['a symmetric spec', (m) => ({ ...m, keySpec: 'SYMMETRIC_DEFAULT' }), /not an RSA key spec/],
    [
      'another algorithm',
      (m) => ({ ...m, algorithm: 'RSAES_OAEP_SHA_1' }),
      /algorithm "RSAES_OAEP_SHA_1"/,
    ],
    ['modulusBits off the spec', (m) => ({ ...m, modulusBits: 3072 }), /does not match keySpec/],
    ['modulusBits not a number', (m) => ({ ...m, modulusBits: '2048' }), /modulusBits "2048"/],
    [
      'an upper-case pin',
      (m) => ({ ...m, pinSha256: String(m.pinSha256).toUpperCase() }),
      /64 lower-case hex/,
    ],
    ['a wrong pinId', (m) => ({ ...m, pinId: '00'.repeat(8) }), /pinId is not the first 8 bytes/],
    ['another key file', (m) => ({ ...m, publicKeyFile: '../x.der' }), /publicKeyFile/],
    ['a bad time', (m) => ({ ...m, fetchedAt: 'yesterday' }), /fetchedAt/],
    ['an impossible time', (m) => ({ ...m, fetchedAt: '2026-13-45T00:00:00Z' }), /valid time/],
    ['a bad source', (m) => ({ ...m, source: { endpoint: 5, region: 'x' } }), /source\.endpoint/],
    [
      'an unknown source field',
      (m) => ({ ...m, source: { endpoint: null, region: 'x', user: 'y' } }),
      /source: unknown field "user"/,
    ],
  ]
  for (const [name, mutate, message] of manifestCases) {
    it(`ERR_BUNDLE_CORRUPT for a manifest with ${name}`, async () => {
      const { dir } = await freshBundle()
      const path = join(dir, BUNDLE_FILES.manifest)
      const changed = mutate(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>)
      await writeFile(path, typeof changed === 'string' ? changed : JSON.stringify(changed))
      const err = await caught(verifyBundle(dir))
      expect(err.code).toBe('ERR_BUNDLE_CORRUPT')
      expect(err.message).toMatch(message)
    })
  }

  it('ERR_BUNDLE_CORRUPT for a manifest that names a key twice (no "last one wins")', async () => {
    const { dir } = await freshBundle()
    const path = join(dir, BUNDLE_FILES.manifest)
    const text = await readFile(path, 'utf8')
    const other = 'arn:aws:kms:eu-west-1:999999999999:key/evil'
    // A second keyArn after the first: JSON.parse would silently read the second one.
    await writeFile(path, text.replace(/("keyArn": "[^"]*",)/, `$1\n  "keyArn": "${other}",`))
    expect(JSON.parse(await readFile(path, 'utf8')).keyArn).toBe(other)
    expect(await caught(verifyBundle(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: 'manifest.json: duplicate key "keyArn" at line 5, column 3',
    })
  })

  it('ERR_BUNDLE_CORRUPT for a manifest that is not UTF-8', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.manifest), Uint8Array.of(0x7b, 0xff, 0x7d))
    expect(await caught(verifyBundle(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: 'manifest.json: not UTF-8',
    })
  })

  it('ERR_BUNDLE_CORRUPT for an oversized manifest or a folder in place of a file', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.manifest), ' '.repeat(70 * 1024))
    expect(await caught(verifyBundle(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: expect.stringMatching(/over the 65536-byte limit/),
    })
    const second = await freshBundle()
    await rm(join(second.dir, BUNDLE_FILES.publicKey))
    await mkdir(join(second.dir, BUNDLE_FILES.publicKey))
    expect((await caught(verifyBundle(second.dir))).code).toBe('ERR_BUNDLE_CORRUPT')
  })

  it.runIf(posix)(
    'refuses a FIFO in place of a bundle file at once (never waits on it)',
    async () => {
      for (const name of [BUNDLE_FILES.manifest, BUNDLE_FILES.publicKey]) {
        const { dir } = await freshBundle()
        await rm(join(dir, name))
        execFileSync('mkfifo', [join(dir, name)])
        const started = performance.now()
        const err = await caught(verifyBundle(dir))
        expect(performance.now() - started).toBeLessThan(2_000)
        expect(err).toMatchObject({
          code: 'ERR_BUNDLE_CORRUPT',
          message: expect.stringMatching(new RegExp(`${name}" is not a regular file$`)),
        })
      }
    },
  )

  it('ERR_BUNDLE_CORRUPT when the manifest pins a 3072-bit key as RSA_2048', async () => {
    const dir = join(await tempDir(), 'key')
    await writeTestBundle(dir, rsaSpki(3072), 'RSA_3072')
    const path = join(dir, BUNDLE_FILES.manifest)
    const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    await writeFile(path, JSON.stringify({ ...m, keySpec: 'RSA_2048', modulusBits: 2048 }))
    expect(await caught(verifyBundle(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: expect.stringMatching(/3072-bit modulus/),
    })
  })

  it('ERR_USAGE for a malformed expected pin or key ARN', async () => {
    const { dir } = await freshBundle()
    expect((await caught(verifyBundle(dir, { expectSha256: 'xyz' }))).code).toBe('ERR_USAGE')
    expect((await caught(verifyBundle(dir, { expectKeyArn: 'alias/x' }))).code).toBe('ERR_USAGE')
  })

  it.runIf(posix)('warns about group- or world-writable files', async () => {
    const { dir } = await freshBundle()
    await chmod(join(dir, BUNDLE_FILES.publicKey), 0o666)
    const bundle = await verifyBundle(dir)
    expect(bundle.warnings).toHaveLength(1)
    expect(bundle.warnings[0]).toMatch(
      /public_key\.der is writable by group or others \(mode 666\)/,
    )
  })

  it('warns about temporary files an interrupted write left', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, '.manifest.json.4242.a1b2c3d4e5f6.tmp'), '{')
    const bundle = await verifyBundle(dir)
    expect(bundle.warnings).toEqual([
      expect.stringMatching(
        /\.manifest\.json\.4242\.a1b2c3d4e5f6\.tmp is a temporary file an interrupted write left/,
      ),
    ])
  })
})

describe('verifyBundle: what it binds', () => {
  it('the pin binds the key bytes; keyArn is a record, bound only by expectKeyArn', async () => {
    const { dir, pin } = await freshBundle()
    const path = join(dir, BUNDLE_FILES.manifest)
    const other = 'arn:aws:kms:eu-west-1:999999999999:key/other'
    const text = (await readFile(path, 'utf8')).replace(TEST_ARN, other)
    await writeFile(path, text)
    // Editing the ARN is not caught by the pin, expected or not: the pin binds bytes, not names.
    const edited = await verifyBundle(dir, { expectSha256: pin })
    expect(edited.manifest.keyArn).toBe(other)
    expect(await caught(verifyBundle(dir, { expectSha256: pin, expectKeyArn: TEST_ARN }))).toEqual(
      expect.objectContaining({
        code: 'ERR_BUNDLE_CONFLICT',
        message: expect.stringMatching(
          new RegExp(`records key "${other}", expected "${TEST_ARN}"$`),
        ),
      }),
    )
    await writeFile(path, text.replace(other, TEST_ARN))
    await expect(verifyBundle(dir, { expectKeyArn: TEST_ARN })).resolves.toBeDefined()
  })
})

describe('manifest', () => {
  const info = {
    fetchedAt: new Date(0),
    source: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
  }

  it('encodes deterministically and parses back', () => {
    const a = encodeManifest(createManifest(pinnedKey(), info))
    expect(encodeManifest(createManifest(pinnedKey(), info))).toBe(a)
    expect(a.endsWith('}\n')).toBe(true)
    expect(encodeManifest(parseManifest(a))).toBe(a)
  })

  it('never records a user name or password of the endpoint', () => {
    const m = createManifest(pinnedKey(), {
      ...info,
      source: { endpoint: 'http://station:s3cret@127.0.0.1:4599/', region: 'us-east-1' },
    })
    expect(m.source.endpoint).toBe('http://127.0.0.1:4599/')
    expect(encodeManifest(m)).not.toMatch(/s3cret|station/)
  })

  it('warns when a manifest written before this rule records a password', async () => {
    const { dir } = await freshBundle()
    const path = join(dir, BUNDLE_FILES.manifest)
    const m = JSON.parse(await readFile(path, 'utf8'))
    m.source.endpoint = 'http://u:p@127.0.0.1:4599'
    await writeFile(path, JSON.stringify(m))
    const bundle = await verifyBundle(dir)
    expect(bundle.warnings).toEqual([
      expect.stringMatching(/records a KMS endpoint with a user name or password/),
    ])
    expect(bundle.warnings.join('\n')).not.toContain('u:p')
  })

  it('refuses (RangeError) an inconsistent key: bad ARN, modulus off its spec', () => {
    expect(() => createManifest(pinnedKey(rsaSpki(2048), 'RSA_2048', 'alias/x'), info)).toThrow(
      RangeError,
    )
    expect(() => createManifest(pinnedKey(rsaSpki(2048), 'RSA_3072'), info)).toThrow(RangeError)
  })
})
