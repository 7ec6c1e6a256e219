/**
 * kms-local against the AWS KMS service model (`../shared/reference/`): every implemented
 * operation's request members, types, required flags, constraints and enums are the model's; every
 * response member it can answer exists in the model (checked statically and on live answers);
 * every error `__type` it can emit is an error shape of the model or one of the AWS common errors.
 *
 * Enum values and operation names come from `@aws-sdk/client-kms`, which is generated from a
 * newer revision of the same model: it may only add to the reference model, and what it adds is
 * listed here ({@link NEWER_IN_SDK}), so an SDK upgrade that changes more fails this test.
 */
import {
  generateKeyPairSync,
  constants,
  publicEncrypt,
  randomBytes,
  createPublicKey,
} from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as sdk from '@aws-sdk/client-kms'
import {
  COMMON_ERROR_TYPES,
  MODEL_ERROR_TYPES,
  startKmsLocal,
  type KmsLocalServer,
} from '../../kms-local/src/index.ts'
import type { FieldSpec, Members } from '../../kms-local/src/input_schema.ts'
import { KMS_OPERATION_NAMES } from '../../kms-local/src/json_protocol.ts'
import { OPERATIONS } from '../../kms-local/src/operations/index.ts'
import { aesKeyWrapPad } from '../../kms-local/src/aes_key_wrap.ts'
import { loadModel, raw } from './_helpers.ts'

const model = loadModel()

/**
 * What `@aws-sdk/client-kms` (3.1164) knows and the reference model (botocore 1.43.11) does not:
 * ML-KEM key specs and the key usage and operations that go with them. kms-local accepts them as
 * well-formed and answers `UnsupportedOperationException`, as for every spec it does not support.
 */
const NEWER_IN_SDK: Readonly<Record<string, readonly string[]>> = {
  KeySpec: ['ML_KEM_1024', 'ML_KEM_512', 'ML_KEM_768'],
  KeyUsageType: ['ENCAPSULATE_DECAPSULATE'],
  operations: ['Decapsulate', 'Encapsulate'],
}

/** Problems when `ours` is not the model's list (`shapeName`) plus what the SDK adds to it. */
function compareEnum(ours: readonly string[], shapeName: string, path: string): string[] {
  const modelValues: string[] =
    shapeName === 'operations' ? Object.keys(model.operations) : model.shapes[shapeName].enum
  const added = NEWER_IN_SDK[shapeName] ?? []
  const missing = modelValues.filter((v) => !ours.includes(v))
  const extra = ours.filter((v) => !modelValues.includes(v) && !added.includes(v))
  const absent = added.filter((v) => !ours.includes(v))
  return [
    ...missing.map((v) => `${path}: model value ${v} not accepted`),
    ...extra.map((v) => `${path}: ${v} is neither in the model nor a known SDK addition`),
    ...absent.map((v) => `${path}: ${v} listed as an SDK addition but not accepted`),
  ]
}

function compareField(spec: FieldSpec, shapeName: string, path: string): string[] {
  const shape = model.shapes[shapeName]
  if (!shape) return [`${path}: model shape ${shapeName} missing`]
  const problems: string[] = []
  if (shape.type !== spec.type) problems.push(`${path}: type ${spec.type} vs model ${shape.type}`)
  const s = spec as { min?: number; max?: number; enum?: readonly string[]; pattern?: RegExp }
  if (s.min !== shape.min) problems.push(`${path}: min ${s.min} vs model ${shape.min}`)
  if (s.max !== shape.max) problems.push(`${path}: max ${s.max} vs model ${shape.max}`)
  if ((s.enum === undefined) !== (shape.enum === undefined)) {
    problems.push(`${path}: enum differs from model ${shapeName}`)
  } else if (s.enum !== undefined) {
    problems.push(...compareEnum(s.enum, shapeName, path))
  }
  if ((s.pattern?.source ?? null) !== (shape.pattern ?? null))
    problems.push(`${path}: pattern differs`)
  if (spec.type === 'list')
    problems.push(...compareField(spec.member, shape.member.shape, `${path}[]`))
  if (spec.type === 'structure') problems.push(...compareMembers(spec.members, shapeName, path))
  return problems
}

function compareMembers(members: Members, shapeName: string, path: string): string[] {
  const shape = model.shapes[shapeName]
  const problems: string[] = []
  const required: string[] = shape.required ?? []
  for (const [name, spec] of Object.entries(members)) {
    const member = shape.members[name]
    if (!member) {
      problems.push(`${path}.${name}: not a member of ${shapeName}`)
      continue
    }
    if (Boolean(spec.required) !== required.includes(name))
      problems.push(`${path}.${name}: required differs`)
    problems.push(...compareField(spec, member.shape, `${path}.${name}`))
  }
  for (const name of Object.keys(shape.members)) {
    if (!(name in members)) problems.push(`${path}.${name}: model member not declared`)
  }
  return problems
}

/** Checks a live JSON answer against a model shape: members exist, and values have its types. */
function checkValue(shapeName: string, value: unknown, path: string): string[] {
  const shape = model.shapes[shapeName]
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null) return [`${path}: not an object`]
      return Object.entries(value).flatMap(([k, v]) =>
        shape.members[k]
          ? checkValue(shape.members[k].shape, v, `${path}.${k}`)
          : [`${path}.${k}: not in ${shapeName}`],
      )
    }
    case 'list':
      return Array.isArray(value)
        ? value.flatMap((v, i) => checkValue(shape.member.shape, v, `${path}[${i}]`))
        : [`${path}: not a list`]
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`]
      return shape.enum && !shape.enum.includes(value)
        ? [`${path}: ${value} not in ${shapeName}`]
        : []
    case 'blob':
      return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
        ? []
        : [`${path}: not base64`]
    case 'timestamp':
      return typeof value === 'number' ? [] : [`${path}: not epoch seconds`]
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: not an integer`]
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: not a boolean`]
    default:
      return [`${path}: unexpected model type ${shape.type}`]
  }
}

describe('the service model', () => {
  it('is the KMS JSON 1.1 model with target prefix TrentService', () => {
    expect(model.metadata).toMatchObject({
      jsonVersion: '1.1',
      protocol: 'json',
      targetPrefix: 'TrentService',
    })
  })

  it('has every operation kms-local knows (from the SDK), plus only the listed SDK additions', () => {
    expect(compareEnum([...KMS_OPERATION_NAMES], 'operations', 'operations')).toEqual([])
  })

  it('has the enum values of the SDK kms-local reads and writes, plus only the listed SDK additions', () => {
    const pairs: [Readonly<Record<string, string>>, string][] = [
      [sdk.KeySpec, 'KeySpec'],
      [sdk.CustomerMasterKeySpec, 'CustomerMasterKeySpec'],
      [sdk.KeyUsageType, 'KeyUsageType'],
      [sdk.OriginType, 'OriginType'],
      [sdk.EncryptionAlgorithmSpec, 'EncryptionAlgorithmSpec'],
      [sdk.SigningAlgorithmSpec, 'SigningAlgorithmSpec'],
      [sdk.KeyState, 'KeyState'],
      [sdk.ExpirationModelType, 'ExpirationModelType'],
      [sdk.AlgorithmSpec, 'AlgorithmSpec'],
      [sdk.WrappingKeySpec, 'WrappingKeySpec'],
      [sdk.ImportType, 'ImportType'],
      [sdk.DryRunModifierType, 'DryRunModifierType'],
      [sdk.KeyEncryptionMechanism, 'KeyEncryptionMechanism'],
    ]
    for (const [ours, shape] of pairs) {
      expect(compareEnum(Object.values(ours), shape, shape)).toEqual([])
    }
  })
})

describe('every implemented operation', () => {
  const names = Object.keys(OPERATIONS)

  it('covers the operations of the issue', () => {
    for (const name of [
      'CreateKey',
      'CreateAlias',
      'ListAliases',
      'DescribeKey',
      'GetPublicKey',
      'Decrypt',
      'Encrypt',
      'DisableKey',
      'EnableKey',
      'ScheduleKeyDeletion',
      'GetParametersForImport',
      'ImportKeyMaterial',
    ]) {
      expect(names).toContain(name)
    }
  })

  for (const name of names) {
    const op = OPERATIONS[name]!
    it(`${name}: declares the model's request members, types, required flags, constraints and enums`, () => {
      const spec = model.operations[name]
      expect(spec, name).toBeDefined()
      expect(op.name).toBe(name)
      const input = spec!.input?.shape
      expect(compareMembers(op.input, input!, name)).toEqual([])
    })

    it(`${name}: answers only response members of the model`, () => {
      const output = model.operations[name]!.output?.shape
      const members = output ? Object.keys(model.shapes[output].members) : []
      for (const m of op.output) expect(members, `${name}.${m}`).toContain(m)
    })
  }
})

describe('errors', () => {
  it('every modeled __type kms-local can emit is an error shape of the model', () => {
    for (const type of MODEL_ERROR_TYPES) {
      expect(model.shapes[type], type).toBeDefined()
      expect(model.shapes[type].exception, type).toBe(true)
      expect(Object.keys(model.shapes[type].members)).toEqual(['message'])
    }
  })

  it('the others are AWS common errors, which no service model lists', () => {
    for (const type of COMMON_ERROR_TYPES) expect(model.shapes[type], type).toBeUndefined()
    expect([...COMMON_ERROR_TYPES].sort()).toEqual([
      'SerializationException',
      'ThrottlingException',
      'UnknownOperationException',
      'ValidationException',
    ])
  })
})

describe('live answers', () => {
  let server: KmsLocalServer

  beforeAll(async () => {
    server = await startKmsLocal({ port: 0 })
  })

  afterAll(async () => {
    await server?.close()
  })

  it('of every implemented operation fit the model output shape', async () => {
    const answers: Record<string, unknown> = {}
    const call = async (op: string, body: object): Promise<any> => {
      const res = await raw(server, `TrentService.${op}`, JSON.stringify(body))
      expect(res.status, `${op}: ${JSON.stringify(res.json)}`).toBe(200)
      answers[op] = res.json
      return res.json
    }
    const rsa = (await call('CreateKey', { KeySpec: 'RSA_2048' })).KeyMetadata.KeyId
    const sym = (
      await call('CreateKey', { Description: 'd', Tags: [{ TagKey: 'k', TagValue: 'v' }] })
    ).KeyMetadata.KeyId
    await call('CreateAlias', { AliasName: 'alias/live', TargetKeyId: rsa })
    await call('ListAliases', { KeyId: rsa })
    await call('ListKeys', {})
    await call('DescribeKey', { KeyId: 'alias/live' })
    const pk = await call('GetPublicKey', { KeyId: rsa })
    const ct = publicEncrypt(
      {
        key: createPublicKey({
          key: Buffer.from(pk.PublicKey, 'base64'),
          format: 'der',
          type: 'spki',
        }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      Buffer.from('k'),
    )
    await call('Decrypt', {
      KeyId: rsa,
      CiphertextBlob: ct.toString('base64'),
      EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
    })
    const enc = await call('Encrypt', {
      KeyId: sym,
      Plaintext: Buffer.from('p').toString('base64'),
    })
    answers.DecryptSymmetric = (
      await raw(
        server,
        'TrentService.Decrypt',
        JSON.stringify({ CiphertextBlob: enc.CiphertextBlob }),
      )
    ).json
    await call('DisableKey', { KeyId: sym })
    await call('EnableKey', { KeyId: sym })
    await call('ScheduleKeyDeletion', { KeyId: sym, PendingWindowInDays: 7 })
    answers.DescribePending = (
      await raw(server, 'TrentService.DescribeKey', JSON.stringify({ KeyId: sym }))
    ).json
    await call('CancelKeyDeletion', { KeyId: sym })
    const ext = (await call('CreateKey', { Origin: 'EXTERNAL', KeySpec: 'RSA_2048' })).KeyMetadata
      .KeyId
    const params = await call('GetParametersForImport', {
      KeyId: ext,
      WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    })
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const aesKey = randomBytes(32)
    const wrapped = Buffer.concat([
      publicEncrypt(
        {
          key: createPublicKey({
            key: Buffer.from(params.PublicKey, 'base64'),
            format: 'der',
            type: 'spki',
          }),
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
        },
        aesKey,
      ),
      aesKeyWrapPad(aesKey, privateKey.export({ type: 'pkcs8', format: 'der' })),
    ])
    await call('ImportKeyMaterial', {
      KeyId: ext,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapped.toString('base64'),
      ValidTo: Date.now() / 1000 + 3600,
    })
    answers.DescribeImported = (
      await raw(server, 'TrentService.DescribeKey', JSON.stringify({ KeyId: ext }))
    ).json

    const outputShape = (op: string): string => {
      const base = op
        .replace(/(Symmetric|Pending|Imported)$/, '')
        .replace(/^Describe$/, 'DescribeKey')
      return model.operations[base]!.output?.shape ?? ''
    }
    for (const [op, answer] of Object.entries(answers)) {
      const shape = outputShape(op)
      if (!shape) {
        expect(answer, op).toEqual({})
        continue
      }
      expect(checkValue(shape, answer, op)).toEqual([])
    }
    expect(Object.keys(answers)).toEqual(
      expect.arrayContaining([...Object.keys(OPERATIONS), 'DecryptSymmetric', 'DescribeImported']),
    )
  })
})
