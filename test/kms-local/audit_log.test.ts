import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetPublicKeyCommand,
} from '@aws-sdk/client-kms'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditLog, redactRequest, redactResponse } from '../../kms-local/src/audit_log.ts'
import { startKmsLocal, type AuditEvent } from '../../kms-local/src/index.ts'
import { importKeyMaterial } from '../../kms-local/src/operations/import_key_material.ts'
import { caught, cleanupTempDirs, kmsClientFor, tempDir } from '../helpers/index.ts'
import { raw } from './_helpers.ts'

let dir: string
beforeAll(async () => {
  dir = await tempDir('kms-local-audit-')
})
afterAll(cleanupTempDirs)

describe('audit log', () => {
  it('writes one CloudTrail-like JSON line per request, mode 0600, and never key material or data', async () => {
    const auditLog = join(dir, 'audit.jsonl')
    const stateFile = join(dir, 'state.json')
    const server = await startKmsLocal({ port: 0, auditLog, stateFile })
    const kms = kmsClientFor(server)
    const secret = Buffer.from('TOP-SECRET-PLAINTEXT-0123456789')
    const sym = (await kms.send(new CreateKeyCommand({ Description: 'audited' }))).KeyMetadata!
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }))).KeyMetadata!
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/audited', TargetKeyId: sym.KeyId }))
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: 'alias/audited',
        Plaintext: secret,
        EncryptionContext: { device: 'gw-7' },
      }),
    )
    await kms.send(
      new DecryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        EncryptionContext: { device: 'gw-7' },
      }),
    )
    const pk = await kms.send(new GetPublicKeyCommand({ KeyId: rsa.KeyId }))
    await caught(kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })))
    await raw(
      server,
      'TrentService.Encrypt',
      JSON.stringify({ KeyId: sym.KeyId, Plaintext: 'not base64 ' + secret.toString() }),
    )
    kms.destroy()
    await server.close()

    expect(statSync(auditLog).mode & 0o777).toBe(0o600)
    const text = readFileSync(auditLog, 'utf8')
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent)
    expect(events.map((e) => e.eventName)).toEqual([
      'CreateKey',
      'CreateKey',
      'CreateAlias',
      'Encrypt',
      'Decrypt',
      'GetPublicKey',
      'DescribeKey',
      'Encrypt',
    ])
    const [create, , alias, encrypt, decrypt, , missing, malformed] = events
    expect(create).toMatchObject({
      eventVersion: '1.08',
      eventSource: 'kms.amazonaws.com',
      awsRegion: 'us-east-1',
      recipientAccountId: '111122223333',
      eventType: 'AwsApiCall',
      readOnly: false,
      keyId: sym.KeyId,
      keyArn: sym.Arn,
      resources: [{ ARN: sym.Arn, accountId: '111122223333', type: 'AWS::KMS::Key' }],
      requestParameters: { description: 'audited' },
      responseElements: { keyMetadata: { keyId: sym.KeyId, keyState: 'Enabled' } },
    })
    expect(Date.parse(create!.eventTime)).not.toBeNaN()
    expect(create!.requestID).toMatch(/^[0-9a-f-]{36}$/)
    expect(create!.errorCode).toBeUndefined()
    expect(alias).toMatchObject({
      keyId: sym.KeyId,
      requestParameters: { aliasName: 'alias/audited' },
    })
    expect(encrypt).toMatchObject({
      readOnly: true,
      keyArn: sym.Arn,
      requestParameters: { keyId: 'alias/audited', encryptionContext: { device: 'gw-7' } },
      responseElements: { keyId: sym.Arn, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    })
    expect(decrypt).toMatchObject({ keyId: sym.KeyId, responseElements: { keyId: sym.Arn } })
    expect(missing).toMatchObject({
      errorCode: 'NotFoundException',
      errorMessage: 'Alias arn:aws:kms:us-east-1:111122223333:alias/missing is not found.',
      requestParameters: { keyId: 'alias/missing' },
      responseElements: null,
    })
    expect(missing!.keyId).toBeUndefined()
    expect(malformed).toMatchObject({
      errorCode: 'SerializationException',
      requestParameters: null,
    })

    // No plaintext, ciphertext, public key or private material, in any encoding.
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { keys: { material: string }[] }
    const forbidden = [
      secret.toString(),
      secret.toString('base64'),
      secret.toString('hex'),
      Buffer.from(enc.CiphertextBlob!).toString('base64'),
      Buffer.from(pk.PublicKey!).toString('base64'),
      ...state.keys.map((k) => k.material),
      ...state.keys.map((k) => Buffer.from(k.material, 'base64').toString('hex')),
    ]
    for (const f of forbidden) expect(text.includes(f), f.slice(0, 20)).toBe(false)
    for (const e of events) {
      const s = JSON.stringify(e)
      expect(s).not.toMatch(/"plaintext"|"ciphertextBlob"|"publicKey"/)
    }
  })
})

describe('the audit logger never throws', () => {
  it('redacts an invalid Date to nothing instead of throwing', () => {
    const invalid = new Date(Number.NaN)
    expect(redactRequest(importKeyMaterial.input, { KeyId: 'k', ValidTo: invalid })).toEqual({
      keyId: 'k',
    })
    expect(redactResponse({ KeyId: 'k', DeletionDate: invalid, List: [invalid] })).toEqual({
      keyId: 'k',
      list: [],
    })
  })

  it('drops a line it cannot build or write and reports it once, until a line is written again', () => {
    const path = join(dir, 'never-throws.jsonl')
    const reported: string[] = []
    const log = AuditLog.open(path, (err) => reported.push(`${err.code}: ${err.message}`))
    const event = { eventName: 'ok' } as unknown as AuditEvent
    const broken = (): AuditEvent => {
      throw new RangeError('Invalid time value')
    }
    expect(() => log.write(broken)).not.toThrow()
    expect(() => log.write(broken)).not.toThrow()
    expect(reported).toEqual([
      `ERR_KMS_LOCAL_AUDIT_LOG: cannot write audit log ${JSON.stringify(path)}: RangeError: Invalid time value (lines are dropped until a write succeeds)`,
    ])
    log.write(event)
    log.write(broken)
    expect(reported).toHaveLength(2)
    log.close()
    expect(readFileSync(path, 'utf8')).toBe('{"eventName":"ok"}\n')
  })
})
