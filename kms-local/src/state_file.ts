/**
 * The optional state file: every key (with its private material as PKCS #8 DER in base64) and
 * alias, as one JSON document, so keys outlive a restart. It is written with mode 0600 after
 * every change, atomically (a temporary file in the same directory, fsync, rename): a crash
 * leaves the old file or the new one, never half of one.
 *
 * ```json
 * { "format": "sealwire-kms-local-state", "version": 1, "region": "us-east-1",
 *   "accountId": "111122223333", "keys": [...], "aliases": [...] }
 * ```
 *
 * Times are ISO 8601 strings. The region and account are checked on load: ARNs are derived from
 * them, so a state file only loads into an endpoint that plays the same region and account.
 *
 * @example
 * ```ts
 * const store = readState(file, here) ?? new KeyStore(here)
 * writeState(file, store)
 * ```
 */
import { AlgorithmSpec, ExpirationModelType, WrappingKeySpec } from '@aws-sdk/client-kms'
import { createPrivateKey, randomBytes } from 'node:crypto'
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { lookup } from './_table.ts'
import { STATE_FILE_MODE } from './defaults.ts'
import { KmsStateError } from './errors.ts'
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from './key_import.ts'
import { keyMaterialId, materialBytes, materialFromBytes } from './key_material.ts'
import type { Locality } from './key_reference.ts'
import { KEY_ID_PATTERN } from './key_reference.ts'
import { KEY_SPECS, type SupportedKeySpec, type SupportedKeyUsage } from './key_specs.ts'
import {
  KeyStore,
  type ImportParameters,
  type StoredAlias,
  type StoredKey,
  type StoredKeyState,
} from './key_store.ts'

/** The `format` member of a state document. */
export const STATE_FORMAT = 'sealwire-kms-local-state'

/** The current `version` of a state document. */
export const STATE_VERSION = 1

const KEY_STATES: readonly StoredKeyState[] = [
  'Enabled',
  'Disabled',
  'PendingDeletion',
  'PendingImport',
]

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString()
}

/**
 * The state document of a store (it holds private keys: keep it out of logs).
 *
 * @example
 * ```ts
 * JSON.stringify(stateDocument(store))
 * ```
 */
export function stateDocument(store: KeyStore): Record<string, unknown> {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    region: store.here.region,
    accountId: store.here.accountId,
    keys: store.keys().map((k) => ({
      keyId: k.keyId,
      creationDate: iso(k.creationDate),
      description: k.description,
      keySpec: k.keySpec,
      keyUsage: k.keyUsage,
      origin: k.origin,
      keyState: k.state,
      tags: k.tags,
      material: k.material ? materialBytes(k.material).toString('base64') : null,
      keyMaterialId: k.keyMaterialId,
      expirationModel: k.expirationModel,
      validTo: iso(k.validTo),
      deletionDate: iso(k.deletionDate),
      importParameters: k.importParameters.map((p) => ({
        tokenId: p.tokenId,
        wrappingAlgorithm: p.wrappingAlgorithm,
        wrappingKeySpec: p.wrappingKeySpec,
        privateKey: p.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
        validTo: iso(p.validTo),
      })),
    })),
    aliases: store.aliases().map((a) => ({
      aliasName: a.aliasName,
      targetKeyId: a.targetKeyId,
      creationDate: iso(a.creationDate),
      lastUpdatedDate: iso(a.lastUpdatedDate),
    })),
  }
}

/**
 * Writes the store atomically with mode 0600: temporary file, fsync, rename over the target.
 *
 * @example
 * ```ts
 * writeState('/var/lib/kms-local/state.json', store)
 * ```
 */
export function writeState(file: string, store: KeyStore): void {
  const data = Buffer.from(`${JSON.stringify(stateDocument(store), null, 2)}\n`, 'utf8')
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(tmp, 'wx', STATE_FILE_MODE)
    fchmodSync(fd, STATE_FILE_MODE) // whatever the umask
    let offset = 0
    while (offset < data.length) offset += writeSync(fd, data, offset)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(tmp, file)
  } catch (cause) {
    if (fd !== undefined) closeSync(fd)
    try {
      unlinkSync(tmp)
    } catch {
      // The temporary file was never created, or is already renamed.
    }
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, 'cannot write', { cause })
  }
  try {
    const dirFd = openSync(dirname(file), 'r')
    try {
      fsyncSync(dirFd) // makes the rename itself durable
    } finally {
      closeSync(dirFd)
    }
  } catch {
    // Directories cannot be opened or synced on every platform; the rename is still atomic.
  }
}

/**
 * Reads a state file into a new store, or returns `undefined` when the file does not exist.
 *
 * @example
 * ```ts
 * const store = readState(file, { region: 'us-east-1', accountId: '111122223333' })
 * ```
 */
export function readState(file: string, here: Locality): KeyStore | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, 'cannot read', { cause })
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_INVALID', file, 'not JSON')
  }
  const bad = (detail: string): KmsStateError =>
    new KmsStateError('ERR_KMS_LOCAL_STATE_INVALID', file, detail)
  const root = asObject(doc, 'document', bad)
  if (root.format !== STATE_FORMAT) throw bad(`format is not "${STATE_FORMAT}"`)
  if (root.version !== STATE_VERSION) throw bad(`unsupported version ${String(root.version)}`)
  if (root.region !== here.region || root.accountId !== here.accountId) {
    throw bad(
      `written for region ${String(root.region)} and account ${String(root.accountId)}, ` +
        `not ${here.region} and ${here.accountId}`,
    )
  }
  const store = new KeyStore(here)
  for (const [i, raw] of asArray(root.keys, 'keys', bad).entries()) {
    store.addKey(readKey(asObject(raw, `keys[${i}]`, bad), `keys[${i}]`, bad))
  }
  for (const [i, raw] of asArray(root.aliases, 'aliases', bad).entries()) {
    const alias = readAlias(asObject(raw, `aliases[${i}]`, bad), `aliases[${i}]`, bad)
    if (!store.getKey(alias.targetKeyId)) throw bad(`aliases[${i}] targets a missing key`)
    if (store.getAlias(alias.aliasName)) throw bad(`aliases[${i}] is a duplicate`)
    store.addAlias(alias)
  }
  return store
}

type Bad = (detail: string) => KmsStateError

function asObject(v: unknown, where: string, bad: Bad): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw bad(`${where} is not an object`)
  return v as Record<string, unknown>
}

function asArray(v: unknown, where: string, bad: Bad): unknown[] {
  if (!Array.isArray(v)) throw bad(`${where} is not an array`)
  return v
}

function str(o: Record<string, unknown>, name: string, where: string, bad: Bad): string {
  const v = o[name]
  if (typeof v !== 'string') throw bad(`${where}.${name} is not a string`)
  return v
}

function time(o: Record<string, unknown>, name: string, where: string, bad: Bad): number {
  const ms = Date.parse(str(o, name, where, bad))
  if (Number.isNaN(ms)) throw bad(`${where}.${name} is not a date`)
  return ms
}

function optionalTime(
  o: Record<string, unknown>,
  name: string,
  where: string,
  bad: Bad,
): number | undefined {
  return o[name] === undefined ? undefined : time(o, name, where, bad)
}

function oneOf<T extends string>(
  o: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
  where: string,
  bad: Bad,
): T {
  const v = str(o, name, where, bad)
  if (!(allowed as readonly string[]).includes(v))
    throw bad(`${where}.${name} has an unknown value`)
  return v as T
}

function readKey(o: Record<string, unknown>, where: string, bad: Bad): StoredKey {
  const keyId = str(o, 'keyId', where, bad)
  if (!KEY_ID_PATTERN.test(keyId)) throw bad(`${where}.keyId is not a key id`)
  const keySpec = str(o, 'keySpec', where, bad)
  const spec = lookup(KEY_SPECS, keySpec)
  if (!spec) throw bad(`${where}.keySpec is not supported`)
  const keyUsage = oneOf(o, 'keyUsage', spec.keyUsages as readonly SupportedKeyUsage[], where, bad)
  const origin = oneOf(o, 'origin', ['AWS_KMS', 'EXTERNAL'] as const, where, bad)
  const state = oneOf(o, 'keyState', KEY_STATES, where, bad)
  let material
  if (o.material !== null) {
    material = materialFromBytes(
      keySpec as SupportedKeySpec,
      Buffer.from(str(o, 'material', where, bad), 'base64'),
    )
    if (!material) throw bad(`${where}.material does not fit ${keySpec}`)
  }
  if (!material && state !== 'PendingImport' && state !== 'PendingDeletion') {
    throw bad(`${where} has no material but is ${state}`)
  }
  const tags = asArray(o.tags ?? [], `${where}.tags`, bad).map((t, i) => {
    const tag = asObject(t, `${where}.tags[${i}]`, bad)
    return {
      TagKey: str(tag, 'TagKey', `${where}.tags[${i}]`, bad),
      TagValue: str(tag, 'TagValue', `${where}.tags[${i}]`, bad),
    }
  })
  const importParameters = asArray(o.importParameters ?? [], `${where}.importParameters`, bad).map(
    (raw, i) =>
      readImportParameters(
        asObject(raw, `${where}.importParameters[${i}]`, bad),
        `${where}.importParameters[${i}]`,
        bad,
      ),
  )
  const storedId = o.keyMaterialId === undefined ? undefined : str(o, 'keyMaterialId', where, bad)
  return {
    keyId,
    creationDate: time(o, 'creationDate', where, bad),
    description: typeof o.description === 'string' ? o.description : '',
    keySpec: keySpec as SupportedKeySpec,
    keyUsage,
    origin,
    tags,
    state,
    material,
    keyMaterialId: material ? keyMaterialId(material) : storedId,
    expirationModel:
      o.expirationModel === undefined
        ? undefined
        : oneOf(o, 'expirationModel', Object.values(ExpirationModelType), where, bad),
    validTo: optionalTime(o, 'validTo', where, bad),
    deletionDate: optionalTime(o, 'deletionDate', where, bad),
    importParameters,
  }
}

function readImportParameters(
  o: Record<string, unknown>,
  where: string,
  bad: Bad,
): ImportParameters {
  const wrappingAlgorithm = str(o, 'wrappingAlgorithm', where, bad)
  const wrappingKeySpec = str(o, 'wrappingKeySpec', where, bad)
  if (
    !lookup(WRAPPING_ALGORITHMS, wrappingAlgorithm) ||
    !lookup(WRAPPING_KEY_SPECS, wrappingKeySpec)
  ) {
    throw bad(`${where} has an unsupported wrapping algorithm or key spec`)
  }
  const tokenId = str(o, 'tokenId', where, bad)
  if (!/^[0-9a-f]{32}$/.test(tokenId)) throw bad(`${where}.tokenId is malformed`)
  let privateKey
  try {
    privateKey = createPrivateKey({
      key: Buffer.from(str(o, 'privateKey', where, bad), 'base64'),
      format: 'der',
      type: 'pkcs8',
    })
  } catch {
    throw bad(`${where}.privateKey is not a PKCS #8 key`)
  }
  return {
    tokenId,
    wrappingAlgorithm: wrappingAlgorithm as AlgorithmSpec,
    wrappingKeySpec: wrappingKeySpec as WrappingKeySpec,
    privateKey,
    validTo: time(o, 'validTo', where, bad),
  }
}

function readAlias(o: Record<string, unknown>, where: string, bad: Bad): StoredAlias {
  const aliasName = str(o, 'aliasName', where, bad)
  if (!/^alias\/[a-zA-Z0-9:/_-]+$/.test(aliasName)) throw bad(`${where}.aliasName is malformed`)
  return {
    aliasName,
    targetKeyId: str(o, 'targetKeyId', where, bad),
    creationDate: time(o, 'creationDate', where, bad),
    lastUpdatedDate: time(o, 'lastUpdatedDate', where, bad),
  }
}
