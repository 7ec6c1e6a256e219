/**
 * The station's side of the bundle folders, without KMS: `inspectBundle` (what a folder already
 * holds against the key about to be pinned), bundle temporary names, and the exit-code table
 * covering every code the station can meet.
 */
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BUNDLE_FILES, BundleError, PinMismatchError } from '../../device-bundle/src/index.ts'
import { KeyRejectedError } from '../../envelope/src/index.ts'
import {
  CsvError,
  EXIT_CODES,
  exitCodeOf,
  inspectBundle,
  isBundleTempName,
} from '../../provisioning/src/index.ts'
import {
  cleanupTempDirs,
  rsaSpki,
  sha256Hex,
  tempDir,
  TEST_ARN,
  writeTestBundle,
} from './_helpers.ts'

afterAll(cleanupTempDirs)

async function freshBundle(): Promise<string> {
  const dir = join(await tempDir(), 'key')
  await writeTestBundle(dir)
  return dir
}

describe('inspectBundle', () => {
  const want = { pinSha256: sha256Hex(rsaSpki(2048)), keyArn: TEST_ARN }

  it('absent: no folder, or an empty one', async () => {
    const root = await tempDir()
    expect((await inspectBundle(join(root, 'x'), want)).kind).toBe('absent')
    expect((await inspectBundle(root, want)).kind).toBe('absent')
  })

  it('same: the bundle verifies with this pin and ARN (a bundle temp file is not foreign)', async () => {
    const dir = await freshBundle()
    await writeFile(join(dir, '.manifest.json.12.0123456789ab.tmp'), '{')
    expect((await inspectBundle(dir, want)).kind).toBe('same')
  })

  it('incomplete: only the public key of this pin, or only its manifest', async () => {
    const dir = await freshBundle()
    await rm(join(dir, BUNDLE_FILES.manifest))
    expect(await inspectBundle(dir, want)).toMatchObject({
      kind: 'incomplete',
      detail: 'manifest.json missing',
    })
    const other = await freshBundle()
    await rm(join(other, BUNDLE_FILES.publicKey))
    expect(await inspectBundle(other, want)).toMatchObject({
      kind: 'incomplete',
      detail: 'public_key.der missing',
    })
  })

  it('conflict (forceable): another pin or another ARN, or a damaged bundle', async () => {
    const dir = await freshBundle()
    expect(
      await inspectBundle(dir, { pinSha256: 'cd'.repeat(32), keyArn: TEST_ARN }),
    ).toMatchObject({ kind: 'conflict', forceable: true, error: { code: 'ERR_BUNDLE_CONFLICT' } })
    expect(
      await inspectBundle(dir, { ...want, keyArn: TEST_ARN.replace('0f1e', 'ffff') }),
    ).toMatchObject({
      kind: 'conflict',
      error: { message: expect.stringMatching(/another key ARN/) },
    })
    await writeFile(join(dir, BUNDLE_FILES.manifest), '{"a":1,"a":2}')
    expect(await inspectBundle(dir, want)).toMatchObject({
      kind: 'conflict',
      forceable: true,
      error: { code: 'ERR_BUNDLE_CORRUPT' },
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

describe('bundle temporary files', () => {
  it('are exactly platform writeFileAtomic temp names of the three bundle files', () => {
    for (const name of [
      '.public_key.der.1.0123456789ab.tmp',
      '.manifest.json.4242.a1b2c3d4e5f6.tmp',
      '.agent.json.99999.ffffffffffff.tmp',
    ]) {
      expect(isBundleTempName(name), name).toBe(true)
    }
    for (const name of [
      '.notes.tmp',
      '.manifest.json.tmp',
      '.manifest.json.x.0123456789ab.tmp',
      'manifest.json.1.0123456789ab.tmp',
      '.passwd.1.0123456789ab.tmp',
    ]) {
      expect(isBundleTempName(name), name).toBe(false)
    }
  })
})

describe('exit codes', () => {
  it('maps every code of every component the station meets to its README class', () => {
    const expected: Array<[readonly string[], number]> = [
      [['ERR_USAGE'], 2],
      [KeyRejectedError.codes, 3],
      [[PinMismatchError.code], 4],
      [BundleError.codes, 5],
      [[CsvError.code], 6],
      [['ERR_KMS_UNAVAILABLE'], 7],
      [['ERR_KMS_DENIED', 'ERR_KMS_REQUEST'], 8],
      [['ERR_IO'], 9],
    ]
    for (const [codes, exit] of expected) {
      expect(codes.length).toBeGreaterThan(0)
      for (const code of codes) expect(exitCodeOf(code), code).toBe(exit)
    }
    expect(KeyRejectedError.codes).toHaveLength(7)
    expect(exitCodeOf('ERR_JSON_INVALID')).toBeUndefined()
    expect(EXIT_CODES).toMatchObject({ ok: 0, internal: 1, usage: 2, io: 9 })
  })
})
