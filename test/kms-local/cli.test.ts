import { CreateKeyCommand } from '@aws-sdk/client-kms'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KMS_LOCAL_EXIT, main } from '../../kms-local/src/index.ts'
import { capture, cleanupTempDirs, kmsClientFor, tempDir } from '../helpers/index.ts'

let dir: string
beforeAll(async () => {
  dir = await tempDir('kms-local-cli-')
})
afterAll(cleanupTempDirs)

/** Waits (in small real steps: the server is real) until `main` printed its first line. */
async function firstLine(out: () => string): Promise<string> {
  while (out() === '') await new Promise((r) => setTimeout(r, 10))
  return out()
}

describe('sealwire-kms-local CLI (main)', () => {
  it('prints the usage for --help and -h and exits 0', async () => {
    for (const help of ['--help', '-h']) {
      const c = capture()
      expect(await main([help], c.io)).toBe(KMS_LOCAL_EXIT.ok)
      expect(c.out()).toMatch(/^usage: sealwire-kms-local \[options\]/)
      for (const flag of [
        '--port',
        '--host',
        '--region',
        '--state',
        '--audit-log',
        '--rate-limit-crypto',
      ]) {
        expect(c.out()).toContain(flag)
      }
      expect(c.out()).toContain('Exit codes: 0 stopped cleanly; 1 cannot start')
      expect(c.err()).toBe('')
    }
  })

  it('exits 2 with one "error ERR_USAGE: …" line for bad flags, repeated flags included', async () => {
    const cases: [string[], string][] = [
      [['--bogus'], "Unknown option '--bogus' (see --help)"],
      [['--port', 'abc'], '--port must be an integer from 0 to 65535'],
      [['--port', '70000'], '--port must be an integer from 0 to 65535'],
      [['--port'], "Option '--port <value>' argument missing (see --help)"],
      [['--port='], '--port needs a value'],
      [['--region', 'mars'], '--region must be a region name such as us-east-1'],
      [['--account-id', '12'], '--account-id must be 12 digits'],
      [['--rate-limit-crypto', '0'], '--rate-limit-crypto must be an integer from 1 to 1000000'],
      [['stray'], 'unexpected argument "stray" (see --help)'],
      [['--state', 'a', '--state', 'b'], '--state given more than once (see --help)'],
      [['--port', '1', '--port=2'], '--port given more than once (see --help)'],
    ]
    for (const [argv, message] of cases) {
      const c = capture()
      expect(await main(argv, c.io), argv.join(' ')).toBe(KMS_LOCAL_EXIT.usage)
      expect(c.err()).toBe(`error ERR_USAGE: ${message}\n`)
      expect(c.out()).toBe('')
    }
  })

  it('exits 1 with "error ERR_KMS_LOCAL_STATE_INVALID: <file>: …" for a bad state file, stack only with SEALWIRE_DEBUG=1', async () => {
    const state = join(dir, 'bad.json')
    writeFileSync(state, '[]')
    const c = capture()
    expect(await main(['--port', '0', '--state', state], c.io)).toBe(KMS_LOCAL_EXIT.cannotStart)
    expect(c.err()).toBe(
      `error ERR_KMS_LOCAL_STATE_INVALID: ${JSON.stringify(state)}: not a state document (its "format" is not "sealwire-kms-local-state")\n`,
    )
    const debug = capture({ SEALWIRE_DEBUG: '1' })
    expect(await main(['--port', '0', '--state', state], debug.io)).toBe(1)
    expect(debug.err().split('\n')[0]).toBe(c.err().trimEnd())
    expect(debug.err()).toMatch(/\n {4}at /)
  })

  it('exits 1 with ERR_KMS_LOCAL_AUDIT_LOG or ERR_KMS_LOCAL_LISTEN when it cannot start', async () => {
    const audit = capture()
    expect(
      await main(['--port', '0', '--audit-log', join(dir, 'no-such-dir', 'a.jsonl')], audit.io),
    ).toBe(1)
    expect(audit.err()).toMatch(/^error ERR_KMS_LOCAL_AUDIT_LOG: cannot open audit log .*\n$/)

    const ac = new AbortController()
    const first = capture({}, false, ac.signal)
    const running = main(['--port', '0'], first.io)
    const port = /:(\d+)\n$/.exec(await firstLine(first.out))![1]!
    const second = capture()
    expect(await main(['--port', port], second.io)).toBe(1)
    expect(second.err()).toMatch(
      new RegExp(`^error ERR_KMS_LOCAL_LISTEN: cannot listen on 127\\.0\\.0\\.1:${port}: \\w+\\n$`),
    )
    ac.abort()
    expect(await running).toBe(0)
  })

  it('prints one line with the endpoint, serves the SDK, and stops cleanly when signalled', async () => {
    const state = join(dir, 'cli-state.json')
    const audit = join(dir, 'cli-audit.jsonl')
    const ac = new AbortController()
    const c = capture({}, false, ac.signal)
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
      c.io,
    )
    const match = /^kms-local listening on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(
      await firstLine(c.out),
    )
    expect(match).not.toBeNull()
    const kms = kmsClientFor({ endpoint: match![1]!, region: 'eu-central-1' })
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}))
    expect(KeyMetadata!.Arn).toMatch(/^arn:aws:kms:eu-central-1:111122223333:key\//)
    kms.destroy()
    ac.abort()
    expect(await done).toBe(0)
    expect(statSync(state).mode & 0o777).toBe(0o600)
    expect(readFileSync(audit, 'utf8')).toContain('"eventName":"CreateKey"')
    expect(c.err()).toBe('')
  })
})
