/**
 * `batch` against kms-local: 1,000 devices with exactly one GetPublicKey, progress, an idempotent
 * rerun, resumption after an interrupted run, refusal of a folder pinning another key, and CSV
 * errors before any KMS call.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { BUNDLE_FILES, FILE_MODES, verifyBundle } from '../../device-bundle/src/index.ts'
import { main } from '../../provisioning/src/index.ts'
import type { Kms } from './_helpers.ts'
import { capture, cleanupTempDirs, ENV, tempDir } from './_helpers.ts'
let kms: Kms
let flags: string[]
let keyArn: string
let otherAlias: string

interface Run {
  readonly code: number
  readonly out: string
  readonly err: string
  readonly seconds: number
}

async function run(args: string[], tty = false): Promise<Run> {
  const c = capture(ENV, tty)
  const started = performance.now()
  const code = await main([...args, ...flags], c.io)
  return { code, out: c.out(), err: c.err(), seconds: (performance.now() - started) / 1000 }
}

function deviceIds(n: number, prefix = 'dev'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`)
}

async function writeCsv(dir: string, ids: string[], extra = ''): Promise<string> {
  const path = join(dir, 'devices.csv')
  await writeFile(
    path,
    `serial,device_id\n${ids.map((id, i) => `SN${i},${id}`).join('\n')}\n${extra}`,
  )
  return path
}

/** Every file under `root`, sorted: path → "mtimeMs/mode/sha256". */
async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)
    const info = await stat(path)
    const digest = entry.isFile()
      ? createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
      : 'dir'
    out.set(path, `${info.mtimeMs}/${info.mode}/${digest}`)
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  flags = ['--endpoint', kms.endpoint, '--region', kms.region]
  const created = await run(['create-key', '--alias', 'fleet'])
  expect(created.code, created.err).toBe(0)
  keyArn = /^keyArn: (\S+)$/m.exec(created.out)![1]!
  otherAlias = 'alias/other'
  expect((await run(['create-key', '--alias', otherAlias])).code).toBe(0)
})

afterAll(async () => {
  await kms?.close()
  await cleanupTempDirs()
})

describe('batch of 1,000 devices', () => {
  let root: string
  let out: string
  let csv: string
  let pin: string
  const ids = deviceIds(1000)

  it('provisions every device with exactly one GetPublicKey, and reports progress', async () => {
    root = await tempDir()
    out = join(root, 'out')
    csv = await writeCsv(root, ids)
    const before = kms.calls()
    const r = await run(['batch', '--devices', csv, '--key-id', 'alias/fleet', '--out', out])
    expect(r.code, r.err).toBe(0)
    const after = kms.calls()
    expect((after.GetPublicKey ?? 0) - (before.GetPublicKey ?? 0)).toBe(1)
    expect((after.DescribeKey ?? 0) - (before.DescribeKey ?? 0)).toBe(1)
    pin = /^pinSha256: ([0-9a-f]{64})$/m.exec(r.out)![1]!
    expect(r.out).toMatch(
      /^batch: 1000 devices in .*: created 1000, updated 0, skipped 0, refused 0 \(\d+\.\d s\)\n/,
    )
    // Not a terminal: plain lines, at least one per 10%, the last at 100%.
    const lines = r.err.trimEnd().split('\n')
    expect(lines.length).toBeGreaterThanOrEqual(10)
    for (const line of lines)
      expect(line).toMatch(/^progress: \d+\/1000 devices \(\d+%\), \d+\.\d s$/)
    expect(lines.at(-1)).toMatch(/^progress: 1000\/1000 devices \(100%\)/)
    expect(r.err).not.toContain('\r')
    console.info(`batch of 1,000 devices: ${r.seconds.toFixed(2)} s, GetPublicKey calls: 1`)
  })

  it('writes one verifiable folder per device, with agent.json and explicit modes', async () => {
    expect((await readdir(out)).sort()).toEqual([...ids].sort())
    for (const id of [ids[0]!, ids[499]!, ids[999]!]) {
      const dir = join(out, id)
      const bundle = await verifyBundle(dir, { expectSha256: pin })
      expect(bundle.manifest.keyArn).toBe(keyArn)
      expect((await readdir(dir)).sort()).toEqual([
        BUNDLE_FILES.agentConfig,
        BUNDLE_FILES.manifest,
        BUNDLE_FILES.publicKey,
      ])
      const agent = JSON.parse(await readFile(join(dir, BUNDLE_FILES.agentConfig), 'utf8'))
      expect(agent).toEqual({
        format: 'sealwire-agent-provisioning',
        formatVersion: 1,
        deviceId: id,
        topics: { data: `sealwire/${id}/data`, key: `sealwire/${id}/key` },
        key: {
          arn: keyArn,
          keySpec: 'RSA_2048',
          algorithm: 'RSAES_OAEP_SHA_256',
          pinSha256: pin,
          pinId: pin.slice(0, 16),
        },
        bundle: { publicKey: 'public_key.der', manifest: 'manifest.json' },
      })
      if (process.platform !== 'win32') {
        expect((await stat(dir)).mode & 0o777).toBe(FILE_MODES.keyDir)
        for (const name of Object.values(BUNDLE_FILES)) {
          expect((await stat(join(dir, name))).mode & 0o777).toBe(0o644)
        }
      }
    }
    if (process.platform !== 'win32') expect((await stat(out)).mode & 0o777).toBe(FILE_MODES.keyDir)
  })

  it('a second run changes nothing and says so', async () => {
    const before = await snapshot(out)
    const calls = kms.callCount('GetPublicKey')
    const r = await run([
      'batch',
      '--devices',
      csv,
      '--key-id',
      'alias/fleet',
      '--out',
      out,
      '--expect-sha256',
      pin,
    ])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(
      new RegExp(
        `^nothing to do: 1000 devices already provisioned in .* \\(pin sha256:${pin}, \\d+\\.\\d s\\)\\n$`,
      ),
    )
    expect(kms.callCount('GetPublicKey') - calls).toBe(1)
    const after = await snapshot(out)
    expect(after.size).toBe(before.size)
    expect([...after.entries()]).toEqual([...before.entries()])
    console.info(`rerun of 1,000 provisioned devices: ${r.seconds.toFixed(2)} s`)
  })

  it('resumes an interrupted run: completes partial folders, skips the rest', async () => {
    await rm(join(out, ids[10]!, BUNDLE_FILES.manifest))
    await rm(join(out, ids[11]!, BUNDLE_FILES.agentConfig))
    await rm(join(out, ids[12]!), { recursive: true })
    const r = await run(['batch', '--devices', csv, '--key-id', 'alias/fleet', '--out', out])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/created 1, updated 2, skipped 997, refused 0/)
    for (const id of ids.slice(10, 13)) {
      await verifyBundle(join(out, id), { expectSha256: pin })
      await stat(join(out, id, BUNDLE_FILES.agentConfig))
    }
  })

  it('refuses a device folder that pins another key, changes nothing there, exits 5', async () => {
    const victim = join(out, ids[5]!)
    await rm(victim, { recursive: true })
    const fetched = await run(['fetch', '--key-id', otherAlias, '--out', victim])
    expect(fetched.code, fetched.err).toBe(0)
    const before = await snapshot(victim)
    const r = await run(['batch', '--devices', csv, '--key-id', 'alias/fleet', '--out', out])
    expect(r.code).toBe(5)
    expect(r.out).toMatch(
      /^batch: 1000 devices in .*: created 0, updated 0, skipped 999, refused 1 /,
    )
    expect(r.err).toMatch(
      new RegExp(
        `^refused ${ids[5]}: ERR_BUNDLE_CONFLICT: .* already pins sha256:[0-9a-f]{64}, not sha256:${pin}; refusing to replace a pinned key`,
        'm',
      ),
    )
    const errorLines = r.err.split('\n').filter((l) => l.startsWith('error '))
    expect(errorLines).toEqual([
      `error ERR_BUNDLE_CONFLICT: 1 device folder refused and left unchanged (${ids[5]})`,
    ])
    expect([...(await snapshot(victim)).entries()]).toEqual([...before.entries()])
  })

  it('--force replaces that folder', async () => {
    const r = await run([
      'batch',
      '--devices',
      csv,
      '--key-id',
      'alias/fleet',
      '--out',
      out,
      '--force',
    ])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/created 0, updated 1, skipped 999, refused 0/)
    await verifyBundle(join(out, ids[5]!), { expectSha256: pin })
  })

  it('refuses a device whose agent.json differs (another topic prefix) unless --force', async () => {
    const small = join(root, 'small.csv')
    await writeFile(small, `device_id\n${ids[0]}\n`)
    const r = await run([
      'batch',
      '--devices',
      small,
      '--key-id',
      'alias/fleet',
      '--out',
      out,
      '--topic-prefix',
      'acme/line7',
    ])
    expect(r.code).toBe(5)
    expect(r.err).toMatch(/agent\.json differs from this batch's \(another topic prefix\?\)/)
    const forced = await run([
      'batch',
      '--devices',
      small,
      '--key-id',
      'alias/fleet',
      '--out',
      out,
      '--topic-prefix',
      'acme/line7',
      '--force',
    ])
    expect(forced.code, forced.err).toBe(0)
    const agent = JSON.parse(await readFile(join(out, ids[0]!, BUNDLE_FILES.agentConfig), 'utf8'))
    expect(agent.topics).toEqual({
      data: `acme/line7/${ids[0]}/data`,
      key: `acme/line7/${ids[0]}/key`,
    })
  })
})

describe('batch progress on a terminal', () => {
  it('draws a bar on stderr and ends it with a newline', async () => {
    const root = await tempDir()
    const csv = await writeCsv(root, deviceIds(40, 'tty'))
    const r = await run(
      ['batch', '--devices', csv, '--key-id', 'alias/fleet', '--out', join(root, 'out')],
      true,
    )
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/\r\[#+\] 100% 40\/40 \d+\/s\x1b\[K\n$/)
    expect(r.err).not.toContain('progress:')
  })
})

describe('batch refuses bad input before calling KMS', () => {
  it('a CSV with a bad row → ERR_CSV_INVALID with the line, exit 6, no KMS call', async () => {
    const root = await tempDir()
    const csv = await writeCsv(root, ['a', 'b'], 'SN9,bad/id\n')
    const before = kms.callCount()
    const r = await run([
      'batch',
      '--devices',
      csv,
      '--key-id',
      'alias/fleet',
      '--out',
      join(root, 'out'),
    ])
    expect(r.code).toBe(6)
    expect(r.err).toBe(
      'error ERR_CSV_INVALID: devices CSV line 4: device_id "bad/id" may contain only A-Z a-z 0-9 . _ - (1 to 128 characters)\n',
    )
    expect(kms.callCount()).toBe(before)
    await expect(stat(join(root, 'out'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('a duplicate id → ERR_CSV_INVALID naming both lines', async () => {
    const root = await tempDir()
    const csv = await writeCsv(root, ['a', 'b', 'a'])
    const r = await run([
      'batch',
      '--devices',
      csv,
      '--key-id',
      'alias/fleet',
      '--out',
      join(root, 'out'),
    ])
    expect(r.code).toBe(6)
    expect(r.err).toMatch(/line 4: duplicate device_id "a" \(first on line 2\)/)
  })

  it('a missing CSV → ERR_CSV_INVALID; a bad topic prefix → ERR_USAGE', async () => {
    const root = await tempDir()
    const missing = await run([
      'batch',
      '--devices',
      join(root, 'none.csv'),
      '--key-id',
      'k',
      '--out',
      root,
    ])
    expect(missing.code).toBe(6)
    expect(missing.err).toMatch(/^error ERR_CSV_INVALID: devices CSV: ".*none\.csv" not found\n$/)
    const csv = await writeCsv(root, ['a'])
    const prefix = await run([
      'batch',
      '--devices',
      csv,
      '--key-id',
      'k',
      '--out',
      root,
      '--topic-prefix',
      'a/#',
    ])
    expect(prefix.code).toBe(2)
    expect(prefix.err).toMatch(/^error ERR_USAGE: --topic-prefix "a\/#"/)
  })
})

describe('topic prefixes within AWS IoT Core limits', () => {
  it('refuses a prefix over 122 bytes or 6 levels with ERR_USAGE before calling KMS', async () => {
    const root = await tempDir()
    const csv = await writeCsv(root, ['a'])
    const before = kms.callCount()
    for (const [prefix, message] of [
      ['p'.repeat(123), /is 123 bytes; at most 122/],
      ['a/b/c/d/e/f/g', /has 7 levels; at most 6/],
    ] as const) {
      const r = await run([
        'batch',
        '--devices',
        csv,
        '--key-id',
        'k',
        '--out',
        root,
        '--topic-prefix',
        prefix,
      ])
      expect(r.code).toBe(2)
      expect(r.err).toMatch(/^error ERR_USAGE: --topic-prefix "[a-z/]+…?" /)
      expect(r.err).toMatch(message)
    }
    expect(kms.callCount()).toBe(before)
  })
})

describe('verify on a device folder checks agent.json too, as the agent does', () => {
  it('prints the device id and topics; an agent.json pinning another key → ERR_KEY_PIN_MISMATCH, exit 4', async () => {
    const root = await tempDir()
    const csv = await writeCsv(root, ['gw-1'])
    const out = join(root, 'out')
    const r = await run(['batch', '--devices', csv, '--key-id', 'alias/fleet', '--out', out])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(
      /^batch: 1 device in .*: created 1, updated 0, skipped 0, refused 0 \(\d+\.\d s\)\nkeyArn: arn:aws:kms:\S+\npinSha256: [0-9a-f]{64}\n$/,
    )
    const pin = /^pinSha256: ([0-9a-f]{64})$/m.exec(r.out)![1]!
    const again = await run(['batch', '--devices', csv, '--key-id', 'alias/fleet', '--out', out])
    expect(again.out).toMatch(/^nothing to do: 1 device already provisioned in /)
    const dir = join(out, 'gw-1')
    const ok = await run(['verify', dir, '--expect-sha256', pin])
    expect(ok.code, ok.err).toBe(0)
    expect(ok.out).toMatch(
      /\npinId: [0-9a-f]{16}\ndeviceId: gw-1\ndataTopic: sealwire\/gw-1\/data\nkeyTopic: sealwire\/gw-1\/key\n$/,
    )
    const path = join(dir, BUNDLE_FILES.agentConfig)
    const other = 'ab'.repeat(32)
    const text = (await readFile(path, 'utf8'))
      .replace(pin, other)
      .replace(pin.slice(0, 16), other.slice(0, 16))
    await writeFile(path, text)
    const bad = await run(['verify', dir])
    expect(bad.code).toBe(4)
    expect(bad.err).toMatch(
      new RegExp(
        `^error ERR_KEY_PIN_MISMATCH: agent\\.json in ".*gw-1" pins sha256:${other}, but the bundle holds sha256:${pin}\\n$`,
      ),
    )
  })
})
