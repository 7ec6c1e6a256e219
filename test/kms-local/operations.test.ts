import {
  AlreadyExistsException,
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisabledException,
  DryRunOperationException,
  EnableKeyCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidAliasNameException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  InvalidMarkerException,
  KeySpec,
  KMSInvalidStateException,
  KMSServiceException,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  UnsupportedOperationException,
  type KMSClient,
} from '@aws-sdk/client-kms'
import { constants, createPublicKey, publicEncrypt } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal, type KmsLocalServer } from '../../kms-local/src/index.ts'
import { caught, kmsClientFor } from '../helpers/index.ts'
import { DAY_MS, fakeClock } from './_helpers.ts'

const clock = fakeClock()
let server: KmsLocalServer
let kms: KMSClient
let rsaKeyId: string
let rsaArn: string
let symKeyId: string
let signKeyId: string

beforeAll(async () => {
  server = await startKmsLocal({ port: 0, clock })
  kms = kmsClientFor(server)
  const rsa = await kms.send(
    new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
  )
  rsaKeyId = rsa.KeyMetadata!.KeyId!
  rsaArn = rsa.KeyMetadata!.Arn!
  symKeyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
  signKeyId = (
    await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))
  ).KeyMetadata!.KeyId!
})

afterAll(async () => {
  kms?.destroy()
  await server?.close()
})

function spkiOf(bytes: Uint8Array) {
  return createPublicKey({ key: Buffer.from(bytes), format: 'der', type: 'spki' })
}

describe('CreateKey', () => {
  it('answers the KeyMetadata of an RSA ENCRYPT_DECRYPT key as AWS does', async () => {
    const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: rsaKeyId }))
    expect(m).toMatchObject({
      AWSAccountId: '111122223333',
      KeyId: rsaKeyId,
      Arn: `arn:aws:kms:us-east-1:111122223333:key/${rsaKeyId}`,
      Enabled: true,
      Description: '',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      KeySpec: 'RSA_2048',
      CustomerMasterKeySpec: 'RSA_2048',
      EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
      MultiRegion: false,
    })
    expect(rsaKeyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(m!.CreationDate).toBeInstanceOf(Date)
    expect(m!.CreationDate!.getTime()).toBe(clock.now())
    expect(m!.SigningAlgorithms).toBeUndefined()
  })

  it('defaults to SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT / AWS_KMS', async () => {
    const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: symKeyId }))
    expect(m).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Origin: 'AWS_KMS',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    })
    expect(m!.CurrentKeyMaterialId).toMatch(/^[0-9a-f]{64}$/)
  })

  it('lists signing algorithms for SIGN_VERIFY keys', async () => {
    const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: signKeyId }))
    expect(m!.SigningAlgorithms).toEqual([
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
    ])
    expect(m!.EncryptionAlgorithms).toBeUndefined()
  })

  it('creates RSA_3072 and RSA_4096 keys with the right modulus, and keeps Description and Tags', async () => {
    for (const [spec, bits] of [
      ['RSA_3072', 3072],
      ['RSA_4096', 4096],
    ] as const) {
      const { KeyMetadata: m } = await kms.send(
        new CreateKeyCommand({
          KeySpec: spec,
          KeyUsage: 'ENCRYPT_DECRYPT',
          Description: 'gateway fleet',
          Tags: [{ TagKey: 'team', TagValue: 'iot' }],
        }),
      )
      expect(m).toMatchObject({ KeySpec: spec, Description: 'gateway fleet' })
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: m!.KeyId }))
      expect(spkiOf(PublicKey!).asymmetricKeyDetails?.modulusLength).toBe(bits)
    }
  })

  it('accepts the deprecated CustomerMasterKeySpec, but not together with KeySpec', async () => {
    const { KeyMetadata: m } = await kms.send(
      new CreateKeyCommand({ CustomerMasterKeySpec: 'RSA_2048' }),
    )
    expect(m!.KeySpec).toBe('RSA_2048')
    const err = await caught(
      kms.send(new CreateKeyCommand({ CustomerMasterKeySpec: 'RSA_2048', KeySpec: 'RSA_2048' })),
    )
    expect(err).toBeInstanceOf(KMSServiceException)
    expect(err.name).toBe('ValidationException')
    expect(err.message).toMatch(/You cannot specify KeySpec and CustomerMasterKeySpec/)
  })

  it('refuses SIGN_VERIFY for a symmetric key (ValidationException)', async () => {
    const err = await caught(kms.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY' })))
    expect(err.name).toBe('ValidationException')
    expect(err.message).toBe(
      'KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT',
    )
  })

  it('refuses well-formed key specs it does not implement with UnsupportedOperationException', async () => {
    const err = await caught(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })),
    )
    expect(err).toBeInstanceOf(UnsupportedOperationException)
    expect(err.message).toBe('kms-local does not support KeySpec ECC_NIST_P256')
    const hsm = await caught(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM' })))
    expect(hsm).toBeInstanceOf(UnsupportedOperationException)
  })

  it('refuses a value outside the model enum with the AWS validation message', async () => {
    const err = await caught(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_1024' as never })))
    expect(err.name).toBe('ValidationException')
    // The value set is the SDK's KeySpec enum, listed in its (alphabetical) order.
    expect(err.message).toBe(
      "1 validation error detected: Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: " +
        `[${Object.values(KeySpec).join(', ')}]`,
    )
    expect(err.message).toContain('RSA_2048, RSA_3072, RSA_4096')
  })

  it('takes the key specs the SDK knows beyond the reference model as well-formed but unsupported', async () => {
    const err = await caught(kms.send(new CreateKeyCommand({ KeySpec: 'ML_KEM_768' })))
    expect(err).toBeInstanceOf(UnsupportedOperationException)
    expect(err.message).toBe('kms-local does not support KeySpec ML_KEM_768')
  })
})

describe('key references and aliases', () => {
  const alias = 'alias/sealwire-test'

  beforeAll(async () => {
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: rsaKeyId }))
  })

  it('resolves a key id, key ARN, alias name and alias ARN to the same key', async () => {
    const forms = [rsaKeyId, rsaArn, alias, `arn:aws:kms:us-east-1:111122223333:${alias}`]
    for (const KeyId of forms) {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId }))
      expect(KeyMetadata!.KeyId, KeyId).toBe(rsaKeyId)
    }
  })

  it('answers NotFoundException with the AWS messages for missing keys and aliases', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    const cases: [string, string][] = [
      [missing, `Key 'arn:aws:kms:us-east-1:111122223333:key/${missing}' does not exist`],
      ['alias/none', 'Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.'],
      [
        `arn:aws:kms:eu-west-1:111122223333:key/${rsaKeyId}`,
        `Key 'arn:aws:kms:eu-west-1:111122223333:key/${rsaKeyId}' does not exist`,
      ],
      ['not-a-key', 'Invalid keyId not-a-key'],
      ['arn:aws:kms:us-east-1:1:key/x', 'Invalid arn arn:aws:kms:us-east-1:1:key/x'],
    ]
    for (const [KeyId, message] of cases) {
      const err = await caught(kms.send(new DescribeKeyCommand({ KeyId })))
      expect(err, KeyId).toBeInstanceOf(NotFoundException)
      expect(err.name).toBe('NotFoundException')
      expect(err.message).toBe(message)
      expect(err.$metadata.httpStatusCode).toBe(400)
    }
  })

  it('refuses a duplicate alias with AlreadyExistsException', async () => {
    const err = await caught(
      kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: symKeyId })),
    )
    expect(err).toBeInstanceOf(AlreadyExistsException)
    expect(err.message).toBe(
      'An alias with the name arn:aws:kms:us-east-1:111122223333:alias/sealwire-test already exists',
    )
  })

  it('refuses alias names without the alias/ prefix, reserved alias/aws/ names and bad characters', async () => {
    const noPrefix = await caught(
      kms.send(new CreateAliasCommand({ AliasName: 'sealwire', TargetKeyId: symKeyId })),
    )
    expect(noPrefix.name).toBe('ValidationException')
    const reserved = await caught(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/kms', TargetKeyId: symKeyId })),
    )
    expect(reserved).toBeInstanceOf(InvalidAliasNameException)
    const chars = await caught(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/a b', TargetKeyId: symKeyId })),
    )
    expect(chars.name).toBe('ValidationException')
    expect(chars.message).toContain(
      "at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    )
  })

  it('needs a key id or key ARN as TargetKeyId (not an alias)', async () => {
    const err = await caught(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/other', TargetKeyId: alias })),
    )
    expect(err).toBeInstanceOf(NotFoundException)
  })

  it('lists aliases with ARNs and dates, filtered by key, in pages', async () => {
    await kms.send(
      new CreateAliasCommand({ AliasName: 'alias/sealwire-test-2', TargetKeyId: rsaArn }),
    )
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/sym', TargetKeyId: symKeyId }))
    const all = await kms.send(new ListAliasesCommand({}))
    expect(all.Truncated).toBe(false)
    expect(all.Aliases!.map((a) => a.AliasName)).toEqual([
      'alias/sealwire-test',
      'alias/sealwire-test-2',
      'alias/sym',
    ])
    expect(all.Aliases![0]).toMatchObject({
      AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/sealwire-test',
      TargetKeyId: rsaKeyId,
    })
    expect(all.Aliases![0]!.CreationDate).toBeInstanceOf(Date)
    const ofRsa = await kms.send(new ListAliasesCommand({ KeyId: rsaKeyId }))
    expect(ofRsa.Aliases!.map((a) => a.AliasName)).toEqual([
      'alias/sealwire-test',
      'alias/sealwire-test-2',
    ])
    const p1 = await kms.send(new ListAliasesCommand({ Limit: 2 }))
    expect(p1.Truncated).toBe(true)
    expect(p1.Aliases).toHaveLength(2)
    const p2 = await kms.send(new ListAliasesCommand({ Limit: 2, Marker: p1.NextMarker }))
    expect(p2.Truncated).toBe(false)
    expect(p2.NextMarker).toBeUndefined()
    expect(p2.Aliases!.map((a) => a.AliasName)).toEqual(['alias/sym'])
    const bad = await caught(kms.send(new ListAliasesCommand({ Marker: 'garbage!' })))
    expect(bad).toBeInstanceOf(InvalidMarkerException)
  })

  it('lists keys with their ARNs', async () => {
    const { Keys, Truncated } = await kms.send(new ListKeysCommand({}))
    expect(Truncated).toBe(false)
    expect(Keys).toContainEqual({ KeyId: rsaKeyId, KeyArn: rsaArn })
    const first = await kms.send(new ListKeysCommand({ Limit: 1 }))
    expect(first.Truncated).toBe(true)
    const rest = await kms.send(new ListKeysCommand({ Marker: first.NextMarker }))
    expect([...first.Keys!, ...rest.Keys!]).toEqual(Keys)
  })
})

describe('GetPublicKey', () => {
  it('answers the DER SPKI with key spec, usage and OAEP algorithms', async () => {
    const out = await kms.send(new GetPublicKeyCommand({ KeyId: rsaKeyId }))
    expect(out).toMatchObject({
      KeyId: rsaArn,
      KeySpec: 'RSA_2048',
      CustomerMasterKeySpec: 'RSA_2048',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
    })
    const key = spkiOf(out.PublicKey!)
    expect(key.asymmetricKeyType).toBe('rsa')
    expect(key.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n })
  })

  it('answers SigningAlgorithms for SIGN_VERIFY keys', async () => {
    const out = await kms.send(new GetPublicKeyCommand({ KeyId: signKeyId }))
    expect(out.KeyUsage).toBe('SIGN_VERIFY')
    expect(out.SigningAlgorithms).toContain('RSASSA_PSS_SHA_256')
    expect(out.EncryptionAlgorithms).toBeUndefined()
  })

  it('refuses symmetric keys with UnsupportedOperationException', async () => {
    const err = await caught(kms.send(new GetPublicKeyCommand({ KeyId: symKeyId })))
    expect(err).toBeInstanceOf(UnsupportedOperationException)
    expect(err.message).toContain('SYMMETRIC_DEFAULT')
  })
})

describe('Encrypt and Decrypt with RSA keys', () => {
  for (const [algorithm, hash] of [
    ['RSAES_OAEP_SHA_256', 'sha256'],
    ['RSAES_OAEP_SHA_1', 'sha1'],
  ] as const) {
    it(`decrypts node:crypto publicEncrypt output (${algorithm}, empty label) with the SPKI from GetPublicKey`, async () => {
      const { PublicKey } = await kms.send(
        new GetPublicKeyCommand({ KeyId: 'alias/sealwire-test' }),
      )
      const cek = Buffer.from('0123456789abcdef0123456789abcdef')
      const ct = publicEncrypt(
        { key: spkiOf(PublicKey!), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
        cek,
      )
      const out = await kms.send(
        new DecryptCommand({ KeyId: rsaKeyId, CiphertextBlob: ct, EncryptionAlgorithm: algorithm }),
      )
      expect(Buffer.from(out.Plaintext!).equals(cek)).toBe(true)
      expect(out.KeyId).toBe(rsaArn)
      expect(out.EncryptionAlgorithm).toBe(algorithm)
      expect(out.KeyMaterialId).toBeUndefined()
    })

    it(`round-trips KMS Encrypt and Decrypt (${algorithm}) with raw RSA ciphertext`, async () => {
      const enc = await kms.send(
        new EncryptCommand({
          KeyId: rsaArn,
          Plaintext: Buffer.from('hi'),
          EncryptionAlgorithm: algorithm,
        }),
      )
      expect(enc.CiphertextBlob).toHaveLength(256)
      expect(enc).toMatchObject({ KeyId: rsaArn, EncryptionAlgorithm: algorithm })
      const dec = await kms.send(
        new DecryptCommand({
          KeyId: 'alias/sealwire-test',
          CiphertextBlob: enc.CiphertextBlob,
          EncryptionAlgorithm: algorithm,
        }),
      )
      expect(Buffer.from(dec.Plaintext!).toString()).toBe('hi')
    })
  }

  it('enforces the OAEP plaintext limit (190 bytes for RSA_2048 with SHA-256)', async () => {
    const ok = await kms.send(
      new EncryptCommand({
        KeyId: rsaKeyId,
        Plaintext: Buffer.alloc(190, 1),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    )
    expect(ok.CiphertextBlob).toHaveLength(256)
    const err = await caught(
      kms.send(
        new EncryptCommand({
          KeyId: rsaKeyId,
          Plaintext: Buffer.alloc(191, 1),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    )
    expect(err.name).toBe('ValidationException')
  })

  it('needs KeyId to decrypt RSA ciphertext, as AWS does (InvalidCiphertextException)', async () => {
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: rsaKeyId,
        Plaintext: Buffer.from('x'),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    )
    const err = await caught(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    )
    expect(err).toBeInstanceOf(InvalidCiphertextException)
    expect(err.message).toBe('The ciphertext is invalid.')
  })

  it('answers one InvalidCiphertextException for a wrong hash, a flipped bit, a wrong length or another key', async () => {
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: rsaKeyId,
        Plaintext: Buffer.from('x'),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    )
    const ct = Buffer.from(enc.CiphertextBlob!)
    const flipped = Buffer.from(ct)
    flipped[17] = flipped[17]! ^ 1
    const other = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }))).KeyMetadata!
      .KeyId!
    const attempts = [
      { KeyId: rsaKeyId, CiphertextBlob: ct, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' as const },
      {
        KeyId: rsaKeyId,
        CiphertextBlob: flipped,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const,
      },
      {
        KeyId: rsaKeyId,
        CiphertextBlob: ct.subarray(1),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const,
      },
      { KeyId: other, CiphertextBlob: ct, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' as const },
    ]
    for (const input of attempts) {
      const err = await caught(kms.send(new DecryptCommand(input)))
      expect(err).toBeInstanceOf(InvalidCiphertextException)
      expect(err.message).toBe('The ciphertext is invalid.')
    }
  })

  it('refuses SYMMETRIC_DEFAULT (the default) with an RSA key: InvalidKeyUsageException', async () => {
    const err = await caught(
      kms.send(new EncryptCommand({ KeyId: rsaKeyId, Plaintext: Buffer.from('x') })),
    )
    expect(err).toBeInstanceOf(InvalidKeyUsageException)
    expect(err.message).toBe('Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.')
  })

  it('refuses an encryption context with an RSA key', async () => {
    const err = await caught(
      kms.send(
        new EncryptCommand({
          KeyId: rsaKeyId,
          Plaintext: Buffer.from('x'),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          EncryptionContext: { a: 'b' },
        }),
      ),
    )
    expect(err.name).toBe('ValidationException')
  })

  it('refuses SIGN_VERIFY keys with InvalidKeyUsageException', async () => {
    const enc = await caught(
      kms.send(
        new EncryptCommand({
          KeyId: signKeyId,
          Plaintext: Buffer.from('x'),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    )
    expect(enc).toBeInstanceOf(InvalidKeyUsageException)
    const signArn = `arn:aws:kms:us-east-1:111122223333:key/${signKeyId}`
    expect(enc.message).toBe(`${signArn} key usage is SIGN_VERIFY which is not valid for Encrypt.`)
    const dec = await caught(
      kms.send(
        new DecryptCommand({
          KeyId: signKeyId,
          CiphertextBlob: Buffer.alloc(256, 1),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    )
    expect(dec).toBeInstanceOf(InvalidKeyUsageException)
    expect(dec.message).toBe(`${signArn} key usage is SIGN_VERIFY which is not valid for Decrypt.`)
  })
})

describe('Encrypt and Decrypt with symmetric keys', () => {
  it('round-trips without KeyId on Decrypt (the blob names its key), with the encryption context', async () => {
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: symKeyId,
        Plaintext: Buffer.from('telemetry'),
        EncryptionContext: { device: 'gw-1' },
      }),
    )
    expect(enc.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT')
    expect(Buffer.from(enc.CiphertextBlob!).subarray(3, 39).toString()).toBe(symKeyId)
    const dec = await kms.send(
      new DecryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        EncryptionContext: { device: 'gw-1' },
      }),
    )
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('telemetry')
    expect(dec.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${symKeyId}`)
    expect(dec.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT')
    expect(dec.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/)
    const withAlias = await kms.send(
      new DecryptCommand({
        KeyId: 'alias/sym',
        CiphertextBlob: enc.CiphertextBlob,
        EncryptionContext: { device: 'gw-1' },
      }),
    )
    expect(Buffer.from(withAlias.Plaintext!).toString()).toBe('telemetry')
  })

  it('fails with InvalidCiphertextException for a wrong or missing context and a flipped bit', async () => {
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: symKeyId,
        Plaintext: Buffer.from('x'),
        EncryptionContext: { a: '1' },
      }),
    )
    const flipped = Buffer.from(enc.CiphertextBlob!)
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0x80
    for (const input of [
      { CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: '2' } },
      { CiphertextBlob: enc.CiphertextBlob },
      { CiphertextBlob: flipped, EncryptionContext: { a: '1' } },
      { CiphertextBlob: Buffer.from('not a ciphertext') },
    ]) {
      const err = await caught(kms.send(new DecryptCommand(input)))
      expect(err).toBeInstanceOf(InvalidCiphertextException)
      expect(err.message).toBe('The ciphertext is invalid.')
    }
  })

  it('answers IncorrectKeyException when KeyId names another key than the blob', async () => {
    const enc = await kms.send(new EncryptCommand({ KeyId: symKeyId, Plaintext: Buffer.from('x') }))
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
    const err = await caught(
      kms.send(new DecryptCommand({ KeyId: other, CiphertextBlob: enc.CiphertextBlob })),
    )
    expect(err).toBeInstanceOf(IncorrectKeyException)
    expect(err.message).toBe(
      'The key ID in the request does not identify a KMS key that can perform this operation.',
    )
  })

  it('refuses RSA algorithms with a symmetric key', async () => {
    const err = await caught(
      kms.send(
        new EncryptCommand({
          KeyId: symKeyId,
          Plaintext: Buffer.from('x'),
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    )
    expect(err).toBeInstanceOf(InvalidKeyUsageException)
    expect(err.message).toBe(
      'Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.',
    )
  })

  it('answers DryRunOperationException for a DryRun that would succeed', async () => {
    const err = await caught(
      kms.send(new EncryptCommand({ KeyId: symKeyId, Plaintext: Buffer.from('x'), DryRun: true })),
    )
    expect(err).toBeInstanceOf(DryRunOperationException)
    expect(err.message).toBe('The request would have succeeded, but the DryRun option is set.')
  })
})

describe('DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion', () => {
  it('makes crypto operations answer DisabledException while disabled, and work again once enabled', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }))).KeyMetadata!
      .KeyId!
    const arn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`
    await kms.send(new DisableKeyCommand({ KeyId: keyId }))
    await kms.send(new DisableKeyCommand({ KeyId: keyId })) // idempotent
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    expect(KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false })
    for (const send of [
      () => kms.send(new GetPublicKeyCommand({ KeyId: keyId })),
      () =>
        kms.send(
          new EncryptCommand({
            KeyId: keyId,
            Plaintext: Buffer.from('x'),
            EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          }),
        ),
      () =>
        kms.send(
          new DecryptCommand({
            KeyId: keyId,
            CiphertextBlob: Buffer.alloc(256),
            EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          }),
        ),
    ]) {
      const err = await caught(send())
      expect(err).toBeInstanceOf(DisabledException)
      expect(err.message).toBe(`${arn} is disabled.`)
    }
    await kms.send(new EnableKeyCommand({ KeyId: keyId }))
    const pk = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))
    expect(pk.PublicKey!.length).toBeGreaterThan(250)
  })

  it('puts a key in PendingDeletion (7–30 days) where every use is KMSInvalidStateException', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
    const arn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`
    for (const days of [6, 31]) {
      const err = await caught(
        kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days })),
      )
      expect(err.name).toBe('ValidationException')
      expect(err.message).toMatch(
        new RegExp(`^1 validation error detected: Value '${days}' at 'pendingWindowInDays'`),
      )
    }
    const out = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }),
    )
    expect(out).toMatchObject({ KeyId: arn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 })
    expect(out.DeletionDate!.getTime()).toBe(clock.now() + 7 * DAY_MS)
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    expect(KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false })
    expect(KeyMetadata!.DeletionDate).toEqual(out.DeletionDate)
    for (const send of [
      () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
      () => kms.send(new EnableKeyCommand({ KeyId: keyId })),
      () => kms.send(new DisableKeyCommand({ KeyId: keyId })),
      () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })),
    ]) {
      const err = await caught(send())
      expect(err).toBeInstanceOf(KMSInvalidStateException)
      expect(err.message).toBe(`${arn} is pending deletion.`)
    }
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyId }))
    const after = await kms.send(new DescribeKeyCommand({ KeyId: keyId }))
    expect(after.KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false })
    expect(after.KeyMetadata!.DeletionDate).toBeUndefined()
    const again = await caught(kms.send(new CancelKeyDeletionCommand({ KeyId: keyId })))
    expect(again).toBeInstanceOf(KMSInvalidStateException)
  })

  it('deletes the key and its aliases once the waiting period is over', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: keyId }))
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))
    const aliasErr = await caught(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/late', TargetKeyId: keyId })),
    )
    expect(aliasErr).toBeInstanceOf(KMSInvalidStateException)
    clock.advance(7 * DAY_MS - 1)
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe(
      'PendingDeletion',
    )
    clock.advance(1)
    expect(await caught(kms.send(new DescribeKeyCommand({ KeyId: keyId })))).toBeInstanceOf(
      NotFoundException,
    )
    const { Aliases } = await kms.send(new ListAliasesCommand({}))
    expect(Aliases!.map((a) => a.AliasName)).not.toContain('alias/doomed')
  })
})

describe('call counters', () => {
  it('count every call per operation, failed ones included', async () => {
    const before = server.calls()
    const total = server.callCount()
    await kms.send(new DescribeKeyCommand({ KeyId: rsaKeyId }))
    await caught(kms.send(new DescribeKeyCommand({ KeyId: 'alias/none' })))
    expect(server.callCount('DescribeKey')).toBe((before.DescribeKey ?? 0) + 2)
    expect(server.callCount()).toBe(total + 2)
    expect(server.callCount('GenerateRandom')).toBe(0)
    expect(Object.isFrozen(server.calls())).toBe(true)
    const sum = Object.values(server.calls()).reduce((a, b) => a + b, 0)
    expect(sum).toBe(server.callCount())
  })
})
