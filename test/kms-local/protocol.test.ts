import { DescribeKeyCommand, KMSServiceException, NotFoundException } from '@aws-sdk/client-kms'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsLocalError, startKmsLocal, type KmsLocalServer } from '../../kms-local/src/index.ts'
import { caught, kmsClientFor } from '../helpers/index.ts'
import { raw } from './_helpers.ts'

let server: KmsLocalServer

beforeAll(async () => {
  server = await startKmsLocal({ port: 0 })
})

afterAll(async () => {
  await server?.close()
})

describe('AWS JSON 1.1 framing', () => {
  it('answers errors as HTTP 400 with {"__type", "message"}, x-amzn-ErrorType and a request id', async () => {
    const res = await raw(
      server,
      'TrentService.DescribeKey',
      JSON.stringify({ KeyId: 'alias/none' }),
    )
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1')
    expect(res.headers.get('x-amzn-errortype')).toBe('NotFoundException')
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.json).toEqual({
      __type: 'NotFoundException',
      message: 'Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.',
    })
  })

  it('answers blobs as base64 and timestamps as epoch seconds', async () => {
    const created = await raw(server, 'TrentService.CreateKey', '{"KeySpec":"RSA_2048"}')
    expect(created.status).toBe(200)
    const m = created.json.KeyMetadata
    expect(typeof m.CreationDate).toBe('number')
    expect(Math.abs(m.CreationDate - Date.now() / 1000)).toBeLessThan(60)
    const pk = await raw(server, 'TrentService.GetPublicKey', JSON.stringify({ KeyId: m.KeyId }))
    expect(pk.json.PublicKey).toMatch(/^MII[A-Za-z0-9+/]+=*$/)
  })

  it('answers UnknownOperationException for an operation KMS does not have', async () => {
    const res = await raw(server, 'TrentService.MakeCoffee', '{}')
    expect(res.status).toBe(400)
    expect(res.json).toEqual({
      __type: 'UnknownOperationException',
      message: 'Unknown operation MakeCoffee',
    })
  })

  it('answers UnknownOperationException without a TrentService target, with another content type or method', async () => {
    for (const res of [
      await raw(server, undefined, '{}'),
      await raw(server, 'DynamoDB_20120810.ListTables', '{}'),
      await raw(server, 'TrentService.ListKeys', '{}', { 'content-type': 'application/json' }),
      await raw(server, 'TrentService.ListKeys', '', {}, 'GET'),
    ]) {
      expect(res.status).toBe(400)
      expect(res.json.__type).toBe('UnknownOperationException')
    }
  })

  it('answers UnsupportedOperationException for a KMS operation kms-local does not implement', async () => {
    const res = await raw(server, 'TrentService.GenerateDataKey', '{}')
    expect(res.json).toEqual({
      __type: 'UnsupportedOperationException',
      message: 'kms-local does not implement GenerateDataKey',
    })
  })

  it('answers SerializationException for a body that is not JSON or not an object, or a wrong member type', async () => {
    for (const body of [
      '{"KeyId":',
      '[]',
      '"x"',
      '{"KeyId": 5}',
      '{"GrantTokens": "x", "KeyId": "k"}',
    ]) {
      const res = await raw(server, 'TrentService.DescribeKey', body)
      expect(res.status, body).toBe(400)
      expect(res.json.__type, body).toBe('SerializationException')
    }
    const blob = await raw(server, 'TrentService.Decrypt', '{"CiphertextBlob":"not base64!"}')
    expect(blob.json).toEqual({
      __type: 'SerializationException',
      message: "Expected a base64 string for member 'ciphertextBlob'",
    })
  })

  it('answers ValidationException in the AWS wording for missing required members and constraints', async () => {
    const missing = await raw(server, 'TrentService.DescribeKey', '{}')
    expect(missing.json).toEqual({
      __type: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    })
    const two = await raw(server, 'TrentService.Encrypt', '{"KeyId":""}')
    expect(two.json.__type).toBe('ValidationException')
    expect(two.json.message).toBe(
      "2 validation errors detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value null at 'plaintext' failed to satisfy constraint: Member must not be null",
    )
    const tooLong = await raw(
      server,
      'TrentService.Encrypt',
      JSON.stringify({ KeyId: 'alias/x', Plaintext: Buffer.alloc(4097).toString('base64') }),
    )
    // Blob values are never quoted in a message.
    expect(tooLong.json.message).toBe(
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    )
    const limit = await raw(server, 'TrentService.ListAliases', '{"Limit":0}')
    expect(limit.json.message).toBe(
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    )
  })

  it('answers each kind of schema finding as AWS does: wrong types first, then every violation in member order', async () => {
    const cases: [string, string, string, string][] = [
      [
        'ListKeys',
        '{"Limit":1e300}',
        'SerializationException',
        "Expected an integer for member 'limit'",
      ],
      [
        'ListKeys',
        '{"Limit":1.5}',
        'SerializationException',
        "Expected an integer for member 'limit'",
      ],
      [
        'DescribeKey',
        '{"KeyId":"k","GrantTokens":[null]}',
        'SerializationException',
        "Expected a value for member 'grantTokens.1.member'",
      ],
      [
        'Encrypt',
        '{"KeyId":"k","Plaintext":"","EncryptionContext":{"a\\nb":null}}',
        'SerializationException',
        "Expected a string for member 'encryptionContext.a\\nb'",
      ],
      [
        'CreateKey',
        '{"Tags":["x"]}',
        'SerializationException',
        "Expected a structure for member 'tags.1.member'",
      ],
      [
        'CreateKey',
        '{"Tags":[{"TagKey":"t"}],"KeySpec":"RSA_2048","Description":null,"KeyUsage":"X"}',
        'ValidationException',
        "2 validation errors detected: Value 'X' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: " +
          '[ENCAPSULATE_DECAPSULATE, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, SIGN_VERIFY]; ' +
          "Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not be null",
      ],
      [
        'CreateAlias',
        '{"AliasName":"alias/a b","TargetKeyId":""}',
        'ValidationException',
        "2 validation errors detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; " +
          "Value '' at 'targetKeyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
      ],
      [
        'DescribeKey',
        `{"KeyId":"k","GrantTokens":[${Array(11).fill('"a"').join(',')}]}`,
        'ValidationException',
        "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
      ],
    ]
    for (const [op, body, type, message] of cases) {
      const res = await raw(server, `TrentService.${op}`, body)
      expect(res.json, body).toEqual({ __type: type, message })
    }
  })

  it('takes an empty body as {} and ignores unknown members and nulls', async () => {
    expect((await raw(server, 'TrentService.ListKeys', '')).status).toBe(200)
    expect((await raw(server, 'TrentService.ListKeys', '{"Bogus":1,"Limit":null}')).status).toBe(
      200,
    )
  })

  it('refuses bodies over 1 MiB', async () => {
    const res = await raw(server, 'TrentService.ListKeys', `{"x":"${'a'.repeat(1024 * 1024)}"}`)
    expect(res.json.__type).toBe('ValidationException')
  })

  it('does not quote control characters of a request back', async () => {
    const res = await raw(server, 'TrentService.DescribeKey', JSON.stringify({ KeyId: 'a\nb' }))
    expect(res.json.message).toBe('Invalid keyId a\\nb')
  })

  it('escapes and cuts the alias name of "Alias … is not found." like every other message', async () => {
    const here = 'arn:aws:kms:us-east-1:111122223333'
    const bell = await raw(
      server,
      'TrentService.DescribeKey',
      JSON.stringify({ KeyId: 'alias/x\u0007\r\ny' }),
    )
    expect(bell.json).toEqual({
      __type: 'NotFoundException',
      message: `Alias ${here}:alias/x\\u0007\\r\\ny is not found.`,
    })
    const foreign = await raw(
      server,
      'TrentService.DescribeKey',
      JSON.stringify({ KeyId: 'arn:aws:kms:eu-west-1:111122223333:alias/a\u001b[2Jb' }),
    )
    expect(foreign.json.message).toBe(
      'Alias arn:aws:kms:eu-west-1:111122223333:alias/a\\u001b[2Jb is not found.',
    )
    const long = await raw(
      server,
      'TrentService.DescribeKey',
      JSON.stringify({ KeyId: `alias/${'n'.repeat(200)}` }),
    )
    expect(long.json.message).toBe(`Alias ${here}:alias/${'n'.repeat(74)}… is not found.`)
    for (const res of [bell, foreign, long]) expect(res.json.message).not.toMatch(/[\u0000-\u001f]/)
  })
})

describe('how the SDK reads kms-local errors', () => {
  it('raises its own modeled exception classes, with name, message, $fault and $metadata', async () => {
    const kms = kmsClientFor(server)
    const err = await caught(kms.send(new DescribeKeyCommand({ KeyId: 'alias/none' })))
    expect(err).toBeInstanceOf(NotFoundException)
    expect(err).toBeInstanceOf(KMSServiceException)
    expect(err.name).toBe('NotFoundException')
    expect(err.$fault).toBe('client')
    expect(err.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/)
    kms.destroy()
  })
})

describe('lifecycle and options', () => {
  it('refuses bad options as caller bugs (TypeError / RangeError) before starting', async () => {
    await expect(startKmsLocal({ port: 70000 })).rejects.toThrow(
      new RangeError('port: expected an integer 0-65535'),
    )
    await expect(startKmsLocal({ region: 'mars' })).rejects.toThrow(RangeError)
    await expect(startKmsLocal({ accountId: '123' })).rejects.toThrow(RangeError)
    await expect(startKmsLocal({ rateLimits: { cryptographic: 0 } })).rejects.toThrow(RangeError)
    await expect(startKmsLocal({ host: '' })).rejects.toThrow(TypeError)
    await expect(startKmsLocal({ clock: (() => 0) as never })).rejects.toThrow(
      new TypeError('clock: expected a Clock (an object with now())'),
    )
    await expect(startKmsLocal({ log: 'stderr' as never })).rejects.toThrow(TypeError)
  })

  it('reports a port in use as ERR_KMS_LOCAL_LISTEN', async () => {
    const err = await caught(startKmsLocal({ port: server.port }))
    expect(err).toBeInstanceOf(KmsLocalError)
    expect(err).toMatchObject({ code: 'ERR_KMS_LOCAL_LISTEN' })
    expect(err.message).toBe(`cannot listen on 127.0.0.1:${server.port}: EADDRINUSE`)
  })

  it('closes idempotently, and refuses connections afterwards', async () => {
    const s = await startKmsLocal({ port: 0 })
    expect(s.endpoint).toBe(`http://127.0.0.1:${s.port}`)
    expect(s.region).toBe('us-east-1')
    await Promise.all([s.close(), s.close()])
    await s.close()
    await expect(fetch(`${s.endpoint}/`, { method: 'POST' })).rejects.toThrow()
  })
})
