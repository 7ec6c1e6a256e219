import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evpBytesToKey, LEGACY_FAILED_MESSAGE, opensslPassword } from '../../files/src/index.ts'
import { skipWithout } from '../helpers/index.ts'
import { cleanupTempDirs, run, SEGMENT, startKms, tempDir } from './_helpers.ts'
import type { KmsFixture } from './_helpers.ts'

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const CBC_WARNING = /^warning: openssl enc AES-256-CBC files were never authenticated/

let kms: KmsFixture
beforeAll(async () => {
  kms = await startKms()
})
afterAll(async () => {
  await kms.close()
  await cleanupTempDirs()
})

/** The walkthrough's three commands, exactly, in `dir` (cwd), with `extra` for openssl enc. */
function walkthrough(dir: string, extra: string[]): void {
  const sh = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  execFileSync('sh', ['-c', 'openssl rand -base64 32 > key.b64'], { cwd: dir })
  sh(['enc', '-aes-256-cbc', ...extra, '-in', 'F', '-out', 'F.enc', '-pass', 'file:./key.b64'])
  sh([
    'pkeyutl',
    '-encrypt',
    '-pubin',
    '-keyform',
    'DER',
    '-inkey',
    'public_key.der',
    '-in',
    'key.b64',
    '-out',
    'key.b64.enc',
    '-pkeyopt',
    'rsa_padding_mode:oaep',
    '-pkeyopt',
    'rsa_oaep_md:sha256',
  ])
}

/** `open-legacy` with the walkthrough's wrapped key in `dir`, under `keyId`, on the test KMS. */
function legacyArgs(dir: string, keyId: string): string[] {
  return [
    'open-legacy',
    '--wrapped-key',
    join(dir, 'key.b64.enc'),
    '--key-id',
    keyId,
    '--endpoint',
    kms.server.endpoint,
  ]
}

describe.skipIf(skipWithout(hasOpenssl(), 'the openssl binary'))(
  'sealwire-file open-legacy',
  () => {
    const variants: [string, string[], string[]][] = [
      ['default KDF (EVP_BytesToKey, SHA-256, 1 iteration)', [], []],
      ['-pbkdf2 (PBKDF2-HMAC-SHA-256, 10,000 iterations)', ['-pbkdf2'], ['--pbkdf2']],
      ['-pbkdf2 -iter 1234', ['-pbkdf2', '-iter', '1234'], ['--pbkdf2', '--iter', '1234']],
    ]

    it.each(variants)(
      '%s: the original bytes, and --reseal into the stream format',
      async (_, enc, flags) => {
        const dir = await tempDir('sealwire-legacy-')
        await kms.writePublicKey(dir)
        const data = randomBytes(300_001)
        await writeFile(join(dir, 'F'), data)
        walkthrough(dir, enc)
        const base = [...legacyArgs(dir, kms.keyArn), ...flags]
        const r = await run([...base, join(dir, 'F.enc'), join(dir, 'F.out')])
        expect(r.code, r.err).toBe(0)
        expect(r.err).toMatch(CBC_WARNING)
        expect((await readFile(join(dir, 'F.out'))).equals(data)).toBe(true)

        const re = await run([...base, join(dir, 'F.enc'), '--reseal', join(dir, 'F.sw')])
        expect(re.code, re.err).toBe(0)
        expect((await stat(join(dir, 'F.sw'))).size).toBe(
          296 + data.length + 16 * Math.ceil(data.length / SEGMENT),
        )
        const opened = await run([
          'open',
          '--key-id',
          kms.keyArn,
          '--endpoint',
          kms.server.endpoint,
          join(dir, 'F.sw'),
          '-',
        ])
        expect(opened.code, opened.err).toBe(0)
        expect(opened.out.equals(data)).toBe(true)
      },
    )

    it('the wrong KDF, a damaged file, a wrong key: one error, and no output file', async () => {
      const dir = await tempDir('sealwire-legacy-')
      await kms.writePublicKey(dir)
      await writeFile(join(dir, 'F'), randomBytes(5000))
      walkthrough(dir, ['-pbkdf2'])
      const base = (key: string) => legacyArgs(dir, key)
      const expected = `error ERR_LEGACY_DECRYPTION_FAILED: ${LEGACY_FAILED_MESSAGE}\n`
      const tries: string[][] = [
        [...base(kms.keyArn), join(dir, 'F.enc'), join(dir, 'out')], // no --pbkdf2
      ]
      const enc = await readFile(join(dir, 'F.enc'))
      await writeFile(join(dir, 'cut.enc'), enc.subarray(0, enc.length - 7))
      tries.push([...base(kms.keyArn), '--pbkdf2', join(dir, 'cut.enc'), join(dir, 'out')])
      const last = Buffer.from(enc)
      // CBC: flipping byte 15 of the next-to-last block flips the last padding byte: p ^ 0xff > 16
      last[last.length - 17]! ^= 0xff
      await writeFile(join(dir, 'pad.enc'), last)
      tries.push([...base(kms.keyArn), '--pbkdf2', join(dir, 'pad.enc'), join(dir, 'out')])
      const other = await kms.newKey()
      tries.push([...base(other.keyArn), '--pbkdf2', join(dir, 'F.enc'), join(dir, 'out')])
      for (const args of tries) {
        const r = await run(args)
        expect(r.code).toBe(6)
        expect(r.err.split('\n').slice(1).join('\n')).toBe(expected)
      }
      expect((await readdir(dir)).filter((n) => n === 'out' || n.endsWith('.tmp'))).toEqual([])
      await writeFile(join(dir, 'plain.txt'), 'not openssl output')
      const notOurs = await run([...base(kms.keyArn), join(dir, 'plain.txt'), join(dir, 'out')])
      expect(notOurs.err).toContain(
        'error ERR_LEGACY_FORMAT: not a salted openssl enc file (it does not start with "Salted__")',
      )
    })

    it('a missing input fails first: exit 9, one line, no CBC warning, no KMS Decrypt', async () => {
      const dir = await tempDir('sealwire-legacy-')
      await kms.writePublicKey(dir)
      await writeFile(join(dir, 'F'), randomBytes(100))
      walkthrough(dir, [])
      const before = kms.server.callCount('Decrypt')
      const missing = join(dir, 'missing.enc')
      const r = await run([...legacyArgs(dir, kms.keyArn), missing, join(dir, 'out')])
      expect([r.code, r.err]).toEqual([9, `error ERR_IO: cannot read "${missing}": ENOENT\n`])
      expect(kms.server.callCount('Decrypt') - before).toBe(0)
    })

    it('the password is the first line of key.b64, as openssl reads it', () => {
      expect(opensslPassword(Buffer.from('abc\r\ndef\n')).toString()).toBe('abc\r')
      expect(opensslPassword(Buffer.from('no newline')).toString()).toBe('no newline')
      expect(opensslPassword(Buffer.from('a\0b\n')).toString()).toBe('a')
      // EVP_BytesToKey with SHA-256: D1 = H(pass ‖ salt), D2 = H(D1 ‖ pass ‖ salt)
      const salt = Buffer.alloc(8, 1)
      const d1 = createHash('sha256').update('pw').update(salt).digest()
      const d2 = createHash('sha256').update(d1).update('pw').update(salt).digest()
      expect(
        evpBytesToKey('sha256', Buffer.from('pw'), salt, 48).equals(
          Buffer.concat([d1, d2]).subarray(0, 48),
        ),
      ).toBe(true)
    })
  },
)
