/**
 * kmsUnwrap: KMS Decrypt as the envelope's Unwrap, through kms-local and the real SDK. Messages
 * sealed by the envelope's Sealer to a KMS key's public half open through Opener + kmsUnwrap with
 * one Decrypt per epoch; every way a ciphertext cannot open is the opaque ERR_DECRYPTION_FAILED;
 * KMS being away is ERR_UNWRAP_UNAVAILABLE, after the retry policy; no key bytes in errors or
 * events.
 */
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { CreateKeyCommand } from '@aws-sdk/client-kms'
import type { KMSClient } from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  DecryptionFailedError,
  KeyRejectedError,
  Opener,
  Sealer,
  toHex,
  UnwrapUnavailableError,
} from '../../envelope/src/index.ts'
import type { SealOutput } from '../../envelope/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { ManualClock } from '../../platform/src/index.ts'
import { fetchPublicKey, KmsError, KmsSession, kmsUnwrap } from '../../kms-client/src/index.ts'
import type { CheckedPublicKey, KmsUnwrapEvent } from '../../kms-client/src/index.ts'
import { kmsClientFor } from '../helpers/index.ts'
import { caught, ENV, faultProxy, httpServer, instantClock, kmsError } from './_helpers.ts'

const DEVICE = 'dev-0001'
let kms: KmsLocalServer
let admin: KMSClient
let session: KmsSession
let keyA: CheckedPublicKey
let keyB: CheckedPublicKey

async function createKey(spec: 'RSA_2048' | 'RSA_3072'): Promise<CheckedPublicKey> {
  const out = await admin.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT' }))
  return (await fetchPublicKey(session, out.KeyMetadata!.Arn!)).checked
}

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  admin = kmsClientFor(kms)
  session = new KmsSession({ endpoint: kms.endpoint, region: kms.region, env: ENV })
  keyA = await createKey('RSA_2048')
  keyB = await createKey('RSA_3072')
})

afterAll(async () => {
  session?.close()
  admin?.destroy()
  await kms?.close()
})

function sealer(key: CheckedPublicKey): Sealer {
  return new Sealer({
    wrapper: createKeyWrapper(key.key),
    deviceId: DEVICE,
    random: (n) => new Uint8Array(randomBytes(n)),
  })
}

function sealSome(key: CheckedPublicKey, n: number, form: 'full' | 'compact' = 'compact') {
  const s = sealer(key)
  let seq = 0
  const plaintexts = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`reading ${i}`))
  const sealed: SealOutput[] = plaintexts.map((p) => s.seal(p, () => ++seq, form))
  return { plaintexts, sealed }
}

describe('kmsUnwrap through kms-local', () => {
  it('opens what the Sealer sealed to the KMS key: one Decrypt per epoch, counted', async () => {
    const events: KmsUnwrapEvent[] = []
    const unwrap = kmsUnwrap({
      session,
      keys: { [keyA.pinId]: keyA.keyArn, [keyB.pinId.toUpperCase()]: keyB.keyArn },
      onUnwrap: (e) => events.push(e),
    })
    const opener = new Opener({ unwrap, pinIds: [keyA.key.pinId, keyB.key.pinId] })
    for (const key of [keyA, keyB]) {
      const { plaintexts, sealed } = sealSome(key, 4)
      const before = kms.callCount('Decrypt')
      const announced = await opener.openAnnouncement(sealed[0]!.announcement!.bytes, DEVICE)
      expect(announced.metadata).toMatchObject({ deviceId: DEVICE })
      for (let i = 0; i < sealed.length; i++) {
        const opened = await opener.open(sealed[i]!.message.bytes, DEVICE)
        expect(opened.plaintext).toEqual(plaintexts[i])
      }
      expect(kms.callCount('Decrypt') - before).toBe(1)
    }
    expect(unwrap.stats()).toEqual({
      decryptRequests: 2,
      unwrapped: 2,
      unknownKid: 0,
      decryptionFailed: 0,
      unavailable: 0,
    })
    expect(events.map((e) => [e.outcome, e.kid, e.requests])).toEqual([
      ['unwrapped', keyA.pinId, 1],
      ['unwrapped', keyB.pinId, 1],
    ])
  })

  it('opens a full-form data message on its own (no announcement first)', async () => {
    const unwrap = kmsUnwrap({ session, keys: { [keyA.pinId]: keyA.keyArn } })
    const opener = new Opener({ unwrap, pinIds: [keyA.key.pinId] })
    const { plaintexts, sealed } = sealSome(keyA, 2, 'full')
    const last = sealed.at(-1)!.message
    expect(last.form).toBe('full')
    const opened = await opener.open(last.bytes, DEVICE)
    expect(opened.plaintext).toEqual(plaintexts.at(-1))
    expect(opened.form).toBe('full')
    expect(unwrap.stats().decryptRequests).toBe(1)
  })

  it('the kid names one key, KMS is asked with another → ERR_DECRYPTION_FAILED', async () => {
    // A misconfigured map (or a forged kid): Decrypt under key B of a CEK wrapped to key A.
    const unwrap = kmsUnwrap({ session, keys: { [keyA.pinId]: keyB.keyArn } })
    const opener = new Opener({ unwrap, pinIds: [keyA.key.pinId] })
    const { sealed } = sealSome(keyA, 1)
    const before = kms.callCount('Decrypt')
    const err = await caught(opener.open(sealed[0]!.announcement!.bytes, DEVICE))
    expect(err).toBeInstanceOf(DecryptionFailedError)
    expect(err.code).toBe('ERR_DECRYPTION_FAILED')
    expect(err.cause).toBeUndefined()
    expect(kms.callCount('Decrypt') - before).toBe(1)
    expect(unwrap.stats()).toMatchObject({
      decryptionFailed: 1,
      decryptRequests: 1,
      unavailable: 0,
    })
  })

  it('a wrapped key altered in transit → ERR_DECRYPTION_FAILED (KMS InvalidCiphertextException)', async () => {
    const unwrap = kmsUnwrap({ session, keys: { [keyA.pinId]: keyA.keyArn } })
    const wrapped = new Uint8Array(256).fill(7)
    expect(await caught(unwrap(wrapped, keyA.key.pinId))).toBeInstanceOf(DecryptionFailedError)
    expect(unwrap.stats()).toMatchObject({ decryptionFailed: 1, decryptRequests: 1 })
  })

  it('a kid not in the map → ERR_DECRYPTION_FAILED without any KMS call, counted', async () => {
    const events: KmsUnwrapEvent[] = []
    const unwrap = kmsUnwrap({
      session,
      keys: { [keyB.pinId]: keyB.keyArn },
      onUnwrap: (e) => events.push(e),
    })
    const opener = new Opener({ unwrap }) // no pinIds: every kid reaches the unwrap
    const { sealed } = sealSome(keyA, 1)
    const before = kms.callCount('Decrypt')
    const err = await caught(opener.open(sealed[0]!.announcement!.bytes, DEVICE))
    expect(err.code).toBe('ERR_DECRYPTION_FAILED')
    expect(kms.callCount('Decrypt')).toBe(before)
    expect(unwrap.stats()).toMatchObject({ unknownKid: 1, decryptRequests: 0 })
    expect(events).toMatchObject([{ outcome: 'unknown-kid', kid: keyA.pinId, requests: 0 }])
    // A kid that is not 8 bytes, and a wrapped key of no RSA size: refused the same way, no call.
    expect(await caught(unwrap(new Uint8Array(256), new Uint8Array(7)))).toBeInstanceOf(
      DecryptionFailedError,
    )
    expect(await caught(unwrap(new Uint8Array(255), keyB.key.pinId))).toBeInstanceOf(
      DecryptionFailedError,
    )
    expect(kms.callCount('Decrypt')).toBe(before)
    expect(unwrap.stats()).toMatchObject({ unknownKid: 2, decryptionFailed: 1, decryptRequests: 0 })
  })

  it('throttled Decrypt is retried per the policy and then opens', async () => {
    let throttled = 0
    const proxy = await faultProxy(kms.endpoint, (op, res) => {
      if (op !== 'Decrypt' || throttled >= 2) return false
      throttled++
      kmsError(res, 400, 'ThrottlingException', 'Rate exceeded')
      return true
    })
    const clock = instantClock()
    const throttledSession = new KmsSession({
      endpoint: proxy.endpoint,
      region: kms.region,
      env: ENV,
      clock,
    })
    try {
      const unwrap = kmsUnwrap({ session: throttledSession, keys: { [keyA.pinId]: keyA.keyArn } })
      const opener = new Opener({ unwrap, pinIds: [keyA.key.pinId] })
      const { plaintexts, sealed } = sealSome(keyA, 1)
      const opened = await opener.open(sealed[0]!.announcement!.bytes, DEVICE)
      expect(opened.plaintext).toBeDefined()
      expect((await opener.open(sealed[0]!.message.bytes, DEVICE)).plaintext).toEqual(plaintexts[0])
      expect(throttled).toBe(2)
      expect(clock.sleeps).toHaveLength(2)
      expect(unwrap.stats()).toMatchObject({ decryptRequests: 3, unwrapped: 1 })
    } finally {
      throttledSession.close()
      await proxy.close()
    }
  })

  it('kms-local stopped → ERR_UNWRAP_UNAVAILABLE (retryable), after the retries, not the opaque error', async () => {
    const local = await startKmsLocal({ port: 0 })
    const localAdmin = kmsClientFor(local)
    const clock = instantClock()
    const localSession = new KmsSession({
      endpoint: local.endpoint,
      region: local.region,
      env: ENV,
      retry: { maxRetries: 2, initialMs: 100, maxMs: 1_000 },
      clock,
    })
    try {
      const created = await localAdmin.send(
        new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
      )
      const key = (await fetchPublicKey(localSession, created.KeyMetadata!.Arn!)).checked
      const events: KmsUnwrapEvent[] = []
      const unwrap = kmsUnwrap({
        session: localSession,
        keys: { [key.pinId]: key.keyArn },
        onUnwrap: (e) => events.push(e),
      })
      const opener = new Opener({ unwrap, pinIds: [key.key.pinId] })
      const { sealed } = sealSome(key, 1)
      localAdmin.destroy()
      await local.close()
      const err = await caught(opener.open(sealed[0]!.announcement!.bytes, DEVICE))
      expect(err).toBeInstanceOf(UnwrapUnavailableError)
      expect(err.code).toBe('ERR_UNWRAP_UNAVAILABLE')
      expect(err.cause).toBeInstanceOf(KmsError)
      expect(err.cause).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', operation: 'Decrypt' })
      expect((err.cause as Error).message).toMatch(/failed after 3 attempts: .*ECONNREFUSED/)
      expect(clock.sleeps).toHaveLength(2)
      expect(unwrap.stats()).toMatchObject({ unavailable: 1, decryptRequests: 3 })
      expect(events).toMatchObject([{ outcome: 'unavailable', requests: 3 }])
      expect(events[0]!.error).toBe(err.cause)
    } finally {
      localSession.close()
    }
  })
})

describe('kmsUnwrap against a scripted endpoint', () => {
  /** A KMS stand-in answering Decrypt with `answer` (status, JSON body). */
  async function scripted(answer: () => [number, unknown]) {
    const server = await httpServer((_req, res) => {
      const [status, body] = answer()
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
      res.end(JSON.stringify(body))
    })
    const s = new KmsSession({
      endpoint: server.endpoint,
      region: 'us-east-1',
      env: ENV,
      clock: instantClock(),
    })
    const kid = new Uint8Array(8).fill(0xab)
    const unwrap = kmsUnwrap({ session: s, keys: { [toHex(kid)]: 'alias/fleet' } })
    return {
      unwrap: (wrapped = new Uint8Array(256).fill(1)) => unwrap(wrapped, kid),
      stats: () => unwrap.stats(),
      close: async () => {
        s.close()
        await server.close()
      },
    }
  }

  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

  it('sends RSAES_OAEP_SHA_256, the mapped key id and the wrapped bytes unchanged', async () => {
    let request: any
    const cek = new Uint8Array(32).fill(5)
    const server = await httpServer((req, res, body) => {
      request = { target: req.headers['x-amz-target'], body: JSON.parse(body.toString()) }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      res.end(
        JSON.stringify({
          KeyId: 'arn',
          Plaintext: b64(cek),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      )
    })
    const s = new KmsSession({ endpoint: server.endpoint, region: 'us-east-1', env: ENV })
    try {
      const kid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)
      const wrapped = new Uint8Array(randomBytes(384))
      const unwrap = kmsUnwrap({ session: s, keys: new Map([['0102030405060708', 'alias/fleet']]) })
      expect(await unwrap(wrapped, kid)).toEqual(cek)
      expect(request).toEqual({
        target: 'TrentService.Decrypt',
        body: {
          KeyId: 'alias/fleet',
          CiphertextBlob: b64(wrapped),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        },
      })
    } finally {
      s.close()
      await server.close()
    }
  })

  for (const [name, answer] of [
    [
      'InvalidCiphertextException',
      () => [400, { __type: 'InvalidCiphertextException', message: 'x' }],
    ],
    ['IncorrectKeyException', () => [400, { __type: 'IncorrectKeyException', message: 'x' }]],
    [
      'a 31-byte plaintext',
      () => [200, { KeyId: 'k', Plaintext: b64(new Uint8Array(31).fill(9)) }],
    ],
    [
      'a 33-byte plaintext',
      () => [200, { KeyId: 'k', Plaintext: b64(new Uint8Array(33).fill(9)) }],
    ],
    ['no plaintext', () => [200, { KeyId: 'k' }]],
  ] as const) {
    it(`${name} → the opaque DecryptionFailedError, one request`, async () => {
      const t = await scripted(answer as () => [number, unknown])
      try {
        const err = await caught(t.unwrap())
        expect(err).toBeInstanceOf(DecryptionFailedError)
        expect(err.message).toBe('decryption failed')
        expect(err.cause).toBeUndefined()
        expect(t.stats()).toMatchObject({ decryptionFailed: 1, decryptRequests: 1 })
      } finally {
        await t.close()
      }
    })
  }

  for (const [name, answer, want] of [
    [
      'AccessDeniedException',
      [400, { __type: 'AccessDeniedException', message: 'no' }],
      'ERR_KMS_DENIED',
    ],
    [
      'NotFoundException',
      [400, { __type: 'NotFoundException', message: 'gone' }],
      'ERR_KMS_REQUEST',
    ],
    ['DisabledException', [400, { __type: 'DisabledException', message: 'off' }], 'ERR_KEY_STATE'],
    [
      'KMSInternalException every time',
      [500, { __type: 'KMSInternalException', message: 'oops' }],
      'ERR_KMS_UNAVAILABLE',
    ],
  ] as const) {
    it(`${name} → ${want}: not the opaque error, so the Opener says retry later`, async () => {
      const t = await scripted(() => answer as unknown as [number, unknown])
      try {
        const err = await caught(t.unwrap())
        expect(err).not.toBeInstanceOf(DecryptionFailedError)
        expect(err.code).toBe(want)
        if (want === 'ERR_KEY_STATE') expect(err).toBeInstanceOf(KeyRejectedError)
        else expect(err).toBeInstanceOf(KmsError)
        expect(t.stats().unavailable).toBe(1)
      } finally {
        await t.close()
      }
    })
  }

  it('no key bytes in errors or events: neither the wrapped key nor the CEK', async () => {
    const cek = new Uint8Array(randomBytes(31))
    const wrapped = new Uint8Array(randomBytes(256))
    const events: KmsUnwrapEvent[] = []
    const server = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      res.end(JSON.stringify({ KeyId: 'k', Plaintext: b64(cek) }))
    })
    const s = new KmsSession({ endpoint: server.endpoint, region: 'us-east-1', env: ENV })
    try {
      const kid = new Uint8Array(8).fill(1)
      const unwrap = kmsUnwrap({
        session: s,
        keys: { [toHex(kid)]: 'alias/k' },
        onUnwrap: (e) => events.push(e),
      })
      const err = await caught(unwrap(wrapped, kid))
      const shown = inspect({ err, events }, { depth: 10, showHidden: true })
      for (const secret of [cek, wrapped]) {
        expect(shown).not.toContain(toHex(secret))
        expect(shown).not.toContain(b64(secret))
      }
      expect(events).toMatchObject([{ outcome: 'decryption-failed', requests: 1 }])
    } finally {
      s.close()
      await server.close()
    }
  })

  it('a throwing metrics hook changes nothing; durations come from the injected clock', async () => {
    const clock = new ManualClock(0)
    const kid = new Uint8Array(8)
    const durations: number[] = []
    const unwrap = kmsUnwrap({
      session,
      keys: { [toHex(new Uint8Array(8).fill(1))]: 'alias/x' },
      clock,
      onUnwrap: (e) => {
        durations.push(e.durationMs)
        throw new Error('metrics backend down')
      },
    })
    expect(await caught(unwrap(new Uint8Array(256), kid))).toBeInstanceOf(DecryptionFailedError)
    expect(durations).toEqual([0])
  })

  it('refuses malformed key maps (caller bugs)', () => {
    expect(() => kmsUnwrap({ session, keys: {} })).toThrow(RangeError)
    expect(() => kmsUnwrap({ session, keys: { abc: 'alias/x' } })).toThrow(/16 hex digits/)
    expect(() => kmsUnwrap({ session, keys: { ['00'.repeat(8)]: '' } })).toThrow(RangeError)
    expect(() => kmsUnwrap({ session, keys: null as never })).toThrow(TypeError)
  })
})
