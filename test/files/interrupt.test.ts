import { generateKeyPairSync } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTempDirs, isBun, spawnCli, tempDir } from './_helpers.ts'

afterAll(cleanupTempDirs)

describe(`SIGTERM and SIGINT stop a run and leave no output (${isBun ? 'Bun, files/src' : 'Node, dist/files/src'})`, () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s while seal waits on a silent stdin: exit 130, one line, no OUT, no temporary file',
    async (signal) => {
      const dir = await tempDir('sealwire-file-sig-')
      const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      await writeFile(join(dir, 'key.der'), publicKey.export({ format: 'der', type: 'spki' }))
      const child = spawnCli([
        'seal',
        '-q',
        '--public-key',
        join(dir, 'key.der'),
        '-',
        join(dir, 'out.sw'),
      ])
      let err = ''
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
      const exited = new Promise<number | null>((resolve) =>
        child.on('close', (code) => resolve(code)),
      )
      child.stdin!.write(Buffer.alloc(100_000, 7)) // some input, and then silence (stdin stays open)
      const started = Date.now()
      while (!readdirSync(dir).some((n) => n.endsWith('.tmp'))) {
        if (Date.now() - started > 20_000) throw new Error(`no temporary file; stderr: ${err}`)
        await new Promise((r) => setTimeout(r, 10))
      }
      await new Promise((r) => setTimeout(r, 100))
      child.kill(signal)
      expect(await exited).toBe(130)
      expect(err.split('\n').filter((l) => !l.startsWith('warning:'))).toEqual([
        'error ERR_INTERRUPTED: interrupted; no partial output was kept',
        '',
      ])
      expect(readdirSync(dir)).toEqual(['key.der'])
      child.stdin!.destroy()
    },
    30_000,
  )
})
