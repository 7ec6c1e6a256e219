import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ExpiredImportTokenException,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  IncorrectKeyMaterialException,
  InvalidCiphertextException,
  InvalidImportTokenException,
  KMSInvalidStateException,
  UnsupportedOperationException,
  type KMSClient,
} from '@aws-sdk/client-kms'
import {
  constants,
  createDecipheriv,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aesKeyWrapPad } from '../../kms-local/src/aes_key_wrap.ts'
import { startKmsLocal, type AuditEvent, type KmsLocalServer } from '../../kms-local/src/index.ts'
import { caught, cleanupTempDirs, kmsClientFor, tempDir } from '../helpers/index.ts'
import { DAY_MS, fakeClock, raw } from './_helpers.ts'

const clock = fakeClock()
let server: KmsLocalServer
let kms: KMSClient

beforeAll(async () => {
  server = await startKmsLocal({ port: 0, clock })
  kms = kmsClientFor(server)
})

afterAll(async () => {
  kms?.destroy()
  await server?.close()
})

function oaep(spki: Uint8Array, hash: 'sha1' | 'sha256', data: Uint8Array): Buffer {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data)
}

/** `RSA_AES_KEY_WRAP_SHA_*`: OAEP of a fresh AES-256 key, then RFC 5649 of the material. */
function rsaAesKeyWrap(spki: Uint8Array, hash: 'sha1' | 'sha256', material: Uint8Array): Buffer {
  const aesKey = randomBytes(32)
  return Buffer.concat([oaep(spki, hash, aesKey), aesKeyWrapPad(aesKey, material)])
}

describe('BYOK of a symmetric key', () => {
  const material = randomBytes(32)
  let keyId: string

  it('creates an EXTERNAL key in PendingImport, unusable until import', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))
    keyId = KeyMetadata!.KeyId!
    expect(KeyMetadata).toMatchObject({
      Origin: 'EXTERNAL',
      KeyState: 'PendingImport',
      Enabled: false,
    })
    expect(KeyMetadata!.ExpirationModel).toBeUndefined()
    const err = await caught(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
    )
    expect(err).toBeInstanceOf(KMSInvalidStateException)
    expect(err.message).toBe(`${KeyMetadata!.Arn} is pending import.`)
  })

  it('answers a wrapping key and a token valid 24 hours, and imports OAEP-SHA-256 wrapped material', async () => {
    const params = await kms.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
        WrappingKeySpec: 'RSA_2048',
      }),
    )
    expect(params.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`)
    expect(params.ParametersValidTo!.getTime()).toBe(clock.now() + DAY_MS)
    const wrappingKey = createPublicKey({
      key: Buffer.from(params.PublicKey!),
      format: 'der',
      type: 'spki',
    })
    expect(wrappingKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
    const out = await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: oaep(params.PublicKey!, 'sha256', material),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    )
    expect(out.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/)
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    expect(KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      CurrentKeyMaterialId: out.KeyMaterialId,
    })
    expect(KeyMetadata!.ValidTo).toBeUndefined()
  })

  it('encrypts with exactly the imported material', async () => {
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('byok') }))
    const blob = Buffer.from(enc.CiphertextBlob!)
    // Open the blob by hand with the material we imported (layout in symmetric_ciphertext.ts).
    const header = blob.subarray(0, 39)
    const d = createDecipheriv('aes-256-gcm', material, blob.subarray(39, 51))
    d.setAAD(Buffer.concat([header, Buffer.from('[]')]))
    d.setAuthTag(blob.subarray(blob.length - 16))
    expect(
      Buffer.concat([d.update(blob.subarray(51, blob.length - 16)), d.final()]).toString(),
    ).toBe('byok')
  })

  it('accepts the same material again (any supported wrapping) but refuses different material', async () => {
    const params = await kms.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_1',
        WrappingKeySpec: 'RSA_3072',
      }),
    )
    await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: rsaAesKeyWrap(params.PublicKey!, 'sha1', material),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    )
    const err = await caught(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: rsaAesKeyWrap(params.PublicKey!, 'sha1', randomBytes(32)),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
    )
    expect(err).toBeInstanceOf(IncorrectKeyMaterialException)
  })
})

describe('BYOK of an RSA key (RSA_AES_KEY_WRAP_SHA_256, PKCS #8)', () => {
  it('imports the private key, serves its public key, and expires it at ValidTo', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Origin: 'EXTERNAL',
        KeySpec: 'RSA_2048',
        KeyUsage: 'ENCRYPT_DECRYPT',
      }),
    )
    const keyId = KeyMetadata!.KeyId!
    const oaepOnly = await caught(
      kms.send(
        new GetParametersForImportCommand({
          KeyId: keyId,
          WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          WrappingKeySpec: 'RSA_4096',
        }),
      ),
    )
    expect(oaepOnly).toBeInstanceOf(UnsupportedOperationException)
    const params = await kms.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
        WrappingKeySpec: 'RSA_4096',
      }),
    )
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' })
    const validTo = new Date(clock.now() + 30 * DAY_MS)
    const noValidTo = await caught(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: rsaAesKeyWrap(params.PublicKey!, 'sha256', pkcs8),
        }),
      ),
    )
    expect(noValidTo.name).toBe('ValidationException')
    expect(noValidTo.message).toBe(
      'ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES',
    )
    await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: rsaAesKeyWrap(params.PublicKey!, 'sha256', pkcs8),
        ValidTo: validTo,
      }),
    )
    const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    expect(described.KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
    })
    expect(described.KeyMetadata!.ValidTo).toEqual(validTo)
    const pk = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))
    expect(
      Buffer.from(pk.PublicKey!).equals(publicKey.export({ type: 'spki', format: 'der' })),
    ).toBe(true)
    const ct = oaep(pk.PublicKey!, 'sha256', Buffer.from('cek'))
    const dec = await kms.send(
      new DecryptCommand({
        KeyId: keyId,
        CiphertextBlob: ct,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    )
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('cek')

    clock.advance(30 * DAY_MS)
    const expired = await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    expect(expired.KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false })
    const err = await caught(
      kms.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: ct,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    )
    expect(err).toBeInstanceOf(KMSInvalidStateException)
  })

  it('refuses material of the wrong size for the key spec', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 })
    const keyId = (
      await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', KeySpec: 'RSA_2048' }))
    ).KeyMetadata!.KeyId!
    const params = await kms.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
        WrappingKeySpec: 'RSA_2048',
      }),
    )
    const err = await caught(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: rsaAesKeyWrap(
            params.PublicKey!,
            'sha256',
            privateKey.export({ type: 'pkcs8', format: 'der' }),
          ),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
    )
    expect(err).toBeInstanceOf(IncorrectKeyMaterialException)
  })
})

describe('import tokens and wrapped material', () => {
  let keyId: string
  let params: { ImportToken?: Uint8Array; PublicKey?: Uint8Array }

  beforeAll(async () => {
    keyId = (await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!
    params = await kms.send(
      new GetParametersForImportCommand({
        KeyId: keyId,
        WrappingAlgorithm: 'RSAES_OAEP_SHA_1',
        WrappingKeySpec: 'RSA_2048',
      }),
    )
  })

  const importWith = (token: Uint8Array | undefined, encrypted: Uint8Array, id = keyId) =>
    kms.send(
      new ImportKeyMaterialCommand({
        KeyId: id,
        ImportToken: token,
        EncryptedKeyMaterial: encrypted,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    )

  it('answers InvalidCiphertextException for material wrapped with another hash or garbage', async () => {
    for (const bad of [
      oaep(params.PublicKey!, 'sha256', randomBytes(32)),
      randomBytes(256),
      randomBytes(5),
    ]) {
      const err = await caught(importWith(params.ImportToken, bad))
      expect(err).toBeInstanceOf(InvalidCiphertextException)
    }
  })

  it("answers InvalidImportTokenException for another key's token or a forged one", async () => {
    const other = (await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!
    const err = await caught(
      importWith(params.ImportToken, oaep(params.PublicKey!, 'sha1', randomBytes(32)), other),
    )
    expect(err).toBeInstanceOf(InvalidImportTokenException)
    const forged = await caught(
      importWith(randomBytes(56), oaep(params.PublicKey!, 'sha1', randomBytes(32))),
    )
    expect(forged).toBeInstanceOf(InvalidImportTokenException)
  })

  it('answers ExpiredImportTokenException after 24 hours', async () => {
    clock.advance(DAY_MS)
    const err = await caught(
      importWith(params.ImportToken, oaep(params.PublicKey!, 'sha1', randomBytes(32))),
    )
    expect(err).toBeInstanceOf(ExpiredImportTokenException)
  })

  it('refuses RSAES_PKCS1_V1_5 wrapping (gone since 2023-10-10) and AWS_KMS keys', async () => {
    const pkcs1 = await caught(
      kms.send(
        new GetParametersForImportCommand({
          KeyId: keyId,
          WrappingAlgorithm: 'RSAES_PKCS1_V1_5',
          WrappingKeySpec: 'RSA_2048',
        }),
      ),
    )
    expect(pkcs1).toBeInstanceOf(UnsupportedOperationException)
    const native = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!
    const err = await caught(
      kms.send(
        new GetParametersForImportCommand({
          KeyId: native.KeyId,
          WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          WrappingKeySpec: 'RSA_2048',
        }),
      ),
    )
    expect(err).toBeInstanceOf(UnsupportedOperationException)
    expect(err.message).toBe(
      `${native.Arn} origin is AWS_KMS which is not valid for this operation.`,
    )
  })
})

describe('ImportKeyMaterial with a ValidTo that is no time (1e300, 1e400)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await tempDir('kms-local-validto-')
  })
  afterAll(cleanupTempDirs)

  it('answers ValidationException, leaves the key pending import, and the audit log and state file keep working', async () => {
    const auditLog = join(dir, 'audit.jsonl')
    const stateFile = join(dir, 'state.json')
    const lines: string[] = []
    const local = await startKmsLocal({
      port: 0,
      clock,
      auditLog,
      stateFile,
      log: (line) => lines.push(line),
    })
    const client = kmsClientFor(local)
    try {
      const keyId = (await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!
        .KeyId!
      const params = await client.send(
        new GetParametersForImportCommand({
          KeyId: keyId,
          WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          WrappingKeySpec: 'RSA_2048',
        }),
      )
      const material = randomBytes(32)
      // The body is written by hand: 1e400 is valid JSON that JSON.parse reads as Infinity.
      const body = (validTo: string): string =>
        `{"KeyId":"${keyId}","ImportToken":"${Buffer.from(params.ImportToken!).toString('base64')}",` +
        `"EncryptedKeyMaterial":"${oaep(params.PublicKey!, 'sha256', material).toString('base64')}",` +
        `"ValidTo":${validTo}}`
      for (const validTo of ['1e300', '1e400', '-1e300', '8640000000001']) {
        const res = await raw(local, 'TrentService.ImportKeyMaterial', body(validTo))
        expect(res.json, validTo).toEqual({
          __type: 'ValidationException',
          message:
            "1 validation error detected: Value at 'validTo' failed to satisfy constraint: Member must be a time within 8640000000000 seconds of 1970-01-01T00:00:00Z",
        })
      }
      const text = await raw(local, 'TrentService.ImportKeyMaterial', body('"soon"'))
      expect(text.json).toEqual({
        __type: 'SerializationException',
        message: "Expected a timestamp in epoch seconds for member 'validTo'",
      })
      const pending = await client.send(new DescribeKeyCommand({ KeyId: keyId }))
      expect(pending.KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false })

      // A real import still works and is saved: nothing was left broken.
      const validTo = clock.now() / 1000 + 3600
      expect(
        (await raw(local, 'TrentService.ImportKeyMaterial', body(String(validTo)))).status,
      ).toBe(200)
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { keys: { validTo: string }[] }
      expect(saved.keys[0]!.validTo).toBe(new Date(validTo * 1000).toISOString())
    } finally {
      client.destroy()
      await local.close()
    }
    const events = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent)
    expect(events.map((e) => e.errorCode ?? 'ok')).toEqual([
      'ok',
      'ok',
      'ValidationException',
      'ValidationException',
      'ValidationException',
      'ValidationException',
      'SerializationException',
      'ok',
      'ok',
    ])
    expect(events[2]!.requestParameters).toBeNull()
    expect(lines).toEqual([])
  })
})
