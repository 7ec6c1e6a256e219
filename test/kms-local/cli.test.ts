import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../kms-local/src/index.ts'
import { tempDir } from './_helpers.ts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

function capture() {
  const out: string[] = []
  const err: string[] = []
  return {
    out,
    err,
    io: (signal?: AbortSignal) => ({
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      ...(signal && { signal }),
    }),
  }
}

describe('sealwire-kms-local CLI (main)', () => {
  it('prints the usage for --help and exits 0', async () => {
    const c = capture()
    expect(await main(['--help'], c.io())).toBe(0)
    expect(c.out.join('')).toMatch(/^usage: sealwire-kms-local \[options\]/)
    for (const flag of [
      '--port',
      '--host',
      '--region',
      '--state',
      '--audit-log',
      '--rate-limit-crypto',
    ]) {
      expect(c.out.join('')).toContain(flag)
    }
    expect(c.err).toEqual([])
  })

  it('exits 2 with one clear line for bad flags', async () => {
    const cases: [string[], string][] = [
      [['--bogus'], 'unknown flag --bogus'],
      [['--port', 'abc'], '--port must be an integer from 0 to 65535'],
      [['--port', '70000'], '--port must be an integer from 0 to 65535'],
      [['--port'], '--port needs a value'],
      [['--region', 'mars'], '--region must be a region name such as us-east-1'],
      [['--rate-limit-crypto', '0'], '--rate-limit-crypto must be an integer from 1 to 1000000'],
      [['stray'], "unexpected argument 'stray'"],
      [['--state', 'a', '--state', 'b'], '--state given twice'],
    ]
    for (const [argv, message] of cases) {
      const c = capture()
      expect(await main(argv, c.io()), argv.join(' ')).toBe(2)
      expect(c.err).toEqual([`sealwire-kms-local: ${message} (see --help)\n`])
      expect(c.out).toEqual([])
    }
  })

  it('exits 1 when the endpoint cannot start (bad state file)', async () => {
    const state = join(tmp.dir, 'bad.json')
    writeFileSync(state, '[]')
    const c = capture()
    expect(await main(['--port', '0', '--state', state], c.io())).toBe(1)
    expect(c.err.join('')).toMatch(
      /^sealwire-kms-local: ".*bad\.json": document is not an object\n$/,
    )
  })

  it('prints one line with the endpoint, serves the SDK, and stops cleanly when signalled', async () => {
    const state = join(tmp.dir, 'cli-state.json')
    const audit = join(tmp.dir, 'cli-audit.jsonl')
    const ac = new AbortController()
    const c = capture()
    const done = main(
      [
        '--port=0',
        '--region',
        'eu-central-1',
        '--state',
        state,
        '--audit-log',
        audit,
        '--rate-limit-crypto',
        '100',
      ],
      c.io(ac.signal),
    )
    while (c.out.length === 0) await new Promise((r) => setTimeout(r, 10))
    expect(c.out).toHaveLength(1)
    const match = /^kms-local listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(c.out[0]!)
    expect(match).not.toBeNull()
    const kms = new KMSClient({
      endpoint: match![1],
      region: 'eu-central-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    })
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}))
    expect(KeyMetadata!.Arn).toMatch(/^arn:aws:kms:eu-central-1:111122223333:key\//)
    kms.destroy()
    ac.abort()
    expect(await done).toBe(0)
    expect(statSync(state).mode & 0o777).toBe(0o600)
    expect(readFileSync(audit, 'utf8')).toContain('"eventName":"CreateKey"')
    expect(c.err).toEqual([])
  })
})
