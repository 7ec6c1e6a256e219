/**
 * Regression tests of the defects found by trying to break `sealwire-provision` (issue 7): each
 * one runs the CLI as a station operator would, in-process against kms-local, and fails on the
 * code before its fix.
 */
import { execFileSync } from 'node:child_process'
import { constants, openSync, closeSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { Kms, Run } from './_helpers.ts'
import { cleanupTempDirs, runMain, tempDir } from './_helpers.ts'

const posix = process.platform !== 'win32'
let kms: Kms
let flags: string[]

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  flags = ['--endpoint', kms.endpoint, '--region', kms.region]
  const created = await runMain(['create-key', '--alias', 'fleet', ...flags])
  expect(created.code, created.err).toBe(0)
})

afterAll(async () => {
  await kms?.close()
  await cleanupTempDirs()
})

/** Exactly one stderr line `error CODE: …` and the class's exit code. */
function expectFailure(r: Run, code: string, exit: number, message: RegExp): void {
  expect(r.err, r.err).toMatch(new RegExp(`^error ${code}: `))
  expect(r.err.trimEnd().split('\n'), 'one line').toHaveLength(1)
  expect(r.err.trimEnd()).toMatch(message)
  expect(r.code).toBe(exit)
}

/**
 * Runs the CLI, or reports that it hung on `fifo` (then opens the FIFO's write end, so the
 * blocked `open()` of the old code returns and the test process can end).
 */
async function runWithFifo(args: string[], fifo: string): Promise<Run | 'hung'> {
  const run = runMain(args)
  const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000))
  const result = await Promise.race([run, timeout])
  if (result === 'hung') {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
    await run.catch(() => undefined)
  }
  return result
}

async function csvOf(dir: string, ids: string[]): Promise<string> {
  const path = join(dir, 'devices.csv')
  await writeFile(path, `device_id\n${ids.join('\n')}\n`)
  return path
}

describe('a FIFO where a file belongs fails at once, never hangs the station', () => {
  it.runIf(posix)('as the devices CSV: ERR_CSV_INVALID, exit 6', async () => {
    const root = await tempDir()
    const fifo = join(root, 'devices.csv')
    execFileSync('mkfifo', [fifo])
    const r = await runWithFifo(
      ['batch', '--devices', fifo, '--key-id', 'alias/fleet', '--out', join(root, 'out'), ...flags],
      fifo,
    )
    expect(r, 'the station hung on the FIFO').not.toBe('hung')
    expectFailure(r as Run, 'ERR_CSV_INVALID', 6, /devices\.csv" is not a regular file$/)
  })

  it.runIf(posix)('as a bundle file: ERR_BUNDLE_CORRUPT, exit 5', async () => {
    const out = join(await tempDir(), 'key')
    expect((await runMain(['fetch', '--key-id', 'alias/fleet', '--out', out, ...flags])).code).toBe(
      0,
    )
    const fifo = join(out, 'manifest.json')
    await writeFile(join(out, 'saved'), '')
    execFileSync('rm', [fifo])
    execFileSync('mkfifo', [fifo])
    const r = await runWithFifo(['verify', out], fifo)
    expect(r, 'the station hung on the FIFO').not.toBe('hung')
    expectFailure(r as Run, 'ERR_BUNDLE_CORRUPT', 5, /manifest\.json" is not a regular file$/)
  })
})

describe('a flag given twice is refused, not "the last one wins"', () => {
  it('--key-id x --key-id y → ERR_USAGE, exit 2, before any KMS call', async () => {
    const before = kms.callCount()
    const r = await runMain([
      'fetch',
      '--key-id',
      'alias/fleet',
      '--key-id',
      'alias/other',
      '--out',
      join(await tempDir(), 'k'),
      ...flags,
    ])
    expectFailure(r, 'ERR_USAGE', 2, /--key-id given more than once/)
    expect(kms.callCount()).toBe(before)
  })

  it('a global flag twice too (--region a --region b)', async () => {
    const r = await runMain(['verify', 'x', '--region', 'a', '--region', 'b'])
    expectFailure(r, 'ERR_USAGE', 2, /--region given more than once/)
  })
})

describe('a password in --endpoint is never stored or printed', () => {
  const withPassword = (endpoint: string): string =>
    endpoint.replace('http://', 'http://station:s3cret@')

  it('fetch and batch record the endpoint without userinfo, and say the password is ignored', async () => {
    const root = await tempDir()
    const endpoint = withPassword(kms.endpoint)
    const fetched = await runMain([
      'fetch',
      '--key-id',
      'alias/fleet',
      '--out',
      join(root, 'key'),
      '--endpoint',
      endpoint,
      '--region',
      kms.region,
    ])
    expect(fetched.code, fetched.err).toBe(0)
    expect(fetched.err).toMatch(
      /^warning: --endpoint: the user name and password .* never stored\n$/,
    )
    const batch = await runMain([
      'batch',
      '--devices',
      await csvOf(root, ['dev-1']),
      '--key-id',
      'alias/fleet',
      '--out',
      join(root, 'out'),
      '--endpoint',
      endpoint,
      '--region',
      kms.region,
    ])
    expect(batch.code, batch.err).toBe(0)
    for (const dir of [join(root, 'key'), join(root, 'out', 'dev-1')]) {
      const text = await readFile(join(dir, 'manifest.json'), 'utf8')
      expect(text).not.toMatch(/s3cret|station@/)
      expect(JSON.parse(text).source.endpoint.replace(/\/$/, '')).toBe(kms.endpoint)
    }
    expect(fetched.out + batch.out).not.toMatch(/s3cret/)
  })

  it('an error line names the endpoint without the password', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const r = await runMain([
      'fetch',
      '--key-id',
      'alias/fleet',
      '--out',
      join(await tempDir(), 'k'),
      '--endpoint',
      `http://station:s3cret@127.0.0.1:${port}`,
      '--region',
      'us-east-1',
      '--max-retries',
      '0',
    ])
    expect(r.code).toBe(7)
    expect(r.err).not.toMatch(/s3cret|station/)
    expect(r.err).toMatch(
      new RegExp(
        `^error ERR_KMS_UNAVAILABLE: KMS DescribeKey at http://127\\.0\\.0\\.1:${port}`,
        'm',
      ),
    )
  })
})

describe('verify: a manifest naming a key twice is refused', () => {
  it('a second "keyArn" (JSON.parse keeps the last) → ERR_BUNDLE_CORRUPT, exit 5', async () => {
    const out = join(await tempDir(), 'key')
    expect((await runMain(['fetch', '--key-id', 'alias/fleet', '--out', out, ...flags])).code).toBe(
      0,
    )
    const path = join(out, 'manifest.json')
    const text = await readFile(path, 'utf8')
    const other = 'arn:aws:kms:us-east-1:999999999999:key/evil'
    await writeFile(path, text.replace(/("keyArn": "[^"]*",)/, `$1\n  "keyArn": "${other}",`))
    expectFailure(
      await runMain(['verify', out]),
      'ERR_BUNDLE_CORRUPT',
      5,
      /manifest\.json: duplicate key "keyArn" at line 5, column 3$/,
    )
  })
})

describe('verify binds what the README says: the pin binds the key bytes, --expect-key-arn the ARN', () => {
  it('an edited keyArn passes --expect-sha256 (not bound by the pin) and fails --expect-key-arn', async () => {
    const out = join(await tempDir(), 'key')
    const fetched = await runMain(['fetch', '--key-id', 'alias/fleet', '--out', out, ...flags])
    const arn = /^keyArn: (\S+)$/m.exec(fetched.out)![1]!
    const pin = /^pinSha256: (\S+)$/m.exec(fetched.out)![1]!
    expect((await runMain(['verify', out, '--expect-key-arn', arn])).code).toBe(0)
    const path = join(out, 'manifest.json')
    const other = 'arn:aws:kms:us-east-1:999999999999:key/other'
    await writeFile(path, (await readFile(path, 'utf8')).replace(arn, other))
    const pinned = await runMain(['verify', out, '--expect-sha256', pin])
    expect(pinned.code).toBe(0)
    expect(pinned.out).toContain(`keyArn: ${other}`)
    expectFailure(
      await runMain(['verify', out, '--expect-sha256', pin, '--expect-key-arn', arn]),
      'ERR_BUNDLE_CONFLICT',
      5,
      new RegExp(`records key "${other}", expected "${arn}"$`),
    )
    expectFailure(
      await runMain(['verify', out, '--expect-key-arn', 'alias/fleet']),
      'ERR_USAGE',
      2,
      /--expect-key-arn "alias\/fleet" is not a KMS key ARN/,
    )
  })
})

describe('device ids beginning with "-" or "." are refused', () => {
  for (const id of ['-rf', '.hidden', '..']) {
    it(`${JSON.stringify(id)} → ERR_CSV_INVALID naming the line, exit 6, nothing written`, async () => {
      const root = await tempDir()
      const r = await runMain([
        'batch',
        '--devices',
        await csvOf(root, ['dev-1', id]),
        '--key-id',
        'alias/fleet',
        '--out',
        join(root, 'out'),
        ...flags,
      ])
      expectFailure(
        r,
        'ERR_CSV_INVALID',
        6,
        /^error ERR_CSV_INVALID: devices CSV line 3: device_id/,
      )
      await expect(stat(join(root, 'out'))).rejects.toMatchObject({ code: 'ENOENT' })
    })
  }
})

describe('temporary files of an interrupted batch do not ship', () => {
  it('a rerun removes them from the device folders; verify warns about any it finds', async () => {
    const root = await tempDir()
    const csv = await csvOf(root, ['dev-1', 'dev-2'])
    const args = [
      'batch',
      '--devices',
      csv,
      '--key-id',
      'alias/fleet',
      '--out',
      join(root, 'out'),
      ...flags,
    ]
    expect((await runMain(args)).code).toBe(0)
    // What a batch killed between a temp write and its rename leaves.
    const stray = '.agent.json.4242.a1b2c3d4e5f6.tmp'
    const dev1 = join(root, 'out', 'dev-1')
    await writeFile(join(dev1, stray), '{"partial')
    const warned = await runMain(['verify', dev1])
    expect(warned.code).toBe(0)
    expect(warned.err).toMatch(
      /^warning: .*\.agent\.json\.4242\.a1b2c3d4e5f6\.tmp is a temporary file an interrupted write left/,
    )
    const rerun = await runMain(args)
    expect(rerun.code, rerun.err).toBe(0)
    expect(rerun.out).toMatch(/created 0, updated 1, skipped 1, refused 0/)
    expect((await readdir(dev1)).sort()).toEqual(['agent.json', 'manifest.json', 'public_key.der'])
    expect((await runMain(['verify', dev1])).err).toBe('')
  })

  it('a file that only looks like a temp file is foreign: the folder is refused, untouched', async () => {
    const root = await tempDir()
    const out = join(root, 'key')
    await mkdir(out)
    await writeFile(join(out, '.notes.tmp'), 'mine')
    const r = await runMain(['fetch', '--key-id', 'alias/fleet', '--out', out, ...flags])
    expectFailure(r, 'ERR_BUNDLE_CONFLICT', 5, /not part of a key bundle \("\.notes\.tmp"\)/)
    expect(await readdir(out)).toEqual(['.notes.tmp'])
  })
})

describe('an output folder another user can write gets a warning', () => {
  it.runIf(posix)('batch: one warning line on stderr, exit 0', async () => {
    const root = await tempDir()
    const out = join(root, 'out')
    await mkdir(out)
    await chmod(out, 0o777)
    const r = await runMain([
      'batch',
      '--devices',
      await csvOf(root, ['dev-1']),
      '--key-id',
      'alias/fleet',
      '--out',
      out,
      ...flags,
    ])
    expect(r.code, r.err).toBe(0)
    const warnings = r.err.split('\n').filter((l) => l.startsWith('warning: '))
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: ".*out" is writable by group or others \(mode 777\)/),
    ])
  })

  it.runIf(posix)(
    'fetch: the folder holding the bundle; a sticky one (like /tmp) is fine',
    async () => {
      const root = await tempDir()
      const parent = join(root, 'shared')
      await mkdir(parent)
      await chmod(parent, 0o775)
      const r = await runMain([
        'fetch',
        '--key-id',
        'alias/fleet',
        '--out',
        join(parent, 'key'),
        ...flags,
      ])
      expect(r.code, r.err).toBe(0)
      expect(r.err).toMatch(/^warning: ".*shared" is writable by group or others \(mode 775\)/)
      await chmod(parent, 0o1777)
      const again = await runMain([
        'fetch',
        '--key-id',
        'alias/fleet',
        '--out',
        join(parent, 'k2'),
        ...flags,
      ])
      expect(again.err).toBe('')
    },
  )
})

describe('every failure is one line, error CODE: message, with a stack only on request', () => {
  it('no stack by default; SEALWIRE_DEBUG=1 adds it after the line', async () => {
    const dir = join(await tempDir(), 'none')
    const plain = await runMain(['verify', dir])
    expect(plain.err).toMatch(/^error ERR_BUNDLE_MISSING: no key bundle at ".*none"\n$/)
    expect(plain.code).toBe(5)
    const debug = await runMain(['verify', dir], { SEALWIRE_DEBUG: '1' })
    expect(debug.code).toBe(5)
    const lines = debug.err.split('\n')
    expect(lines[0]).toBe(plain.err.trimEnd())
    expect(lines.slice(1).join('\n')).toMatch(/^BundleError: no key bundle at [\s\S]*\n\s+at /)
  })
})
