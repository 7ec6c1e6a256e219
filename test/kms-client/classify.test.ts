/**
 * Error classification on crafted SDK-shaped errors: what is retried, and which code the last
 * failure becomes. (The same paths through the real SDK and real sockets are in session.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { KeyRejectedError } from '../../envelope/src/index.ts'
import { UsageError } from '../../platform/src/index.ts'
import { KmsError, RetryExhausted } from '../../kms-client/src/index.ts'
// Internals of the session, tested on their own.
import {
  isRetryableKmsError,
  isRetryableUnsentError,
  toKmsError,
} from '../../kms-client/src/classify.ts'

/** An error shaped like the SDK's: a modelled exception with `$fault` and `$metadata`. */
function awsError(name: string, status: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  })
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code })
}

const context = { where: 'http://127.0.0.1:9', connectionTimeoutMs: 100, requestTimeoutMs: 200 }

describe('isRetryableKmsError', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['ThrottlingException', awsError('ThrottlingException', 400), true],
    ['HTTP 429', awsError('SomethingElse', 429), true],
    ['KMSInternalException', awsError('KMSInternalException', 500), true],
    ['HTTP 503', awsError('ServiceUnavailable', 503), true],
    ['ECONNREFUSED', networkError('ECONNREFUSED'), true],
    [
      'ECONNRESET in a cause',
      new Error('socket hang up', { cause: networkError('ECONNRESET') }),
      true,
    ],
    ['ENOTFOUND', networkError('ENOTFOUND'), true],
    ['TimeoutError', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['NotFoundException', awsError('NotFoundException', 400), false],
    ['AccessDeniedException', awsError('AccessDeniedException', 400), false],
    ['InvalidCiphertextException', awsError('InvalidCiphertextException', 400), false],
    ['DisabledException', awsError('DisabledException', 400), false],
    ['a plain Error', new Error('x'), false],
    ['a string', 'boom', false],
    ['null', null, false],
  ]
  for (const [name, err, want] of cases) {
    it(`${name} → ${want ? 'retry' : 'final'}`, () => expect(isRetryableKmsError(err)).toBe(want))
  }

  it('a non-idempotent call retries only what provably never ran', () => {
    expect(isRetryableUnsentError(awsError('ThrottlingException', 400))).toBe(true)
    expect(isRetryableUnsentError(networkError('ECONNREFUSED'))).toBe(true)
    expect(isRetryableUnsentError(networkError('ECONNRESET'))).toBe(false)
    expect(isRetryableUnsentError(Object.assign(new Error(), { name: 'TimeoutError' }))).toBe(false)
    expect(isRetryableUnsentError(awsError('KMSInternalException', 500))).toBe(false)
  })
})

describe('toKmsError', () => {
  it('every retry spent → ERR_KMS_UNAVAILABLE naming the attempts and the last failure', () => {
    const err = toKmsError(
      new RetryExhausted(3, awsError('ThrottlingException', 400, 'Rate exceeded')),
      'Decrypt',
      context,
    )
    expect(err).toBeInstanceOf(KmsError)
    expect(err).toMatchObject({
      code: 'ERR_KMS_UNAVAILABLE',
      operation: 'Decrypt',
      awsCode: 'ThrottlingException',
      message:
        'KMS Decrypt at http://127.0.0.1:9 failed after 3 attempts: ThrottlingException: Rate exceeded',
    })
  })

  it('a network failure names its code', () => {
    const err = toKmsError(new RetryExhausted(1, networkError('ECONNREFUSED')), 'Decrypt', context)
    expect(err.message).toBe(
      'KMS Decrypt at http://127.0.0.1:9 failed after 1 attempt: connect ECONNREFUSED 127.0.0.1:9',
    )
  })

  it('a timeout is worded without SDK internals', () => {
    const smithy = Object.assign(
      new Error(
        '@smithy/node-http-handler - [ERROR] a request has exceeded the configured 200 ms requestTimeout.',
      ),
      { name: 'TimeoutError', code: 'ETIMEDOUT' },
    )
    expect(toKmsError(new RetryExhausted(1, smithy), 'Decrypt', context).message).toBe(
      'KMS Decrypt at http://127.0.0.1:9 failed after 1 attempt: TimeoutError: no answer within 200 ms',
    )
    const connect = Object.assign(
      new Error('Socket timed out without establishing a connection within 100 ms'),
      { name: 'TimeoutError' },
    )
    expect(toKmsError(new RetryExhausted(1, connect), 'Decrypt', context).message).toMatch(
      /TimeoutError: no connection within 100 ms$/,
    )
  })

  it('credentials and permissions → ERR_KMS_DENIED', () => {
    for (const name of ['AccessDeniedException', 'UnrecognizedClientException']) {
      expect(toKmsError(awsError(name, 400), 'Decrypt', context)).toMatchObject({
        code: 'ERR_KMS_DENIED',
        awsCode: name,
      })
    }
    const none = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    })
    expect(toKmsError(none, 'Decrypt', context).message).toMatch(
      /^KMS Decrypt denied: CredentialsProviderError: .*\(no AWS credentials found/,
    )
  })

  it('a disabled key or one pending deletion → the envelope KeyRejectedError ERR_KEY_STATE', () => {
    for (const name of ['DisabledException', 'KMSInvalidStateException']) {
      const err = toKmsError(awsError(name, 400), 'Decrypt', context)
      expect(err).toBeInstanceOf(KeyRejectedError)
      expect(err.code).toBe('ERR_KEY_STATE')
    }
  })

  it('any other KMS answer → ERR_KMS_REQUEST with its AWS code', () => {
    const err = toKmsError(
      awsError('NotFoundException', 400, "Key 'x' does not exist"),
      'DescribeKey',
      context,
    )
    expect(err).toMatchObject({
      code: 'ERR_KMS_REQUEST',
      awsCode: 'NotFoundException',
      message: "KMS DescribeKey refused: NotFoundException: Key 'x' does not exist",
    })
  })

  it('an unparseable answer is ERR_KMS_UNAVAILABLE, without the SDK text', () => {
    const sdk = Object.assign(
      new SyntaxError(
        'Unexpected token \'<\', "<html>"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      ),
      { $metadata: { httpStatusCode: 200 } },
    )
    const err = toKmsError(sdk, 'DescribeKey', context)
    expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE' })
    expect(err.message).toBe(
      'KMS endpoint http://127.0.0.1:9 did not answer DescribeKey as KMS (HTTP 200, a body that is not KMS JSON)',
    )
  })

  it('a failure without any answer → ERR_KMS_UNAVAILABLE', () => {
    const err = toKmsError(networkError('ECONNRESET'), 'CreateKey', context)
    expect(err).toMatchObject({ code: 'ERR_KMS_UNAVAILABLE', awsCode: undefined })
    expect(err.message).toBe(
      'KMS CreateKey at http://127.0.0.1:9 failed: connect ECONNRESET 127.0.0.1:9',
    )
  })

  it('no region → ERR_USAGE', () => {
    expect(toKmsError(new Error('Region is missing'), 'Decrypt', context)).toBeInstanceOf(
      UsageError,
    )
  })

  it('our own errors pass through unchanged', () => {
    for (const mine of [
      new KmsError('ERR_KMS_REQUEST', 'X', 'x'),
      new KeyRejectedError('ERR_KEY_USAGE', 'x'),
      new UsageError('x'),
    ]) {
      expect(toKmsError(mine, 'Decrypt', context)).toBe(mine)
    }
  })

  it('control characters from the service are escaped, long text is cut', () => {
    const err = toKmsError(
      awsError('ValidationException', 400, `bad\u0007\n${'x'.repeat(500)}`),
      'Decrypt',
      context,
    )
    expect(err.message).not.toMatch(/[\u0000-\u001f]/)
    expect(err.message).toContain('bad\\u0007\\n')
    expect(err.message.length).toBeLessThan(300)
  })

  it('a URL with userinfo in any text is shown without it', () => {
    const leaky = networkError('ECONNREFUSED')
    leaky.message = 'request to http://user:s3cret@10.0.0.1:4599/ failed'
    const err = toKmsError(new RetryExhausted(1, leaky), 'Decrypt', {
      where: 'http://user:s3cret@10.0.0.1:4599',
    })
    expect(err.message).not.toContain('s3cret')
    expect(err.message).toContain('http://10.0.0.1:4599')
  })
})
