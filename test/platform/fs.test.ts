/**
 * The one atomic write (async and sync: same policy) and the bounded, non-blocking read.
 */
import { execFileSync } from 'node:child_process'
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  assertRegularFile,
  ensureDir,
  isTempName,
  pathExists,
  readFileBounded,
  readFileBoundedSync,
  removeStaleTemps,
  removeTempsOf,
  tempTargetOf,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../platform/src/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../helpers/index.ts'

afterEach(cleanupTempDirs)

const writers = {
  async: writeFileAtomic,
  sync: async (p: string, d: Uint8Array | string, m: number) => writeFileAtomicSync(p, d, m),
}

for (const [kind, write] of Object.entries(writers)) {
  describe(`atomic write (${kind})`, () => {
    it('writes the bytes with exactly the given mode, whatever the umask, and leaves no temp', async () => {
      const dir = await tempDir()
      const path = join(dir, 'f.bin')
      await write(path, Uint8Array.of(1, 2, 3), 0o600)
      expect([...readFileSync(path)]).toEqual([1, 2, 3])
      expect(statSync(path).mode & 0o777).toBe(0o600)
      await write(path, 'second', 0o644)
      expect(readFileSync(path, 'utf8')).toBe('second')
      expect(statSync(path).mode & 0o777).toBe(0o644)
      expect(readdirSync(dir)).toEqual(['f.bin'])
    })

    it('refuses a symlinked target and leaves the link and its target unchanged', async () => {
      const dir = await tempDir()
      const target = join(dir, 'real.json')
      const link = join(dir, 'state.json')
      writeFileSync(target, 'old secrets')
      symlinkSync(target, link)
      const err = await caught(write(link, 'new', 0o600))
      expect(err).toMatchObject({ code: 'ERR_IO', reason: 'symlink' })
      expect(err.message).toMatch(/^refusing to replace ".*state\.json": it is a symbolic link/)
      expect(lstatSync(link).isSymbolicLink()).toBe(true)
      expect(readFileSync(target, 'utf8')).toBe('old secrets')
    })

    it('fails with ERR_IO when the rename fails, target unchanged, no temp left', async () => {
      // A non-empty folder where the file should go: the temp file is written, the rename fails.
      const dir = await tempDir()
      const path = join(dir, 'f')
      mkdirSync(path)
      writeFileSync(join(path, 'inside'), 'keep')
      const err = await caught(write(path, 'new', 0o600))
      expect(err).toMatchObject({ code: 'ERR_IO', path })
      expect(err.message).toMatch(/^cannot write ".*f": E(ISDIR|NOTEMPTY|EXIST)$/)
      expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('keep')
      expect(readdirSync(dir)).toEqual(['f'])
    })

    it('fails with reason missing when the folder does not exist', async () => {
      const dir = await tempDir()
      const err = await caught(write(join(dir, 'no', 'f'), 'x', 0o600))
      expect(err).toMatchObject({ code: 'ERR_IO', reason: 'missing' })
    })
  })
}

describe('ensureDir, removeStaleTemps, pathExists', () => {
  it('creates nested folders with the mode', async () => {
    const dir = join(await tempDir(), 'a', 'b')
    await ensureDir(dir, 0o700)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  })

  it('removes only temp names older than the age given', async () => {
    const dir = await tempDir()
    const old = '.manifest.json.42.a1b2c3d4e5f6.tmp'
    const fresh = '.agent.json.43.a1b2c3d4e5f6.tmp'
    for (const n of [old, fresh, 'manifest.json', 'x.tmp']) writeFileSync(join(dir, n), '')
    // One millisecond ahead: Date.now() truncates, a file's mtimeMs keeps the fraction, so a file
    // written in this very millisecond can look a fraction of a millisecond younger than "now".
    const now = Date.now() + 1
    utimesSync(join(dir, old), new Date(now - 3_600_000), new Date(now - 3_600_000))
    expect(await removeStaleTemps(dir, 600_000, now)).toEqual([old])
    expect(readdirSync(dir).sort()).toEqual([fresh, 'manifest.json', 'x.tmp'].sort())
    expect(await removeStaleTemps(dir, 0, now)).toEqual([fresh])
    expect(isTempName('x.tmp')).toBe(false)
    expect(await removeStaleTemps(join(dir, 'missing'), 0)).toEqual([])
  })

  it('pathExists is true for a dangling symlink and false for nothing', async () => {
    const dir = await tempDir()
    symlinkSync(join(dir, 'nowhere'), join(dir, 'link'))
    expect(await pathExists(join(dir, 'link'))).toBe(true)
    expect(await pathExists(join(dir, 'nothing'))).toBe(false)
  })
})

const readers = {
  async: readFileBounded,
  sync: async (p: string, max: number) => readFileBoundedSync(p, max),
}

for (const [kind, read] of Object.entries(readers)) {
  describe(`bounded read (${kind})`, () => {
    it('reads a file up to the cap, exactly', async () => {
      const dir = await tempDir()
      writeFileSync(join(dir, 'f'), Buffer.alloc(100, 7))
      expect((await read(join(dir, 'f'), 100)).length).toBe(100)
      const err = await caught(read(join(dir, 'f'), 99))
      expect(err).toMatchObject({ code: 'ERR_IO', reason: 'too-large' })
      expect(err.message).toMatch(/"\S+f" is 100 bytes, over the 99-byte limit$/)
    })

    it('refuses a FIFO at once instead of blocking on open', async () => {
      const dir = await tempDir()
      const fifo = join(dir, 'pipe')
      execFileSync('mkfifo', [fifo])
      const err = await caught(read(fifo, 1024))
      expect(err).toMatchObject({ code: 'ERR_IO', reason: 'not-regular' })
      expect(err.message).toMatch(/pipe" is not a regular file$/)
    })

    it('names a missing file and a folder by reason', async () => {
      const dir = await tempDir()
      expect(await caught(read(join(dir, 'none'), 10))).toMatchObject({ reason: 'missing' })
      expect(await caught(read(dir, 10))).toMatchObject({ reason: 'not-regular' })
    })
  })
}

describe('assertRegularFile', () => {
  it('returns the size of a file and refuses a FIFO without blocking', async () => {
    const dir = await tempDir()
    writeFileSync(join(dir, 'f.csv'), 'a,b\n')
    expect(await assertRegularFile(join(dir, 'f.csv'))).toBe(4)
    execFileSync('mkfifo', [join(dir, 'p')])
    expect(await caught(assertRegularFile(join(dir, 'p')))).toMatchObject({ reason: 'not-regular' })
  })
})

describe('removeTempsOf and tempTargetOf', () => {
  it('removes only the temps of the named targets, whatever their age', async () => {
    const dir = await tempDir()
    const names = [
      '.manifest.json.42.a1b2c3d4e5f6.tmp',
      '.state.json.a1b2c3d4e5f6.tmp',
      '.other.json.42.a1b2c3d4e5f6.tmp',
      'manifest.json',
      '.manifest.json.bak',
    ]
    for (const n of names) writeFileSync(join(dir, n), '')
    expect(tempTargetOf('.manifest.json.42.a1b2c3d4e5f6.tmp')).toBe('manifest.json')
    expect(tempTargetOf('.manifest.json.bak')).toBeUndefined()
    expect(removeTempsOf(dir, ['manifest.json', 'state.json']).sort()).toEqual(
      ['.manifest.json.42.a1b2c3d4e5f6.tmp', '.state.json.a1b2c3d4e5f6.tmp'].sort(),
    )
    expect(readdirSync(dir).sort()).toEqual(
      ['.other.json.42.a1b2c3d4e5f6.tmp', 'manifest.json', '.manifest.json.bak'].sort(),
    )
    expect(removeTempsOf(join(dir, 'missing'), ['x'])).toEqual([])
  })
})
