/**
 * fetchPublicKey through kms-local and the real SDK: DescribeKey then GetPublicKey, both checked,
 * one call of each; keys a device must not pin are refused with the envelope's KeyRejectedError.
 */
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms'
import type { KMSClient } from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyRejectedError } from '../../envelope/src/index.ts'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { ManualClock, UsageError } from '../../platform/src/index.ts'
import { checkKeyId, fetchPublicKey, KmsError, KmsSession } from '../../kms-client/src/index.ts'
import { kmsClientFor } from '../helpers/index.ts'
import { caught, ENV, sha256Hex } from './_helpers.ts'

let kms: KmsLocalServer
let admin: KMSClient
let session: KmsSession

beforeAll(async () => {
  kms = await startKmsLocal({ port: 0 })
  admin = kmsClientFor(kms)
  session = new KmsSession({ endpoint: kms.endpoint, region: kms.region, env: ENV })
})

afterAll(async () => {
  session?.close()
  admin?.destroy()
  await kms?.close()
})

async function createKey(
  spec: string,
  usage = 'ENCRYPT_DECRYPT',
): Promise<{ arn: string; id: string }> {
  const out = await admin.send(
    new CreateKeyCommand({ KeySpec: spec as 'RSA_2048', KeyUsage: usage as 'ENCRYPT_DECRYPT' }),
  )
  return { arn: out.KeyMetadata!.Arn!, id: out.KeyMetadata!.KeyId! }
}

describe('fetchPublicKey', () => {
  it('returns the checked key, when and where it came from, with one call of each', async () => {
    const { arn, id } = await createKey('RSA_3072')
    await admin.send(new CreateAliasCommand({ AliasName: 'alias/fetch-test', TargetKeyId: id }))
    const before = kms.calls()
    const clock = new ManualClock(Date.parse('2026-01-02T03:04:05.000Z'))
    const fetched = await fetchPublicKey(session, 'alias/fetch-test', { clock })
    expect(fetched.checked.keyArn).toBe(arn)
    expect(fetched.checked.keySpec).toBe('RSA_3072')
    expect(fetched.checked.key.modulusBits).toBe(3072)
    expect(fetched.checked.pinSha256).toBe(sha256Hex(fetched.checked.key.spki))
    expect(fetched.fetchedAt.toISOString()).toBe('2026-01-02T03:04:05.000Z')
    expect(fetched.source).toEqual({ endpoint: kms.endpoint, region: kms.region })
    const after = kms.calls()
    expect((after.DescribeKey ?? 0) - (before.DescribeKey ?? 0)).toBe(1)
    expect((after.GetPublicKey ?? 0) - (before.GetPublicKey ?? 0)).toBe(1)
  })

  it('refuses a SIGN_VERIFY key (ERR_KEY_USAGE) and a symmetric one (ERR_KEY_SPEC), no GetPublicKey', async () => {
    const before = kms.callCount('GetPublicKey')
    const signing = await createKey('RSA_2048', 'SIGN_VERIFY')
    const err = await caught(fetchPublicKey(session, signing.arn))
    expect(err).toBeInstanceOf(KeyRejectedError)
    expect(err.code).toBe('ERR_KEY_USAGE')
    const symmetric = await createKey('SYMMETRIC_DEFAULT')
    expect((await caught(fetchPublicKey(session, symmetric.arn))).code).toBe('ERR_KEY_SPEC')
    expect(kms.callCount('GetPublicKey')).toBe(before)
  })

  it('refuses a disabled key and one pending deletion with ERR_KEY_STATE', async () => {
    const disabled = await createKey('RSA_2048')
    await admin.send(new DisableKeyCommand({ KeyId: disabled.id }))
    const a = await caught(fetchPublicKey(session, disabled.arn))
    expect(a).toBeInstanceOf(KeyRejectedError)
    expect(a.code).toBe('ERR_KEY_STATE')
    const doomed = await createKey('RSA_2048')
    await admin.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.id, PendingWindowInDays: 7 }))
    expect((await caught(fetchPublicKey(session, doomed.arn))).code).toBe('ERR_KEY_STATE')
  })

  it('an unknown alias is ERR_KMS_REQUEST with the operation and AWS code', async () => {
    const err = await caught(fetchPublicKey(session, 'alias/nope'))
    expect(err).toBeInstanceOf(KmsError)
    expect(err).toMatchObject({
      code: 'ERR_KMS_REQUEST',
      operation: 'DescribeKey',
      awsCode: 'NotFoundException',
    })
    expect(err.message).toMatch(/^KMS DescribeKey refused: NotFoundException: /)
  })
})

describe('checkKeyId', () => {
  it('accepts ids, ARNs and aliases; refuses blanks, NULs and absurd lengths with ERR_USAGE', async () => {
    expect(checkKeyId('alias/fleet')).toBe('alias/fleet')
    for (const bad of ['', 'a b', 'x\0', 'k'.repeat(2049)]) {
      const err = await caught(() => checkKeyId(bad))
      expect(err).toBeInstanceOf(UsageError)
      expect(err.message).toMatch(/^--key-id .* is not a key id, key ARN or alias$/)
    }
  })
})
