/**
 * Key bundles without KMS: writing (atomic, explicit modes), `verifyBundle` and its refusals,
 * `inspectBundle`, and the manifest format.
 */
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import {
  BUNDLE_FILES,
  checkPublicKeyResponse,
  createManifest,
  encodeManifest,
  FILE_MODES,
  inspectBundle,
  parseManifest,
  ProvisioningError,
  verifyBundle,
  writeFileAtomic,
} from '../../provisioning/src/index.ts'
import {
  cleanupTempDirs,
  hex,
  publicKeyResponse,
  rsaSpki,
  sha256Hex,
  tempDir,
  TEST_ARN,
  VECTORS,
  writeTestBundle,
} from './_helpers.ts'

afterAll(cleanupTempDirs)

const posix = process.platform !== 'win32'

async function failure(promise: Promise<unknown>): Promise<ProvisioningError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(ProvisioningError)
    return err as ProvisioningError
  }
  throw new Error('expected a ProvisioningError, nothing was thrown')
}

async function freshBundle(): Promise<{ dir: string; pin: string }> {
  const dir = join(await tempDir(), 'key')
  const { pin } = await writeTestBundle(dir)
  return { dir, pin }
}

function e3Spki(): Uint8Array {
  const data = JSON.parse(
    readFileSync(join(VECTORS, 'wycheproof', 'rsa_signature_2048_sha256_test.json'), 'utf8'),
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
    expect(manifest).toMatchObject({
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
})

describe('writeFileAtomic', () => {
  it('replaces a file in one step and keeps the mode explicit', async () => {
    const dir = await tempDir()
    const path = join(dir, 'f.json')
    await writeFileAtomic(path, 'one', 0o600)
    await writeFileAtomic(path, 'two', 0o644)
    expect(await readFile(path, 'utf8')).toBe('two')
    if (posix) expect((await stat(path)).mode & 0o777).toBe(0o644)
    expect(await readdir(dir)).toEqual(['f.json'])
  })

  it('fails with ERR_IO and cleans up when the folder does not exist', async () => {
    const dir = await tempDir()
    const err = await failure(writeFileAtomic(join(dir, 'missing', 'f'), 'x', 0o644))
    expect(err.code).toBe('ERR_IO')
    expect(err.message).toMatch(/cannot write .*ENOENT/)
    expect(await readdir(dir)).toEqual([])
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
    const err = await failure(verifyBundle(dir))
    expect(err.code).toBe('ERR_KEY_PIN_MISMATCH')
    expect(err.message).toBe(
      `public_key.der has pin sha256:${sha256Hex(other)} but manifest.json pins sha256:${pin}: ` +
        'the public key was replaced',
    )
  })

  it('ERR_KEY_PIN_MISMATCH when the expected pin differs', async () => {
    const { dir, pin } = await freshBundle()
    const wrong = 'ab'.repeat(32)
    const err = await failure(verifyBundle(dir, { expectSha256: wrong }))
    expect(err.code).toBe('ERR_KEY_PIN_MISMATCH')
    expect(err.message).toContain(`has pin sha256:${pin}, expected sha256:${wrong}`)
  })

  it('ERR_KEY_EXPONENT when public_key.der was replaced by a Wycheproof e = 3 key', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.publicKey), e3Spki())
    const err = await failure(verifyBundle(dir))
    expect(err).toMatchObject({
      code: 'ERR_KEY_EXPONENT',
      message: 'public_key.der: RSA public exponent 3; the profile requires 65537',
    })
  })

  it('ERR_KEY_SIZE when public_key.der was replaced by an RSA-1024 key', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.publicKey), rsaSpki(1024))
    const err = await failure(verifyBundle(dir))
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
      const err = await failure(verifyBundle(dir))
      expect(err.code).toBe('ERR_KEY_UNSUPPORTED')
      expect(err.message).toMatch(/^public_key\.der: not an RSA SubjectPublicKeyInfo/)
    }
  })

  it('ERR_BUNDLE_MISSING for a missing folder or file', async () => {
    const root = await tempDir()
    expect(await failure(verifyBundle(join(root, 'nope')))).toMatchObject({
      code: 'ERR_BUNDLE_MISSING',
      message: expect.stringMatching(/^no key bundle at /),
    })
    for (const name of [BUNDLE_FILES.publicKey, BUNDLE_FILES.manifest]) {
      const { dir } = await freshBundle()
      await rm(join(dir, name))
      const err = await failure(verifyBundle(dir))
      expect(err.code).toBe('ERR_BUNDLE_MISSING')
      expect(err.message).toContain(`${name}" is missing`)
    }
  })

  const manifestCases: Array<[string, (m: Record<string, unknown>) => unknown, RegExp]> = [
    ['not JSON', () => '{"format": ', /not valid JSON/],
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
    [
      'an upper-case pin',
      (m) => ({ ...m, pinSha256: String(m.pinSha256).toUpperCase() }),
      /64 lower-case hex/,
    ],
    ['a wrong pinId', (m) => ({ ...m, pinId: '00'.repeat(8) }), /pinId is not the first 8 bytes/],
    ['another key file', (m) => ({ ...m, publicKeyFile: '../x.der' }), /publicKeyFile/],
    ['a bad time', (m) => ({ ...m, fetchedAt: 'yesterday' }), /fetchedAt/],
    ['a bad source', (m) => ({ ...m, source: { endpoint: 5, region: 'x' } }), /source\.endpoint/],
  ]
  for (const [name, mutate, message] of manifestCases) {
    it(`ERR_BUNDLE_CORRUPT for a manifest with ${name}`, async () => {
      const { dir } = await freshBundle()
      const path = join(dir, BUNDLE_FILES.manifest)
      const changed = mutate(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>)
      await writeFile(path, typeof changed === 'string' ? changed : JSON.stringify(changed))
      const err = await failure(verifyBundle(dir))
      expect(err.code).toBe('ERR_BUNDLE_CORRUPT')
      expect(err.message).toMatch(message)
    })
  }

  it('ERR_BUNDLE_CORRUPT for an oversized manifest or a folder in place of a file', async () => {
    const { dir } = await freshBundle()
    await writeFile(join(dir, BUNDLE_FILES.manifest), ' '.repeat(70 * 1024))
    expect(await failure(verifyBundle(dir))).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: expect.stringMatching(/over the 65536-byte limit/),
    })
    const second = await freshBundle()
    await rm(join(second.dir, BUNDLE_FILES.publicKey))
    await mkdir(join(second.dir, BUNDLE_FILES.publicKey))
    expect((await failure(verifyBundle(second.dir))).code).toBe('ERR_BUNDLE_CORRUPT')
  })

  it('ERR_BUNDLE_CORRUPT when the manifest pins a 3072-bit key as RSA_2048', async () => {
    const dir = join(await tempDir(), 'key')
    const spki = rsaSpki(3072)
    await writeTestBundle(dir, spki, 'RSA_3072')
    const path = join(dir, BUNDLE_FILES.manifest)
    const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    await writeFile(path, JSON.stringify({ ...m, keySpec: 'RSA_2048', modulusBits: 2048 }))
    const err = await failure(verifyBundle(dir))
    expect(err).toMatchObject({
      code: 'ERR_BUNDLE_CORRUPT',
      message: expect.stringMatching(/3072-bit modulus/),
    })
  })

  it('ERR_USAGE for a malformed expected pin', async () => {
    const { dir } = await freshBundle()
    expect((await failure(verifyBundle(dir, { expectSha256: 'xyz' }))).code).toBe('ERR_USAGE')
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
})

describe('inspectBundle', () => {
  const spki = rsaSpki(2048)
  const want = {
    pinSha256: sha256Hex(spki),
    keyArn: TEST_ARN,
  }

  it('absent: no folder, or an empty one', async () => {
    const root = await tempDir()
    expect((await inspectBundle(join(root, 'x'), want)).kind).toBe('absent')
    expect((await inspectBundle(root, want)).kind).toBe('absent')
  })

  it('same: the bundle verifies with this pin and ARN', async () => {
    const { dir } = await freshBundle()
    expect((await inspectBundle(dir, want)).kind).toBe('same')
  })

  it('incomplete: only the public key of this pin (an interrupted write)', async () => {
    const { dir } = await freshBundle()
    await rm(join(dir, BUNDLE_FILES.manifest))
    expect(await inspectBundle(dir, want)).toMatchObject({
      kind: 'incomplete',
      detail: 'manifest.json missing',
    })
  })

  it('conflict (forceable): another pin or another ARN', async () => {
    const { dir } = await freshBundle()
    const other = { pinSha256: 'cd'.repeat(32), keyArn: TEST_ARN }
    const status = await inspectBundle(dir, other)
    expect(status).toMatchObject({
      kind: 'conflict',
      forceable: true,
      error: { code: 'ERR_BUNDLE_CONFLICT' },
    })
    const arn = await inspectBundle(dir, { ...want, keyArn: TEST_ARN.replace('0f1e', 'ffff') })
    expect(arn).toMatchObject({
      kind: 'conflict',
      error: { message: expect.stringMatching(/another key ARN/) },
    })
  })

  it('conflict (not forceable): a folder with foreign files, or a file', async () => {
    const root = await tempDir()
    await writeFile(join(root, 'notes.txt'), 'x')
    expect(await inspectBundle(root, want)).toMatchObject({ kind: 'conflict', forceable: false })
    expect(await inspectBundle(join(root, 'notes.txt'), want)).toMatchObject({
      kind: 'conflict',
      forceable: false,
    })
  })
})

describe('manifest', () => {
  it('encodes deterministically and parses back', () => {
    const checked = checkPublicKeyResponse(publicKeyResponse(rsaSpki(2048)))
    const info = {
      fetchedAt: new Date(0),
      source: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
    }
    const a = encodeManifest(createManifest(checked, info))
    expect(encodeManifest(createManifest(checked, info))).toBe(a)
    expect(a.endsWith('}\n')).toBe(true)
    expect(encodeManifest(parseManifest(a))).toBe(a)
  })
})
