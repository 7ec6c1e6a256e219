import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, run, SEGMENT, startKms, tempDir } from './_helpers.ts'
import type { KmsFixture } from './_helpers.ts'

let kms: KmsFixture
let dir: string
let pub: string
const HEADER = 296

beforeAll(async () => {
  kms = await startKms()
})
afterAll(async () => {
  await kms.close()
  await cleanupTempDirs()
})
afterEach(async () => {
  // every test leaves no temporary file behind in its folder
  if (dir) expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([])
})

async function fresh(): Promise<void> {
  dir = await tempDir('sealwire-file-')
  pub = await kms.writePublicKey(dir)
}

/** A key's pin id as `open` shows it: the first 8 bytes of the SHA-256 of its SPKI DER, in hex. */
const pinOf = (spki: Uint8Array) => createHash('sha256').update(spki).digest('hex').slice(0, 16)
const openArgs = () => ['open', '--key-id', kms.keyArn, '--endpoint', kms.server.endpoint]

describe('sealwire-file seal / open / inspect through kms-local', () => {
  it.each([0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 11])(
    '%i bytes: seal, inspect, open → the same bytes, one Decrypt',
    async (n) => {
      await fresh()
      const data = randomBytes(n)
      await writeFile(join(dir, 'in.bin'), data)
      const sealed = await run([
        'seal',
        '--public-key',
        pub,
        join(dir, 'in.bin'),
        join(dir, 'f.sw'),
      ])
      expect(sealed.code, sealed.err).toBe(0)
      const segments = Math.max(1, Math.ceil(n / SEGMENT))
      expect((await stat(join(dir, 'f.sw'))).size).toBe(HEADER + n + 16 * segments)

      const inspected = await run(['inspect', '--json', join(dir, 'f.sw')])
      expect(inspected.code, inspected.err).toBe(0)
      expect(JSON.parse(inspected.text)).toMatchObject({
        format: 'sealwire/1 stream v1',
        segmentBytes: SEGMENT,
        segments,
        plaintextBytes: n,
        totalBytes: HEADER + n + 16 * segments,
        wrappedKeyBytes: 256,
      })

      const opened = await run([...openArgs(), join(dir, 'f.sw'), join(dir, 'out.bin')])
      expect(opened.code, opened.err).toBe(0)
      expect((await readFile(join(dir, 'out.bin'))).equals(data)).toBe(true)
      expect((await stat(join(dir, 'out.bin'))).mode & 0o777).toBe(0o600)
    },
  )

  it('stdin to stdout both ways, and the pin check', async () => {
    await fresh()
    const data = randomBytes(200_000)
    const { createHash } = await import('node:crypto')
    const pin = createHash('sha256').update(kms.spki).digest('hex')
    const sealed = await run(['seal', '--public-key', pub, '--expect-sha256', pin, '-', '-'], {
      stdin: data,
    })
    expect(sealed.code, sealed.err).toBe(0)
    expect(sealed.err).toBe('')
    const opened = await run([...openArgs(), '-', '-'], { stdin: sealed.out })
    expect(opened.code, opened.err).toBe(0)
    expect(opened.out.equals(data)).toBe(true)

    const wrongPin = await run(
      ['seal', '--public-key', pub, '--expect-sha256', 'ab'.repeat(32), '-', '-'],
      { stdin: data },
    )
    expect(wrongPin.code).toBe(4)
    expect(wrongPin.err).toMatch(
      /^error ERR_KEY_PIN_MISMATCH: the public key has pin sha256:[0-9a-f]{64}, expected sha256:(ab){32}\n$/,
    )
    const unpinned = await run(['seal', '--public-key', pub, '-', '-'], { stdin: data })
    expect(unpinned.err).toBe(
      'warning: --public-key without --expect-sha256: the key is not checked against a pin\n',
    )
  })

  it('a truncated file: open writes nothing, to a file or to stdout; OUT is not created', async () => {
    await fresh()
    const data = randomBytes(3 * SEGMENT + 5)
    await writeFile(join(dir, 'in.bin'), data)
    await run(['seal', '--public-key', pub, join(dir, 'in.bin'), join(dir, 'f.sw')])
    const full = await readFile(join(dir, 'f.sw'))
    await writeFile(join(dir, 'cut.sw'), full.subarray(0, HEADER + 3 * (SEGMENT + 16))) // final segment gone
    const toFile = await run([...openArgs(), join(dir, 'cut.sw'), join(dir, 'out.bin')])
    // The header's pin id is shown as soon as it parsed, before the check that fails.
    expect([toFile.code, toFile.err]).toEqual([
      6,
      `opening ${join(dir, 'cut.sw')}: pin id ${pinOf(kms.spki)}\n` +
        'error ERR_DECRYPTION_FAILED: decryption failed\n',
    ])
    await expect(stat(join(dir, 'out.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
    const toStdout = await run([...openArgs(), join(dir, 'cut.sw'), '-'])
    expect([toStdout.code, toStdout.out.length]).toEqual([6, 0])

    // from stdin, segments before the cut are written, and the run fails
    const piped = await run([...openArgs(), '-', '-'], {
      stdin: full.subarray(0, HEADER + 3 * (SEGMENT + 16)),
    })
    expect(piped.code).toBe(6)
    expect(piped.out.equals(data.subarray(0, 2 * SEGMENT))).toBe(true)
  })

  it('progress on stderr counts whole MiB of the file: a 17 MiB file seals and opens as 17/17 MiB', async () => {
    await fresh()
    const data = randomBytes(17 * 2 ** 20)
    await writeFile(join(dir, 'in.bin'), data)
    const sealed = await run(['seal', '--public-key', pub, join(dir, 'in.bin'), join(dir, 'f.sw')])
    expect(sealed.code, sealed.err).toBe(0)
    expect(sealed.err).toContain('progress: 17/17 MiB (100%)')
    // The sealed file is 17 MiB plus its header and tags: still 17, not 18.
    const opened = await run([...openArgs(), join(dir, 'f.sw'), join(dir, 'out.bin')])
    expect(opened.code, opened.err).toBe(0)
    expect(opened.err).toContain('progress: 17/17 MiB (100%)')
    expect(opened.err).not.toContain('/18 MiB')
    expect((await readFile(join(dir, 'out.bin'))).equals(data)).toBe(true)
  })

  it('a failed open leaves an existing OUT as it was', async () => {
    await fresh()
    await writeFile(join(dir, 'out.bin'), 'previous')
    await writeFile(join(dir, 'bad.sw'), Buffer.alloc(1000))
    const r = await run([...openArgs(), join(dir, 'bad.sw'), join(dir, 'out.bin')])
    expect([r.code, r.err]).toEqual([
      6,
      'error ERR_ENVELOPE_INVALID: sealwire/1: stream header: not a sealwire stream (bad magic)\n',
    ])
    expect(await readFile(join(dir, 'out.bin'), 'utf8')).toBe('previous')
  })

  it('an openssl enc file given to open: the bad-magic error names open-legacy; nothing written', async () => {
    await fresh()
    await writeFile(join(dir, 'f.enc'), Buffer.concat([Buffer.from('Salted__'), randomBytes(40)]))
    const r = await run([...openArgs(), join(dir, 'f.enc'), join(dir, 'out.bin')])
    expect([r.code, r.err]).toEqual([
      6,
      'error ERR_ENVELOPE_INVALID: sealwire/1: not a sealwire stream (bad magic): it starts with "Salted__", an openssl enc file; open it with `sealwire-file open-legacy`\n',
    ])
    await expect(stat(join(dir, 'out.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a file sealed to another key: the opaque error (KMS refuses it)', async () => {
    await fresh()
    const other = await kms.newKey()
    await writeFile(join(dir, 'other.der'), other.spki)
    await writeFile(join(dir, 'in.bin'), 'hello')
    await run([
      'seal',
      '--public-key',
      join(dir, 'other.der'),
      join(dir, 'in.bin'),
      join(dir, 'f.sw'),
    ])
    const r = await run([...openArgs(), join(dir, 'f.sw'), join(dir, 'out.bin')])
    // The pin id shown is the other key's: what tells a wrong key from a damaged file.
    expect([r.code, r.err]).toEqual([
      6,
      `opening ${join(dir, 'f.sw')}: pin id ${pinOf(other.spki)}\n` +
        'error ERR_DECRYPTION_FAILED: decryption failed\n',
    ])
  })

  it('an interrupted open removes its temporary file and says so', async () => {
    await fresh()
    await writeFile(join(dir, 'in.bin'), randomBytes(1 << 20))
    await run(['seal', '--public-key', pub, join(dir, 'in.bin'), join(dir, 'f.sw')])
    const stop = new AbortController()
    stop.abort()
    const r = await run([...openArgs(), join(dir, 'f.sw'), join(dir, 'out.bin')], {
      signal: stop.signal,
    })
    expect([r.code, r.err]).toEqual([
      130,
      'error ERR_INTERRUPTED: interrupted; no partial output was kept\n',
    ])
    await expect(stat(join(dir, 'out.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('inspect refuses a length no complete stream has; usage errors are exit 2', async () => {
    await fresh()
    await writeFile(join(dir, 'in.bin'), 'hello')
    await run(['seal', '--public-key', pub, join(dir, 'in.bin'), join(dir, 'f.sw')])
    const f = await readFile(join(dir, 'f.sw'))
    await writeFile(join(dir, 'cut.sw'), f.subarray(0, f.length - 20))
    const r = await run(['inspect', join(dir, 'cut.sw')])
    expect(r.code).toBe(6)
    expect(r.err).toMatch(
      /^error ERR_STREAM_LENGTH: .*cut\.sw: 297 bytes is not the length of a complete stream \(truncated or extended\)\n$/,
    )
    const ok = await run(['inspect', join(dir, 'f.sw')])
    expect(ok.text).toContain('pinId: ')
    expect(ok.text).toContain('plaintextBytes: 5\n')
    expect((await run(['seal', '-', '-'])).err).toBe(
      'error ERR_USAGE: give exactly one of --device DIR and --public-key FILE.der (see --help)\n',
    )
    expect((await run(['open', '-'])).code).toBe(2)
    expect((await run(['nope'])).err).toMatch(
      /^error ERR_USAGE: unknown command "nope"; commands: seal, open, inspect, put, get, open-legacy\n$/,
    )
    for (const c of ['seal', 'open', 'inspect', 'put', 'get', 'open-legacy']) {
      const h = await run([c, '--help'])
      expect([h.code, h.text.startsWith(`usage: sealwire-file ${c}`)]).toEqual([0, true])
    }
  })
})
