/**
 * KmsSession through the real SDK and real sockets on 127.0.0.1: retry on refused connections and
 * throttling, bounded attempts against an endpoint that never answers, non-KMS (HTML) answers,
 * credentials, and no password from the endpoint URL anywhere. Backoffs run on an instant clock;
 * the only real waits are the short timeouts of the timeout tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { ManualClock, UsageError } from '../../platform/src/index.ts'
import {
  KmsError,
  KmsSession,
  checkEndpoint,
  fetchPublicKey,
  kmsClientDefaults,
} from '../../kms-client/src/index.ts'
import type { KmsSessionOptions } from '../../kms-client/src/index.ts'
import {
  caught,
  closedPort,
  ENV,
  faultProxy,
  htmlServer,
  httpServer,
  instantClock,
  kmsError,
  silentServer,
} from './_helpers.ts'

let kms: KmsLocalServer
const sessions: KmsSession[] = []

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
})

afterAll(async () => {
  for (const s of sessions) s.close()
  await kms?.close()
})

function session(options: Partial<KmsSessionOptions> & { endpoint: string }): KmsSession {
  const s = new KmsSession({ region: 'us-east-1', env: ENV, ...options })
  sessions.push(s)
  return s
}

const describeKey = (s: KmsSession, keyId = 'alias/x') =>
  s.call('DescribeKey', (c, abortSignal) =>
    c.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal }),
  )

describe('configuration', () => {
  it('takes region, profile and credentials from the env it is given', async () => {
    const s = session({
      endpoint: kms.endpoint,
      region: undefined,
      env: { ...ENV, AWS_REGION: 'eu-west-1' },
    })
    expect(await s.region()).toBe('eu-west-1')
    const t = session({
      endpoint: kms.endpoint,
      region: undefined,
      env: { ...ENV, AWS_DEFAULT_REGION: 'eu-north-1' },
    })
    expect(await t.describe()).toEqual({ endpoint: kms.endpoint, region: 'eu-north-1' })
  })

  it('defaults: 4 retries 200–5000 ms, 5 s to connect, 15 s to answer', () => {
    const s = session({ endpoint: kms.endpoint })
    expect(s.retry).toEqual({ maxRetries: 4, initialMs: 200, maxMs: 5_000 })
    expect(s.retry).toEqual(kmsClientDefaults.retry)
    expect([s.connectionTimeoutMs, s.requestTimeoutMs, s.attemptTimeoutMs]).toEqual([
      5_000, 15_000, 20_000,
    ])
  })

  it('refuses a bad endpoint (ERR_USAGE) and bad timeouts or retry (RangeError, TypeError)', () => {
    expect(() => session({ endpoint: 'ftp://host' })).toThrow(UsageError)
    expect(() => session({ endpoint: 'not a url' })).toThrow(/is not a URL/)
    expect(() => session({ endpoint: kms.endpoint, requestTimeoutMs: 0 })).toThrow(RangeError)
    expect(() => session({ endpoint: kms.endpoint, connectionTimeoutMs: 1.5 })).toThrow(RangeError)
    expect(() =>
      session({ endpoint: kms.endpoint, retry: { maxRetries: -1, initialMs: 1, maxMs: 1 } }),
    ).toThrow(TypeError)
  })

  it('no region anywhere → ERR_USAGE naming --region', async () => {
    const s = session({ endpoint: kms.endpoint, region: undefined, env: ENV })
    const err = await caught(describeKey(s))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toBe('no AWS region: pass --region or set AWS_REGION')
  })
})

describe('retry', () => {
  it('retries a refused connection, then ERR_KMS_UNAVAILABLE naming the attempts', async () => {
    const port = await closedPort()
    const clock = instantClock()
    const s = session({
      endpoint: `http://127.0.0.1:${port}`,
      retry: { maxRetries: 2, initialMs: 100, maxMs: 1_000 },
      clock,
      random: () => 0.5,
    })
    const err = await caught(describeKey(s))
    expect(err).toBeInstanceOf(KmsError)
    expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', operation: 'DescribeKey' })
    expect(err.message).toMatch(
      new RegExp(
        `^KMS DescribeKey at http://127.0.0.1:${port} failed after 3 attempts: .*ECONNREFUSED`,
      ),
    )
    expect(clock.sleeps).toEqual([50, 100])
  })

  it('retries throttling with backoff and succeeds: one call reaches KMS', async () => {
    let throttled = 0
    const proxy = await faultProxy(kms.endpoint, (op, res) => {
      if (op !== 'CreateKey' || throttled >= 2) return false
      throttled++
      kmsError(res, 400, 'ThrottlingException', 'Rate exceeded')
      return true
    })
    try {
      const clock = instantClock()
      const retries: string[] = []
      const s = session({
        endpoint: proxy.endpoint,
        clock,
        onRetry: (op, e) => retries.push(`${op}#${e.attempt}`),
      })
      const before = kms.callCount('CreateKey')
      const out = await s.call(
        'CreateKey',
        (c, abortSignal) =>
          c.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }), {
            abortSignal,
          }),
        { idempotent: false },
      )
      expect(out.KeyMetadata?.KeySpec).toBe('RSA_2048')
      expect(throttled).toBe(2)
      expect(kms.callCount('CreateKey') - before).toBe(1)
      expect(clock.sleeps).toHaveLength(2)
      expect(retries).toEqual(['CreateKey#0', 'CreateKey#1'])
    } finally {
      await proxy.close()
    }
  })

  it('gives up on throttling after maxRetries with ERR_KMS_UNAVAILABLE and the AWS code', async () => {
    const server = await httpServer((_req, res) =>
      kmsError(res, 400, 'ThrottlingException', 'Rate exceeded'),
    )
    try {
      const s = session({
        endpoint: server.endpoint,
        retry: { maxRetries: 1, initialMs: 100, maxMs: 100 },
        clock: instantClock(),
      })
      const err = await caught(describeKey(s))
      expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', awsCode: 'ThrottlingException' })
      expect(err.message).toBe(
        `KMS DescribeKey at ${server.endpoint} failed after 2 attempts: ThrottlingException: Rate exceeded`,
      )
      expect(server.requests()).toBe(2)
    } finally {
      await server.close()
    }
  })

  it('does not retry a refusal: AccessDenied → ERR_KMS_DENIED, NotFound → ERR_KMS_REQUEST', async () => {
    for (const [type, code] of [
      ['AccessDeniedException', 'ERR_KMS_DENIED'],
      ['NotFoundException', 'ERR_KMS_REQUEST'],
    ] as const) {
      const server = await httpServer((_req, res) => kmsError(res, 400, type, 'no'))
      try {
        const clock = instantClock()
        const err = await caught(describeKey(session({ endpoint: server.endpoint, clock })))
        expect(err).toMatchObject({ code, awsCode: type, operation: 'DescribeKey' })
        expect(server.requests()).toBe(1)
        expect(clock.sleeps).toEqual([])
      } finally {
        await server.close()
      }
    }
  })

  it('a call that is not idempotent is not retried after a reset connection', async () => {
    const server = await httpServer((req) => req.socket.destroy())
    try {
      const clock = instantClock()
      const s = session({ endpoint: server.endpoint, clock })
      const err = await caught(
        s.call('CreateKey', (c, abortSignal) => c.send(new CreateKeyCommand({}), { abortSignal }), {
          idempotent: false,
        }),
      )
      expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE' })
      expect(server.requests()).toBe(1)
      expect(clock.sleeps).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('a caller signal stops the call with its reason', async () => {
    const clock = new ManualClock(0)
    const s = session({ endpoint: kms.endpoint, clock })
    const stop = new AbortController()
    const pending = s.call('Slow', () => new Promise<never>(() => {}), { signal: stop.signal })
    const reason = new Error('shutting down')
    stop.abort(reason)
    expect(await caught(pending)).toBe(reason)
  })
})

describe('every attempt ends within connectionTimeoutMs + requestTimeoutMs (regression)', () => {
  it('an endpoint that accepts and never answers: maxRetries 0 ends in about the timeout', async () => {
    const server = await silentServer()
    try {
      const s = session({
        endpoint: server.endpoint,
        retry: { maxRetries: 0, initialMs: 10, maxMs: 10 },
        connectionTimeoutMs: 100,
        requestTimeoutMs: 200,
      })
      const started = performance.now()
      // Before the fix this call never settled: fail clearly after 5 s instead of hanging.
      const guard = new Promise<Error>((resolve) =>
        setTimeout(() => resolve(new Error('the call did not end within 5 s')), 5_000).unref(),
      )
      const err = await Promise.race([caught(describeKey(s)), guard])
      const elapsed = performance.now() - started
      expect(err).toBeInstanceOf(KmsError)
      expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', operation: 'DescribeKey' })
      expect(err.message).toMatch(
        new RegExp(
          `^KMS DescribeKey at ${server.endpoint} failed after 1 attempt: TimeoutError: no answer within (200|300) ms$`,
        ),
      )
      expect(err.message).not.toContain('smithy')
      expect(elapsed).toBeLessThan(s.attemptTimeoutMs + 1_000)
      expect(server.connections()).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('a timeout is retried like a network error', async () => {
    const server = await silentServer()
    try {
      const clock = instantClock(50)
      const s = session({
        endpoint: server.endpoint,
        retry: { maxRetries: 1, initialMs: 10, maxMs: 10 },
        connectionTimeoutMs: 100,
        requestTimeoutMs: 150,
        clock,
      })
      const err = await caught(describeKey(s))
      expect(err.message).toMatch(/failed after 2 attempts: TimeoutError/)
      expect(server.connections()).toBe(2)
      expect(clock.sleeps).toHaveLength(1)
    } finally {
      await server.close()
    }
  })

  it('the deadline holds even when the request ignores its abort signal (fake time)', async () => {
    const clock = new ManualClock(0)
    const s = session({
      endpoint: kms.endpoint,
      retry: { maxRetries: 0, initialMs: 10, maxMs: 10 },
      connectionTimeoutMs: 1_000,
      requestTimeoutMs: 2_000,
      clock,
    })
    let seen: AbortSignal | undefined
    const pending = caught(
      s.call('Stuck', (_c, signal) => {
        seen = signal
        return new Promise<never>(() => {})
      }),
    )
    await Promise.resolve()
    clock.advance(2_999)
    await Promise.resolve()
    expect(seen?.aborted).toBe(false)
    clock.advance(1)
    const err = await pending
    expect(seen?.aborted).toBe(true)
    expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', operation: 'Stuck' })
    expect(err.message).toMatch(/failed after 1 attempt: TimeoutError: no answer within 3000 ms$/)
  })
})

describe('an answer that is not KMS (captive portal, wrong URL) is ERR_KMS_UNAVAILABLE (regression)', () => {
  for (const status of [200, 403]) {
    it(`HTML with HTTP ${status}: one clean line, not retried`, async () => {
      const server = await htmlServer(status)
      try {
        const clock = instantClock()
        const err = await caught(describeKey(session({ endpoint: server.endpoint, clock })))
        expect(err).toBeInstanceOf(KmsError)
        expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', operation: 'DescribeKey' })
        expect(err.message).toBe(
          `KMS endpoint ${server.endpoint} did not answer DescribeKey as KMS (HTTP ${status}, text/html)`,
        )
        expect(err.message).not.toMatch(/SyntaxError|Deserialization|\$response|<html/i)
        expect(server.requests()).toBe(1)
        expect(clock.sleeps).toEqual([])
      } finally {
        await server.close()
      }
    })
  }

  it('HTML with HTTP 502 (a proxy in trouble) is retried, then ERR_KMS_UNAVAILABLE', async () => {
    const server = await htmlServer(502)
    try {
      const s = session({
        endpoint: server.endpoint,
        retry: { maxRetries: 1, initialMs: 10, maxMs: 10 },
        clock: instantClock(),
      })
      const err = await caught(describeKey(s))
      expect(err.message).toBe(
        `KMS DescribeKey at ${server.endpoint} failed after 2 attempts: did not answer as KMS (HTTP 502, text/html)`,
      )
      expect(server.requests()).toBe(2)
    } finally {
      await server.close()
    }
  })

  it('a JSON content type with a body that is not JSON, or no content type at all', async () => {
    const garbled = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      res.end('<html>')
    })
    const bare = await httpServer((_req, res) => {
      res.writeHead(200)
      res.end('hello')
    })
    try {
      const a = await caught(describeKey(session({ endpoint: garbled.endpoint })))
      expect(a).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE' })
      expect(a.message).toBe(
        `KMS endpoint ${garbled.endpoint} did not answer DescribeKey as KMS (HTTP 200, a body that is not KMS JSON)`,
      )
      const b = await caught(describeKey(session({ endpoint: bare.endpoint })))
      expect(b.message).toBe(
        `KMS endpoint ${bare.endpoint} did not answer DescribeKey as KMS (HTTP 200, no content type)`,
      )
    } finally {
      await garbled.close()
      await bare.close()
    }
  })
})

describe('a password in the endpoint URL is never stored or printed (regression)', () => {
  const SECRET = 's3cret-pw'
  const withUserinfo = (endpoint: string): string =>
    endpoint.replace('http://', `http://station:${SECRET}@`)

  function expectNoSecret(value: unknown): void {
    expect(inspect(value, { depth: 8, showHidden: true })).not.toContain(SECRET)
    expect(JSON.stringify(value) ?? '').not.toContain(SECRET)
  }

  it('the session and what it describes carry the endpoint without userinfo', async () => {
    const s = session({ endpoint: withUserinfo(kms.endpoint) })
    expect(s.endpoint).toBe(kms.endpoint)
    expectNoSecret(await s.describe())
    const fetched = await fetchPublicKey(
      s,
      (
        await s.call('CreateKey', (c) =>
          c.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })),
        )
      ).KeyMetadata!.Arn!,
    )
    expect(fetched.source.endpoint).toBe(kms.endpoint)
    expectNoSecret(fetched)
  })

  it('checkEndpoint keeps the URL as written, minus the userinfo', () => {
    for (const [given, want] of [
      ['http://u:p@127.0.0.1:4599', 'http://127.0.0.1:4599'],
      ['https://u:p@kms.example.com/base/', 'https://kms.example.com/base/'],
      ['http://u:p@w@127.0.0.1:1', 'http://127.0.0.1:1'],
      ['http://user@host:1?x=1', 'http://host:1?x=1'],
      ['http://127.0.0.1:4599', 'http://127.0.0.1:4599'],
    ]) {
      expect(checkEndpoint(given!)).toBe(want)
    }
  })

  it('errors never hold it: refused connection, timeout, HTML, KMS refusal, bad URL', async () => {
    const port = await closedPort()
    const silent = await silentServer()
    const html = await htmlServer(403)
    try {
      const quick = { retry: { maxRetries: 0, initialMs: 1, maxMs: 1 } }
      const errors = [
        await caught(
          describeKey(session({ endpoint: withUserinfo(`http://127.0.0.1:${port}`), ...quick })),
        ),
        await caught(
          describeKey(
            session({
              endpoint: withUserinfo(silent.endpoint),
              ...quick,
              connectionTimeoutMs: 100,
              requestTimeoutMs: 100,
            }),
          ),
        ),
        await caught(describeKey(session({ endpoint: withUserinfo(html.endpoint), ...quick }))),
        await caught(
          describeKey(session({ endpoint: withUserinfo(kms.endpoint), ...quick }), 'alias/none'),
        ),
        await caught(() => checkEndpoint(`ftp://station:${SECRET}@host`)),
        await caught(() => checkEndpoint(`station:${SECRET}@host`)),
        await caught(() => checkEndpoint(`http://station:${SECRET}@[bad`)),
      ]
      expect(errors.map((e) => e.code)).toEqual([
        'ERR_KMS_UNAVAILABLE',
        'ERR_KMS_UNAVAILABLE',
        'ERR_KMS_UNAVAILABLE',
        'ERR_KMS_REQUEST',
        'ERR_USAGE',
        'ERR_USAGE',
        'ERR_USAGE',
      ])
      for (const err of errors) {
        expect(err.message).not.toContain(SECRET)
        expectNoSecret(err)
      }
    } finally {
      await silent.close()
      await html.close()
    }
  })
})

describe('credentials', () => {
  it('a profile from the shared credentials file works; an absent one → ERR_KMS_DENIED', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kms-client-creds-'))
    const file = join(dir, 'credentials')
    await writeFile(
      file,
      '[station]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n',
    )
    const saved = {
      creds: process.env.AWS_SHARED_CREDENTIALS_FILE,
      config: process.env.AWS_CONFIG_FILE,
    }
    process.env.AWS_SHARED_CREDENTIALS_FILE = file
    process.env.AWS_CONFIG_FILE = join(dir, 'config')
    try {
      const ok = session({ endpoint: kms.endpoint, profile: 'station', env: {} })
      const err = await caught(describeKey(ok, 'alias/absent'))
      expect(err.code).toBe('ERR_KMS_REQUEST') // signed and answered: the credentials were used
      const absent = session({ endpoint: kms.endpoint, env: { AWS_PROFILE: 'absent' } })
      const denied = await caught(describeKey(absent))
      expect(denied).toMatchObject({ code: 'ERR_KMS_DENIED', awsCode: 'CredentialsProviderError' })
      expect(denied.message).toMatch(/^KMS DescribeKey denied: CredentialsProviderError/)
    } finally {
      for (const [key, value] of [
        ['AWS_SHARED_CREDENTIALS_FILE', saved.creds],
        ['AWS_CONFIG_FILE', saved.config],
      ] as const) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
      await rm(dir, { recursive: true, force: true })
    }
  })
})
