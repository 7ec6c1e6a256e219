import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  DecryptionFailedError,
  EnvelopeError,
  EnvelopeInvalidError,
  EnvelopeLimitError,
  EnvelopeMalformedError,
  EpochUnknownError,
  KeyRejectedError,
  KeyStoreUnavailableError,
  NodeCryptoUnavailableError,
  SealRefusedError,
  UnsupportedAlgorithmError,
  UnwrapUnavailableError,
} from '../../envelope/src/index.ts'
import type {
  AnyEnvelopeError,
  EnvelopeErrorCode,
  KeyRejectedCode,
  SealRefusedCode,
} from '../../envelope/src/index.ts'
import { RecordsError } from '../../envelope/src/records/records.ts'
import { repoRoot } from '../helpers/vectors.ts'

// Every code, once; `satisfies` makes tsc fail when the union and this list differ.
const ALL_CODES = Object.keys({
  ERR_ENVELOPE_MALFORMED: true,
  ERR_ENVELOPE_LIMIT: true,
  ERR_ENVELOPE_INVALID: true,
  ERR_ENVELOPE_UNSUPPORTED_ALG: true,
  ERR_DECRYPTION_FAILED: true,
  ERR_EPOCH_UNKNOWN: true,
  ERR_UNWRAP_UNAVAILABLE: true,
  ERR_KEY_STORE_UNAVAILABLE: true,
  ERR_NODE_CRYPTO_UNAVAILABLE: true,
  ERR_RECORDS_INVALID: true,
  ERR_KEY_UNSUPPORTED: true,
  ERR_KEY_SIZE: true,
  ERR_KEY_EXPONENT: true,
  ERR_KEY_SPEC: true,
  ERR_KEY_USAGE: true,
  ERR_KEY_ALGORITHM: true,
  ERR_KEY_STATE: true,
  ERR_SEQUENCE_NOT_INCREASING: true,
  ERR_KEY_USAGE_LIMIT: true,
  ERR_ENTROPY_SOURCE: true,
  ERR_SYNC_WRAP_UNAVAILABLE: true,
  ERR_SEALER_CLOSED: true,
  ERR_PLAINTEXT_LENGTH: true,
} satisfies Record<EnvelopeErrorCode, true>) as EnvelopeErrorCode[]

const cause = new Error('upstream')
/** One instance of every single-code class, with its expected message. */
const singles = [
  [EnvelopeMalformedError, new EnvelopeMalformedError('x'), 'CBOR decode error: x'],
  [EnvelopeLimitError, new EnvelopeLimitError('x'), 'CBOR decode error: x'],
  [EnvelopeInvalidError, new EnvelopeInvalidError('x'), 'sealwire/1: x'],
  [
    UnsupportedAlgorithmError,
    new UnsupportedAlgorithmError('content', 1),
    'sealwire/1: unsupported content algorithm 1',
  ],
  [DecryptionFailedError, new DecryptionFailedError(), 'decryption failed'],
  [EpochUnknownError, new EpochUnknownError('00ff'), 'sealwire/1: no key for epoch 00ff'],
  [
    UnwrapUnavailableError,
    new UnwrapUnavailableError(cause),
    'sealwire/1: the key unwrap service failed; retry later',
  ],
  [
    KeyStoreUnavailableError,
    new KeyStoreUnavailableError('get', cause),
    'sealwire/1: the epoch key store failed (get); retry later',
  ],
  [
    NodeCryptoUnavailableError,
    new NodeCryptoUnavailableError('f'),
    'f needs node:crypto, which this runtime does not have',
  ],
  [
    RecordsError,
    new RecordsError('record 0: clock must be 0 or 1'),
    'record 0: clock must be 0 or 1',
  ],
] as const

describe('EnvelopeError: the one error convention', () => {
  it('the base class has no class-level code; each instance carries its own', () => {
    expect(Object.hasOwn(EnvelopeError, 'code')).toBe(false)
    expect((EnvelopeError as unknown as { code?: unknown }).code).toBeUndefined()
    const err = new EnvelopeError('ERR_ENVELOPE_INVALID', 'm', { cause })
    expect(err).toMatchObject({ code: 'ERR_ENVELOPE_INVALID', message: 'm', name: 'EnvelopeError' })
    expect(err.cause).toBe(cause)
  })

  it.each(singles)('%o: static code = instance code, name = class name', (Class, err, message) => {
    expect(err).toBeInstanceOf(EnvelopeError)
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe(Class.code)
    expect(err.name).toBe(Class.name)
    expect(err.message).toBe(message)
    expect(Object.hasOwn(Class, 'codes')).toBe(false)
  })

  it('causes pass through; the opaque decryption error never has one', () => {
    expect(new UnwrapUnavailableError(cause).cause).toBe(cause)
    expect(new KeyStoreUnavailableError('put', cause).cause).toBe(cause)
    expect(new KeyRejectedError('ERR_KEY_SIZE', 'm', { cause }).cause).toBe(cause)
    expect(new EnvelopeInvalidError('m', { cause }).cause).toBe(cause)
    expect('cause' in new DecryptionFailedError()).toBe(false)
  })

  it('KeyRejectedError is the one key refusal, with all seven codes and no single static code', () => {
    expect(KeyRejectedError.codes).toEqual([
      'ERR_KEY_UNSUPPORTED',
      'ERR_KEY_SIZE',
      'ERR_KEY_EXPONENT',
      'ERR_KEY_SPEC',
      'ERR_KEY_USAGE',
      'ERR_KEY_ALGORITHM',
      'ERR_KEY_STATE',
    ] satisfies KeyRejectedCode[])
    expect(Object.isFrozen(KeyRejectedError.codes)).toBe(true)
    expect(Object.hasOwn(KeyRejectedError, 'code')).toBe(false)
    for (const code of KeyRejectedError.codes) {
      const err = new KeyRejectedError(code, `refused: ${code}`)
      expect(err).toMatchObject({ code, message: `refused: ${code}`, name: 'KeyRejectedError' })
    }
  })

  it('SealRefusedError lists its codes', () => {
    expect(SealRefusedError.codes).toEqual([
      'ERR_SEQUENCE_NOT_INCREASING',
      'ERR_KEY_USAGE_LIMIT',
      'ERR_ENTROPY_SOURCE',
      'ERR_SYNC_WRAP_UNAVAILABLE',
      'ERR_SEALER_CLOSED',
      'ERR_PLAINTEXT_LENGTH',
    ] satisfies SealRefusedCode[])
    expect(Object.isFrozen(SealRefusedError.codes)).toBe(true)
    expect(Object.hasOwn(SealRefusedError, 'code')).toBe(false)
  })

  it('the classes cover every code of EnvelopeErrorCode exactly once', () => {
    const fromClasses = [
      ...singles.map(([Class]) => Class.code),
      ...KeyRejectedError.codes,
      ...SealRefusedError.codes,
    ]
    expect([...fromClasses].sort()).toEqual([...ALL_CODES].sort())
  })

  it('a switch over AnyEnvelopeError narrows by code', () => {
    const classify = (err: AnyEnvelopeError): string => {
      switch (err.code) {
        case 'ERR_UNWRAP_UNAVAILABLE':
          return `retry (${String((err satisfies UnwrapUnavailableError).cause)})`
        case 'ERR_KEY_SPEC':
          return `key: ${(err satisfies KeyRejectedError).message}`
        default:
          return err.code
      }
    }
    expect(classify(new UnwrapUnavailableError('x'))).toBe('retry (x)')
    expect(classify(new KeyRejectedError('ERR_KEY_SPEC', 'ECC_NIST_P256'))).toBe(
      'key: ECC_NIST_P256',
    )
  })

  it('every code is documented in the README error table (§9), and nothing else is', () => {
    const readme = readFileSync(resolve(repoRoot, 'envelope/README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## 9. Errors'), readme.indexOf('## 10.'))
    const documented = new Set(section.match(/ERR_[A-Z_]+/g))
    expect([...documented].sort()).toEqual([...ALL_CODES].sort())
  })
})
