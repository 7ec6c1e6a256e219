/**
 * `sealwire-provision` in-process (`main(argv, io)`) against kms-local on 127.0.0.1, port 0,
 * through the real `@aws-sdk/client-kms`: help, create-key, fetch, verify, the refusals (each with
 * its own code, exit code and message), retries, credentials.
 */
import { createServer } from 'node:net'
import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import { chmod, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetPublicKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { BUNDLE_FILES, FILE_MODES } from '../../device-bundle/src/index.ts'
import { EXIT_CODES, main } from '../../provisioning/src/index.ts'
import type { Kms } from './_helpers.ts'
import {
  capture,
  cleanupTempDirs,
  ENV,
  hex,
  rsaSpki,
  sha256Hex,
  tempDir,
  VECTORS,
} from './_helpers.ts'
let kms: Kms
let sdk: KMSClient
let globalFlags: string[]

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  globalFlags = ['--endpoint', kms.endpoint, '--region', kms.region]
  sdk = new KMSClient({
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: { accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY },
  })
})

afterAll(async () => {
  sdk?.destroy()
  await kms?.close()
  await cleanupTempDirs()
})

interface Run {
  readonly code: number
  readonly out: string
  readonly err: string
}

async function run(args: string[], env: Record<string, string | undefined> = ENV): Promise<Run> {
  const c = capture(env)
  const code = await main(args, c.io)
  return { code, out: c.out(), err: c.err() }
}

async function runKms(args: string[]): Promise<Run> {
  return run([...args, ...globalFlags])
}

/** A failure: exactly one stderr line `error CODE: …`, no stack, the class's exit code. */
function expectFailure(r: Run, code: string, exit: number, message: RegExp): void {
  expect(r.err, r.err).toMatch(new RegExp(`^error ${code}: `))
  expect(r.err.trimEnd().split('\n'), 'one line').toHaveLength(1)
  expect(r.err).not.toMatch(/\n\s+at /)
  expect(r.err).toMatch(message)
  expect(r.code).toBe(exit)
}

let aliasCounter = 0
async function createKey(spec = 'RSA_2048'): Promise<{ arn: string; alias: string }> {
  const alias = `alias/test-${process.pid}-${++aliasCounter}`
  const r = await runKms(['create-key', '--alias', alias, '--spec', spec])
  expect(r.code, r.err).toBe(0)
  const arn = /^keyArn: (\S+)$/m.exec(r.out)![1]!
  return { arn, alias }
}

async function sdkKey(KeySpec: string, KeyUsage: string): Promise<string> {
  const out = await sdk.send(
    new CreateKeyCommand({
      KeySpec: KeySpec as 'RSA_2048',
      KeyUsage: KeyUsage as 'ENCRYPT_DECRYPT',
    }),
  )
  return out.KeyMetadata!.Arn!
}

describe('help and usage', () => {
  it('--help lists the commands and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    for (const name of ['create-key', 'fetch', 'verify', 'batch'])
      expect(r.out).toContain(`  ${name}`)
    expect(r.err).toBe('')
  })

  for (const name of ['create-key', 'fetch', 'verify', 'batch']) {
    it(`${name} --help prints its usage and flags`, async () => {
      const r = await run([name, '--help'])
      expect(r.code).toBe(0)
      expect(r.out).toMatch(new RegExp(`^usage: sealwire-provision ${name} `))
      expect(r.out).toContain('--endpoint URL')
    })
  }

  it('no command, an unknown command, an unknown flag, a missing flag: ERR_USAGE, exit 2', async () => {
    const none = await run([])
    expect(none.code).toBe(EXIT_CODES.usage)
    expect(none.err).toMatch(/error ERR_USAGE: no command given\n$/)
    expectFailure(await run(['frobnicate']), 'ERR_USAGE', 2, /unknown command "frobnicate"/)
    expectFailure(await run(['verify', 'x', '--bogus']), 'ERR_USAGE', 2, /--bogus/)
    expectFailure(await run(['fetch', '--key-id', 'alias/x']), 'ERR_USAGE', 2, /--out is required/)
    expectFailure(await run(['verify']), 'ERR_USAGE', 2, /verify needs the bundle folder/)
    expectFailure(await run(['verify', 'a', 'b']), 'ERR_USAGE', 2, /unexpected argument "b"/)
    expectFailure(
      await run(['fetch', '--key-id', 'k', '--out', 'o', '--endpoint', 'ftp://x']),
      'ERR_USAGE',
      2,
      /must be an http or https URL/,
    )
    expectFailure(
      await run(['fetch', '--key-id', 'k', '--out', 'o', '--expect-sha256', 'abc']),
      'ERR_USAGE',
      2,
      /64 hex digits/,
    )
    expectFailure(
      await run(['verify', 'x', '--max-retries', 'many']),
      'ERR_USAGE',
      2,
      /--max-retries must be/,
    )
  })

  it('no region anywhere → ERR_USAGE naming --region, exit 2', async () => {
    const saved = { ...process.env }
    delete process.env.AWS_REGION
    delete process.env.AWS_DEFAULT_REGION
    delete process.env.AWS_PROFILE
    process.env.AWS_CONFIG_FILE = join(await tempDir(), 'no-config')
    try {
      const r = await run([
        'fetch',
        '--key-id',
        'alias/x',
        '--out',
        'o',
        '--endpoint',
        kms.endpoint,
      ])
      expectFailure(r, 'ERR_USAGE', 2, /no AWS region: pass --region or set AWS_REGION/)
    } finally {
      for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE']) {
        if (saved[k] === undefined) delete process.env[k]
        else process.env[k] = saved[k]
      }
    }
  })

  it('accepts global flags before the command', async () => {
    const { alias } = await createKey()
    const out = join(await tempDir(), 'key')
    const r = await run([...globalFlags, 'fetch', '--key-id', alias, '--out', out])
    expect(r.code, r.err).toBe(0)
  })
})

describe('create-key', () => {
  it('creates an RSA ENCRYPT_DECRYPT key with the spec and alias, and prints both', async () => {
    const alias = `alias/create-${process.pid}`
    const r = await runKms([
      'create-key',
      '--alias',
      alias.slice(6),
      '--spec',
      'RSA_3072',
      '--description',
      'line 7',
    ])
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(
      /^keyArn: arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]+\nkeySpec: RSA_3072\nalias: alias\/create-\d+\n$/,
    )
    const meta = (await sdk.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!
    expect(meta).toMatchObject({
      KeySpec: 'RSA_3072',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Description: 'line 7',
    })
    expect(r.out).toContain(meta.Arn!)
  })

  it('refuses an alias that exists before creating any key (ERR_KMS_REQUEST, exit 8)', async () => {
    const { alias } = await createKey()
    const before = kms.callCount('CreateKey')
    const r = await runKms(['create-key', '--alias', alias])
    expectFailure(
      r,
      'ERR_KMS_REQUEST',
      8,
      new RegExp(`${alias} already exists and names arn:aws:kms:`),
    )
    expect(kms.callCount('CreateKey')).toBe(before)
  })

  it('refuses a bad spec or alias with ERR_USAGE before calling KMS', async () => {
    const before = kms.callCount()
    expectFailure(
      await runKms(['create-key', '--alias', 'x', '--spec', 'RSA_1024']),
      'ERR_USAGE',
      2,
      /--spec "RSA_1024"/,
    )
    expectFailure(await runKms(['create-key', '--alias', 'aws/x']), 'ERR_USAGE', 2, /reserved/)
    expectFailure(await runKms(['create-key', '--alias', 'a b']), 'ERR_USAGE', 2, /--alias "a b"/)
    expect(kms.callCount()).toBe(before)
  })
})

describe('fetch', () => {
  it('writes public_key.der (the SPKI KMS returned) and manifest.json, with explicit modes', async () => {
    const { arn, alias } = await createKey()
    const out = join(await tempDir(), 'nested', 'key')
    const r = await runKms(['fetch', '--key-id', alias, '--out', out])
    expect(r.code, r.err).toBe(0)
    const spki = new Uint8Array(
      (await sdk.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey!,
    )
    const pin = sha256Hex(spki)
    expect(r.out).toBe(
      `wrote: ${out}\nkeyArn: ${arn}\nkeySpec: RSA_2048\npinSha256: ${pin}\npinId: ${pin.slice(0, 16)}\n`,
    )
    expect(
      Buffer.from(await readFile(join(out, BUNDLE_FILES.publicKey))).equals(Buffer.from(spki)),
    ).toBe(true)
    const manifest = JSON.parse(await readFile(join(out, BUNDLE_FILES.manifest), 'utf8'))
    expect(manifest).toMatchObject({
      format: 'sealwire-key-bundle',
      formatVersion: 1,
      keyArn: arn,
      keySpec: 'RSA_2048',
      algorithm: 'RSAES_OAEP_SHA_256',
      pinSha256: pin,
      pinId: pin.slice(0, 16),
      source: { endpoint: kms.endpoint, region: kms.region },
    })
    expect(Date.now() - Date.parse(manifest.fetchedAt)).toBeLessThan(60_000)
    if (process.platform !== 'win32') {
      expect((await stat(out)).mode & 0o777).toBe(FILE_MODES.keyDir)
      expect((await stat(join(out, BUNDLE_FILES.publicKey))).mode & 0o777).toBe(
        FILE_MODES.publicKey,
      )
      expect((await stat(join(out, BUNDLE_FILES.manifest))).mode & 0o777).toBe(FILE_MODES.manifest)
    }
    expect((await run(['verify', out, '--expect-sha256', pin])).code).toBe(0)
  })

  it('accepts the right --expect-sha256 and refuses a wrong one (ERR_KEY_PIN_MISMATCH, exit 4)', async () => {
    const { arn, alias } = await createKey()
    const spki = new Uint8Array(
      (await sdk.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey!,
    )
    const pin = sha256Hex(spki)
    const root = await tempDir()
    const good = await runKms([
      'fetch',
      '--key-id',
      arn,
      '--out',
      join(root, 'a'),
      '--expect-sha256',
      pin.toUpperCase(),
    ])
    expect(good.code, good.err).toBe(0)
    const wrong = 'ab'.repeat(32)
    const bad = await runKms([
      'fetch',
      '--key-id',
      alias,
      '--out',
      join(root, 'b'),
      '--expect-sha256',
      wrong,
    ])
    expectFailure(
      bad,
      'ERR_KEY_PIN_MISMATCH',
      4,
      new RegExp(`has pin sha256:${pin}, expected sha256:${wrong}`),
    )
    expect(bad.out).toBe('')
    expect(await readdir(root)).toEqual(['a'])
  })

  it('is idempotent: a second fetch of the same key leaves the bundle untouched', async () => {
    const { alias } = await createKey()
    const out = join(await tempDir(), 'key')
    expect((await runKms(['fetch', '--key-id', alias, '--out', out])).code).toBe(0)
    const before = await stat(join(out, BUNDLE_FILES.manifest))
    const text = await readFile(join(out, BUNDLE_FILES.manifest), 'utf8')
    const again = await runKms(['fetch', '--key-id', alias, '--out', out])
    expect(again.code).toBe(0)
    expect(again.out).toMatch(/^unchanged: .* already pins this key\n/)
    expect((await stat(join(out, BUNDLE_FILES.manifest))).mtimeMs).toBe(before.mtimeMs)
    expect(await readFile(join(out, BUNDLE_FILES.manifest), 'utf8')).toBe(text)
  })

  it('refuses to overwrite a bundle with another pin (ERR_BUNDLE_CONFLICT, exit 5) unless --force', async () => {
    const first = await createKey()
    const second = await createKey()
    const out = join(await tempDir(), 'key')
    expect((await runKms(['fetch', '--key-id', first.alias, '--out', out])).code).toBe(0)
    const der = await readFile(join(out, BUNDLE_FILES.publicKey))
    const refused = await runKms(['fetch', '--key-id', second.alias, '--out', out])
    expectFailure(
      refused,
      'ERR_BUNDLE_CONFLICT',
      5,
      /already pins sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}; refusing to replace/,
    )
    expect((await readFile(join(out, BUNDLE_FILES.publicKey))).equals(der)).toBe(true)
    const forced = await runKms(['fetch', '--key-id', second.alias, '--out', out, '--force'])
    expect(forced.code, forced.err).toBe(0)
    expect(forced.out).toMatch(/^replaced: /)
    const verified = await run(['verify', out])
    expect(verified.out).toContain(`keyArn: ${second.arn}`)
  })

  it('never writes into a folder holding other files, even with --force', async () => {
    const { alias } = await createKey()
    const out = await tempDir()
    await writeFile(join(out, 'passwd'), 'root:x:0:0')
    const r = await runKms(['fetch', '--key-id', alias, '--out', out, '--force'])
    expectFailure(
      r,
      'ERR_BUNDLE_CONFLICT',
      5,
      /holds files that are not part of a key bundle \("passwd"\)/,
    )
    expect(await readdir(out)).toEqual(['passwd'])
  })

  it('completes a bundle an interrupted run left without its manifest', async () => {
    const { alias } = await createKey()
    const out = join(await tempDir(), 'key')
    expect((await runKms(['fetch', '--key-id', alias, '--out', out])).code).toBe(0)
    await rm(join(out, BUNDLE_FILES.manifest))
    const r = await runKms(['fetch', '--key-id', alias, '--out', out])
    expect(r.code, r.err).toBe(0)
    expect((await run(['verify', out])).code).toBe(0)
  })
})

describe('fetch refuses keys a device must not pin, each with its own code', () => {
  async function refused(keyId: string): Promise<{ r: Run; out: string }> {
    const out = join(await tempDir(), 'key')
    const r = await runKms(['fetch', '--key-id', keyId, '--out', out])
    expect(r.out).toBe('')
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' })
    return { r, out }
  }

  it('a SIGN_VERIFY RSA key → ERR_KEY_USAGE, exit 3', async () => {
    const { r } = await refused(await sdkKey('RSA_2048', 'SIGN_VERIFY'))
    expectFailure(
      r,
      'ERR_KEY_USAGE',
      3,
      /KeyUsage "SIGN_VERIFY": data sealed to this key could never be decrypted/,
    )
  })

  it('a SYMMETRIC_DEFAULT key → ERR_KEY_SPEC, exit 3', async () => {
    const { r } = await refused(await sdkKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'))
    expectFailure(r, 'ERR_KEY_SPEC', 3, /KeySpec "SYMMETRIC_DEFAULT" cannot seal to a device pin/)
  })

  it('a disabled key → ERR_KEY_STATE, exit 3', async () => {
    const arn = await sdkKey('RSA_2048', 'ENCRYPT_DECRYPT')
    await sdk.send(new DisableKeyCommand({ KeyId: arn }))
    const { r } = await refused(arn)
    expectFailure(r, 'ERR_KEY_STATE', 3, /the key is "Disabled"; only an Enabled key may be pinned/)
  })

  it('a key pending deletion → ERR_KEY_STATE, exit 3', async () => {
    const arn = await sdkKey('RSA_2048', 'ENCRYPT_DECRYPT')
    await sdk.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }))
    const { r } = await refused(arn)
    expectFailure(r, 'ERR_KEY_STATE', 3, /"PendingDeletion"/)
  })

  it('an unknown alias → ERR_KMS_REQUEST, exit 8', async () => {
    const { r } = await refused('alias/does-not-exist')
    expectFailure(r, 'ERR_KMS_REQUEST', 8, /KMS DescribeKey refused: NotFoundException/)
  })

  it('makes exactly one DescribeKey and no GetPublicKey for a refused key spec', async () => {
    const arn = await sdkKey('RSA_2048', 'SIGN_VERIFY')
    const before = kms.calls()
    await refused(arn)
    const after = kms.calls()
    expect((after.DescribeKey ?? 0) - (before.DescribeKey ?? 0)).toBe(1)
    expect(after.GetPublicKey ?? 0).toBe(before.GetPublicKey ?? 0)
  })
})

describe('verify', () => {
  async function fetched(): Promise<{ out: string; pin: string }> {
    const { alias } = await createKey()
    const out = join(await tempDir(), 'key')
    expect((await runKms(['fetch', '--key-id', alias, '--out', out])).code).toBe(0)
    const pin = sha256Hex(new Uint8Array(await readFile(join(out, BUNDLE_FILES.publicKey))))
    return { out, pin }
  }

  it('prints the pin of a good bundle and exits 0', async () => {
    const { out, pin } = await fetched()
    const r = await run(['verify', out, '--expect-sha256', pin])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(
      new RegExp(
        `^ok: .*\\nkeyArn: arn:aws:kms:.*\\nkeySpec: RSA_2048\\npinSha256: ${pin}\\npinId: ${pin.slice(0, 16)}\\n$`,
      ),
    )
    expect(r.err).toBe('')
  })

  it('a public key replaced by another valid RSA key → ERR_KEY_PIN_MISMATCH, exit 4', async () => {
    const { out, pin } = await fetched()
    const other = rsaSpki(2048, 65537, true)
    await writeFile(join(out, BUNDLE_FILES.publicKey), other)
    expectFailure(
      await run(['verify', out]),
      'ERR_KEY_PIN_MISMATCH',
      4,
      new RegExp(
        `public_key.der has pin sha256:${sha256Hex(other)} but manifest.json pins sha256:${pin}`,
      ),
    )
  })

  it('a wrong --expect-sha256 → ERR_KEY_PIN_MISMATCH, exit 4', async () => {
    const { out } = await fetched()
    expectFailure(
      await run(['verify', out, '--expect-sha256', '00'.repeat(32)]),
      'ERR_KEY_PIN_MISMATCH',
      4,
      /expected sha256:0{64}/,
    )
  })

  it('an e = 3 key (Wycheproof) in place of the public key → ERR_KEY_EXPONENT, exit 3', async () => {
    const { out } = await fetched()
    const data = JSON.parse(
      readFileSync(join(VECTORS, 'wycheproof', 'rsa_signature_2048_sha256_test.json'), 'utf8'),
    )
    const e3 = data.testGroups.find(
      (g: { publicKey: { publicExponent: string } }) => g.publicKey.publicExponent === '03',
    )
    await writeFile(join(out, BUNDLE_FILES.publicKey), hex(e3.publicKeyDer))
    expectFailure(
      await run(['verify', out]),
      'ERR_KEY_EXPONENT',
      3,
      /RSA public exponent 3; the profile requires 65537/,
    )
  })

  it('an RSA-1024 key in place of the public key → ERR_KEY_SIZE, exit 3', async () => {
    const { out } = await fetched()
    await writeFile(join(out, BUNDLE_FILES.publicKey), rsaSpki(1024))
    expectFailure(await run(['verify', out]), 'ERR_KEY_SIZE', 3, /RSA modulus of 1024 bits/)
  })

  it('truncated or corrupt DER → ERR_KEY_UNSUPPORTED, exit 3', async () => {
    const { out } = await fetched()
    const der = new Uint8Array(await readFile(join(out, BUNDLE_FILES.publicKey)))
    await writeFile(join(out, BUNDLE_FILES.publicKey), der.slice(0, 150))
    expectFailure(
      await run(['verify', out]),
      'ERR_KEY_UNSUPPORTED',
      3,
      /not an RSA SubjectPublicKeyInfo: truncated/,
    )
    der[20]! ^= 0xff
    await writeFile(join(out, BUNDLE_FILES.publicKey), der)
    expectFailure(await run(['verify', out]), 'ERR_KEY_UNSUPPORTED', 3, /public_key\.der: /)
  })

  it('a missing file or folder → ERR_BUNDLE_MISSING, exit 5', async () => {
    const { out } = await fetched()
    await rm(join(out, BUNDLE_FILES.manifest))
    expectFailure(await run(['verify', out]), 'ERR_BUNDLE_MISSING', 5, /manifest\.json" is missing/)
    expectFailure(
      await run(['verify', join(out, 'nope')]),
      'ERR_BUNDLE_MISSING',
      5,
      /no key bundle at/,
    )
  })

  it('a corrupt manifest → ERR_BUNDLE_CORRUPT, exit 5', async () => {
    const { out } = await fetched()
    await writeFile(join(out, BUNDLE_FILES.manifest), '{"format": "sealwire-key-bundle"')
    expectFailure(
      await run(['verify', out]),
      'ERR_BUNDLE_CORRUPT',
      5,
      /manifest\.json: not valid JSON/,
    )
  })

  it('warns on stderr about a world-writable public key, and still exits 0', async () => {
    if (process.platform === 'win32') return
    const { out } = await fetched()
    await chmod(join(out, BUNDLE_FILES.publicKey), 0o646)
    const r = await run(['verify', out])
    expect(r.code).toBe(0)
    expect(r.err).toMatch(
      /^warning: .*public_key\.der is writable by group or others \(mode 646\)\n$/,
    )
  })
})

describe('KMS unavailable, throttled, or without credentials', () => {
  async function closedPort(): Promise<number> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    return port
  }

  it('retries a refused connection, then one line ERR_KMS_UNAVAILABLE, exit 7', async () => {
    const port = await closedPort()
    const out = join(await tempDir(), 'key')
    const r = await run([
      'fetch',
      '--key-id',
      'alias/x',
      '--out',
      out,
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--region',
      'us-east-1',
      '--max-retries',
      '2',
    ])
    expectFailure(
      r,
      'ERR_KMS_UNAVAILABLE',
      7,
      new RegExp(
        `KMS DescribeKey at http://127.0.0.1:${port} failed after 3 attempts: .*ECONNREFUSED`,
      ),
    )
    // The backoffs themselves (full jitter, bounded) are kms-client's, tested there.
  })

  /**
   * A fault-injecting proxy in front of kms-local: the first `failures` requests for `operation`
   * get KMS's ThrottlingException (HTTP 400, JSON 1.1 error), everything else is forwarded.
   */
  async function throttlingProxy(
    target: string,
    operation: string,
    failures: number,
  ): Promise<{ endpoint: string; throttled(): number; close(): Promise<void> }> {
    let throttled = 0
    const server = createHttpServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (req.headers['x-amz-target'] === `TrentService.${operation}` && throttled < failures) {
          throttled++
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }))
          return
        }
        const headers = { ...req.headers }
        delete headers.host
        const upstream = httpRequest(
          `${target}${req.url ?? '/'}`,
          { method: req.method, headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers)
            up.pipe(res)
          },
        )
        upstream.on('error', () => res.destroy())
        upstream.end(Buffer.concat(chunks))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    return {
      endpoint: `http://127.0.0.1:${port}`,
      throttled: () => throttled,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  }

  it('retries throttling with backoff and succeeds', async () => {
    const { alias } = await createKey()
    const proxy = await throttlingProxy(kms.endpoint, 'GetPublicKey', 2)
    try {
      const before = kms.callCount('GetPublicKey')
      const r = await run(
        [
          'fetch',
          '--key-id',
          alias,
          '--out',
          join(await tempDir(), 'k'),
          '--endpoint',
          proxy.endpoint,
          '--region',
          kms.region,
        ],
        ENV,
      )
      expect(r.code, r.err).toBe(0)
      expect(proxy.throttled()).toBe(2)
      expect(kms.callCount('GetPublicKey') - before).toBe(1)
    } finally {
      await proxy.close()
    }
  })

  it('gives up on throttling after --max-retries with ERR_KMS_UNAVAILABLE, exit 7', async () => {
    const { alias } = await createKey()
    const proxy = await throttlingProxy(kms.endpoint, 'GetPublicKey', 100)
    try {
      const r = await run(
        [
          'fetch',
          '--key-id',
          alias,
          '--out',
          join(await tempDir(), 'k'),
          '--max-retries',
          '1',
          '--endpoint',
          proxy.endpoint,
          '--region',
          kms.region,
        ],
        ENV,
      )
      expectFailure(
        r,
        'ERR_KMS_UNAVAILABLE',
        7,
        /KMS GetPublicKey at http:\/\/127\.0\.0\.1:\d+ failed after 2 attempts: ThrottlingException: Rate exceeded/,
      )
      expect(proxy.throttled()).toBe(2)
    } finally {
      await proxy.close()
    }
  })

  it('--profile reads the shared credentials file (no env keys needed)', async () => {
    const { alias } = await createKey()
    const dir = await tempDir()
    const file = join(dir, 'credentials')
    await writeFile(
      file,
      '[station]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n',
    )
    const saved = process.env.AWS_SHARED_CREDENTIALS_FILE
    process.env.AWS_SHARED_CREDENTIALS_FILE = file
    try {
      const r = await run(
        [
          'fetch',
          '--key-id',
          alias,
          '--out',
          join(dir, 'k'),
          '--profile',
          'station',
          ...globalFlags,
        ],
        {},
      )
      expect(r.code, r.err).toBe(0)
      const missing = await run(
        [
          'fetch',
          '--key-id',
          alias,
          '--out',
          join(dir, 'k2'),
          '--profile',
          'absent',
          ...globalFlags,
        ],
        {},
      )
      expectFailure(
        missing,
        'ERR_KMS_DENIED',
        8,
        /KMS DescribeKey denied: CredentialsProviderError/,
      )
    } finally {
      if (saved === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved
    }
  })
})

describe('file system errors', () => {
  it('an --out below a file → ERR_IO, exit 9, one line', async () => {
    const { alias } = await createKey()
    const dir = await tempDir()
    await writeFile(join(dir, 'file'), 'x')
    const r = await runKms(['fetch', '--key-id', alias, '--out', join(dir, 'file', 'key')])
    expectFailure(r, 'ERR_IO', 9, /cannot use ".*file\/key": a parent is not a folder/)
  })

  it('an --out that is a file → ERR_BUNDLE_CONFLICT, exit 5', async () => {
    const { alias } = await createKey()
    const dir = await tempDir()
    await writeFile(join(dir, 'file'), 'x')
    const r = await runKms(['fetch', '--key-id', alias, '--out', join(dir, 'file')])
    expectFailure(r, 'ERR_BUNDLE_CONFLICT', 5, /exists and is not a folder/)
  })
})
