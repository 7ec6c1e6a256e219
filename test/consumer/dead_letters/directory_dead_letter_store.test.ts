/**
 * DirectoryDeadLetterStore: the DeadLetterStore contract in a temporary folder, then the file
 * format byte for byte (the normative text is `consumer/README.md`, "Dead letters (format)"),
 * modes, ids that sort by time, files it refuses to read, and strangers it leaves alone.
 */
import { createHash } from 'node:crypto'
import { readdir, rm, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  deadLettersFromSpec,
  DirectoryDeadLetterStore,
  LETTER_FORMAT,
} from '../../../consumer/src/dead_letters/index.ts'
import type { DeadLetter, DeadLetterStore } from '../../../consumer/src/dead_letters/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { deadLetterContract, letter } from './dead_letter_contract.ts'

afterEach(cleanupTempDirs)

deadLetterContract(
  'DirectoryDeadLetterStore',
  async () => {
    const dir = join(await tempDir(), 'letters')
    return { open: (options) => DirectoryDeadLetterStore.open(dir, options) }
  },
  { persistent: true },
)

const stores: DeadLetterStore[] = []
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close()
})

async function openIn(dir: string) {
  const store = await DirectoryDeadLetterStore.open(dir)
  stores.push(store)
  return store
}

async function all(store: DeadLetterStore): Promise<DeadLetter[]> {
  const out: DeadLetter[] = []
  for await (const l of store.list()) out.push(l)
  return out
}

describe('DirectoryDeadLetterStore: the file format', () => {
  it('one file <id>.letter: a JSON header line, then the bytes in base64', async () => {
    const dir = await tempDir()
    const store = await openIn(dir)
    const bytes = Uint8Array.of(0xd0, 0x83, 0x43, 0xa1, 0x01, 0x03, 0xff)
    const kept = await store.put({
      topic: 'sealwire/dev-1/data',
      bytes,
      reason: 'epoch-unknown',
      detail: 'no announcement after 30 s',
      at: 1_700_000_000_123,
    })
    expect(kept.id).toMatch(/^0001700000000123-[0-9a-f]{8}-[0-9a-f]{8}$/)
    expect(await readdir(dir)).toEqual([`${kept.id}.letter`])
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    expect(await readFile(join(dir, `${kept.id}.letter`), 'utf8')).toBe(
      `{"format":"${LETTER_FORMAT}","topic":"sealwire/dev-1/data","reason":"epoch-unknown",` +
        `"detail":"no announcement after 30 s","at":1700000000123,"size":7,"sha256":"${sha256}"}\n` +
        `0INDoQED/w==\n`,
    )
    expect(LETTER_FORMAT).toBe('sealwire-dead-letter/1')
  })

  it('creates the folder 0700 and each letter 0600', async () => {
    const dir = join(await tempDir(), 'a', 'b')
    const store = await openIn(dir)
    const kept = await store.put(letter())
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, `${kept.id}.letter`))).mode & 0o777).toBe(0o600)
  })

  it('ids sort by the time received, whatever the order of puts', async () => {
    const dir = await tempDir()
    const store = await openIn(dir)
    const ats = [5, 1_700_000_000_000, 42, Number.MAX_SAFE_INTEGER, 0]
    for (const at of ats) await store.put(letter({ at }))
    const names = (await readdir(dir)).sort()
    expect(names.map((n) => Number(n.slice(0, 16)))).toEqual([...ats].sort((a, b) => a - b))
  })

  it('leaves other files alone and sweeps temporary files a crash left', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'README.txt'), 'not a letter')
    const stale = join(dir, '.0001-aa.letter.123.abcdefabcdef.tmp')
    const fresh = join(dir, '.0002-bb.letter.123.abcdefabcdef.tmp')
    await writeFile(stale, 'half')
    await writeFile(fresh, 'half') // another process may be writing it: kept
    const dayAgo = new Date(Date.now() - 86_400_000)
    await utimes(stale, dayAgo, dayAgo)
    const store = await openIn(dir)
    const kept = await store.put(letter())
    expect(await all(store)).toHaveLength(1)
    expect((await readdir(dir)).sort()).toEqual(
      [basename(fresh), `${kept.id}.letter`, 'README.txt'].sort(),
    )
  })

  it('a letter changed by hand is refused by name (ERR_DEAD_LETTER_INVALID)', async () => {
    const dir = await tempDir()
    const store = await openIn(dir)
    const kept = await store.put(letter({ bytes: Uint8Array.of(1, 2, 3) }))
    const path = join(dir, `${kept.id}.letter`)
    const text = await readFile(path, 'utf8')
    const broken = [
      text.replace('AQID', 'AQIE'), // other bytes: sha256 differs
      text.replace('AQID\n', 'AQ\n'), // cut short
      text.replace('"reason":"', '"reason":"x'), // unknown reason
      text.replace('}\n', ',"extra":1}\n'), // unknown field
      text.slice(0, -1), // no final newline
      `${text}more\n`, // a third line
      text.replace('"at":', '"at":-'), // negative time
    ]
    for (const content of broken) {
      await writeFile(path, content)
      const err = await caught(all(store))
      expect(err.code).toBe('ERR_DEAD_LETTER_INVALID')
      expect(err.message.startsWith(`${path}: `)).toBe(true)
    }
    await writeFile(path, text)
    expect(await all(store)).toHaveLength(1)
  })

  it('a folder that cannot be made is ERR_CONFIG naming the flag (through deadLettersFromSpec)', async () => {
    const base = await tempDir()
    await writeFile(join(base, 'file'), 'x')
    const err = await caught(deadLettersFromSpec(join(base, 'file', 'sub')))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toMatch(/^--dead-letters: ".*file\/sub": /)
  })

  it('a folder gone under it: put is ERR_DEAD_LETTERS_UNAVAILABLE, list too', async () => {
    const dir = join(await tempDir(), 'gone')
    const store = await openIn(dir)
    await rm(dir, { recursive: true })
    const err = await caught(store.put(letter()))
    expect(err.code).toBe('ERR_DEAD_LETTERS_UNAVAILABLE')
    expect(err.message).toMatch(/: cannot keep a letter: /)
    expect((await caught(all(store))).code).toBe('ERR_DEAD_LETTERS_UNAVAILABLE')
  })
})
