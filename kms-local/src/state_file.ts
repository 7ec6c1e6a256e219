/**
 * The optional state file: every key (with its private material as PKCS #8 DER in base64) and
 * alias, as one JSON document, so keys outlive a restart.
 *
 * ```json
 * { "format": "sealwire-kms-local-state", "version": 1, "region": "us-east-1",
 *   "accountId": "111122223333", "keys": [...], "aliases": [...] }
 * ```
 *
 * - Written with mode 0600 by platform's `writeFileAtomicSync` (a temporary file in the same
 *   directory, fsync, rename, fsync of the directory): a crash leaves the old file or the new
 *   one, never half of one. Temporary files an interrupted write left behind are removed at start
 *   ({@link removeStateTemps}).
 * - **A symbolic link is refused**, at start and on every write: the write replaces the file by
 *   rename, which would turn the link into a regular file and leave the private keys of the old
 *   state in the link's target. Give the real path.
 * - Read as strict JSON (platform's `parseStrictJson`: no duplicate keys, no comments), checked
 *   with a TypeBox schema compiled once, then for what a schema cannot say (a key spec's usages,
 *   material that fits its spec, PKCS #8 keys, unique key ids and aliases, alias targets). Times
 *   are ISO 8601 strings. The region and account are checked: ARNs are derived from them, so a
 *   state file only loads into an endpoint that plays the same region and account.
 *
 * Every refusal is a {@link KmsStateError} whose message starts with the file name and never
 * shows the file's content.
 *
 * @example
 * ```ts
 * removeStateTemps(file)
 * const store = readState(file, here) ?? new KeyStore(here)
 * writeState(file, store)
 * ```
 */
import { ExpirationModelType } from '@aws-sdk/client-kms'
import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox'
import { createPrivateKey } from 'node:crypto'
import { lstatSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import {
  IoError,
  JsonInvalidError,
  SchemaInvalidError,
  compileSchema,
  removeTempsOf,
  parseStrictJson,
  readFileBoundedSync,
  shown,
  writeFileAtomicSync,
} from '../../platform/src/index.ts'
import { lookup } from './_table.ts'
import { STATE_FILE_MAX_BYTES, STATE_FILE_MODE } from './defaults.ts'
import { KmsStateError } from './errors.ts'
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from './key_import.ts'
import { keyMaterialId, materialBytes, materialFromBytes } from './key_material.ts'
import type { Locality } from './key_reference.ts'
import { KEY_ID_PATTERN } from './key_reference.ts'
import { KEY_SPECS } from './key_specs.ts'
import { KeyStore, type ImportParameters, type StoredAlias, type StoredKey } from './key_store.ts'

/** The `format` member of a state document. */
export const STATE_FORMAT = 'sealwire-kms-local-state'

/** The current `version` of a state document. */
export const STATE_VERSION = 1

// ---------------------------------------------------------------------------------------------
// The document's schema

function oneOf<const T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)))
}

/** An ISO 8601 time as `Date.prototype.toISOString` writes it (years beyond 9999 included). */
const Time = Type.String({
  pattern: '^[+-]?\\d{4,6}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
})
const Base64 = Type.String({
  pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
})

const ImportParametersDocument = Type.Object({
  tokenId: Type.String({ pattern: '^[0-9a-f]{32}$' }),
  wrappingAlgorithm: oneOf(
    Object.keys(WRAPPING_ALGORITHMS) as (keyof typeof WRAPPING_ALGORITHMS)[],
  ),
  wrappingKeySpec: oneOf(Object.keys(WRAPPING_KEY_SPECS) as (keyof typeof WRAPPING_KEY_SPECS)[]),
  privateKey: Base64,
  validTo: Time,
})

const KeyDocument = Type.Object({
  keyId: Type.String({ pattern: KEY_ID_PATTERN.source }),
  creationDate: Time,
  description: Type.String(),
  keySpec: oneOf(Object.keys(KEY_SPECS) as (keyof typeof KEY_SPECS)[]),
  keyUsage: oneOf(['ENCRYPT_DECRYPT', 'SIGN_VERIFY']),
  origin: oneOf(['AWS_KMS', 'EXTERNAL']),
  keyState: oneOf(['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport']),
  tags: Type.Array(Type.Object({ TagKey: Type.String(), TagValue: Type.String() })),
  material: Type.Union([Base64, Type.Null()]),
  keyMaterialId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  expirationModel: Type.Optional(oneOf(Object.values(ExpirationModelType))),
  validTo: Type.Optional(Time),
  deletionDate: Type.Optional(Time),
  importParameters: Type.Array(ImportParametersDocument),
})

const AliasDocument = Type.Object({
  aliasName: Type.String({ pattern: '^alias/[a-zA-Z0-9:/_-]+$' }),
  targetKeyId: Type.String({ pattern: KEY_ID_PATTERN.source }),
  creationDate: Time,
  lastUpdatedDate: Time,
})

const StateDocument = Type.Object({
  format: Type.Literal(STATE_FORMAT),
  version: Type.Literal(STATE_VERSION),
  region: Type.String(),
  accountId: Type.String(),
  keys: Type.Array(KeyDocument),
  aliases: Type.Array(AliasDocument),
})

const stateSchema = compileSchema(StateDocument)

// ---------------------------------------------------------------------------------------------
// Writing

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
function stateDocument(store: KeyStore): Record<string, unknown> {
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

/** The errno code behind a platform `IoError` (`EACCES`…), or its reason. */
function ioDetail(err: IoError): string {
  const errno = (err.cause as NodeJS.ErrnoException | undefined)?.code
  return errno ?? err.reason
}

const SYMLINK_REFUSED =
  'is a symbolic link: refused, since every write replaces the file and would leave the old ' +
  'private keys in the link target (give the real path)'

/**
 * Writes the store atomically with mode 0600 (platform's `writeFileAtomicSync`). Nothing is
 * changed when it throws.
 *
 * @throws {KmsStateError} `ERR_KMS_LOCAL_STATE_IO` naming the file and the cause.
 * @example
 * ```ts
 * writeState('/var/lib/kms-local/state.json', store)
 * ```
 */
export function writeState(file: string, store: KeyStore): void {
  let text: string
  try {
    text = `${JSON.stringify(stateDocument(store), null, 2)}\n`
  } catch (cause) {
    // A value that cannot be written (an invalid date would be a bug): the file stays as it was.
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, 'cannot encode the state', { cause })
  }
  try {
    writeFileAtomicSync(file, text, STATE_FILE_MODE)
  } catch (cause) {
    if (cause instanceof IoError && cause.reason === 'symlink') {
      throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, SYMLINK_REFUSED, { cause })
    }
    const detail = cause instanceof IoError ? ioDetail(cause) : String(cause)
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, `cannot write (${detail})`, { cause })
  }
}

/**
 * Removes the temporary files that an interrupted write of `file` left in its directory
 * (`.<name>.*.tmp`; temporary files of other names are not ours and are left alone). Returns the
 * names removed.
 *
 * @example
 * ```ts
 * removeStateTemps('/var/lib/kms-local/state.json') // ['.state.json.4242.a1b2c3d4e5f6.tmp']
 * ```
 */
export function removeStateTemps(file: string): string[] {
  // No directory yet is fine: the first write reports it.
  return removeTempsOf(dirname(file), [basename(file)])
}

// ---------------------------------------------------------------------------------------------
// Reading

/**
 * Reads a state file into a new store, or returns `undefined` when the file does not exist.
 *
 * @throws {KmsStateError} `ERR_KMS_LOCAL_STATE_IO` (a symbolic link, unreadable, not a regular
 *   file, too large) or `ERR_KMS_LOCAL_STATE_INVALID` (not a state document of this region and
 *   account).
 * @example
 * ```ts
 * const store = readState(file, { region: 'us-east-1', accountId: '111122223333' })
 * ```
 */
export function readState(file: string, here: Locality): KeyStore | undefined {
  const bad = (detail: string, cause?: unknown): KmsStateError =>
    new KmsStateError('ERR_KMS_LOCAL_STATE_INVALID', file, detail, { cause })
  try {
    if (lstatSync(file).isSymbolicLink()) {
      throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, SYMLINK_REFUSED)
    }
  } catch (cause) {
    if (cause instanceof KmsStateError) throw cause
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    const errno = (cause as NodeJS.ErrnoException).code ?? String(cause)
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, `cannot read (${errno})`, { cause })
  }
  let bytes: Uint8Array
  try {
    bytes = readFileBoundedSync(file, STATE_FILE_MAX_BYTES)
  } catch (cause) {
    const detail =
      cause instanceof IoError && cause.reason === 'not-regular'
        ? 'is not a regular file'
        : cause instanceof IoError && cause.reason === 'too-large'
          ? `is over ${STATE_FILE_MAX_BYTES} bytes`
          : `cannot read (${cause instanceof IoError ? ioDetail(cause) : String(cause)})`
    throw new KmsStateError('ERR_KMS_LOCAL_STATE_IO', file, detail, { cause })
  }
  let doc: unknown
  try {
    doc = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (cause) {
    if (cause instanceof JsonInvalidError) throw bad(`not JSON (${cause.message})`, cause)
    throw bad('not UTF-8', cause)
  }
  const root = doc as Record<string, unknown>
  if (
    typeof doc !== 'object' ||
    doc === null ||
    Array.isArray(doc) ||
    root.format !== STATE_FORMAT
  ) {
    throw bad(`not a state document (its "format" is not ${shown(STATE_FORMAT)})`)
  }
  if (root.version !== STATE_VERSION) throw bad(`unsupported version ${shown(root.version)}`)
  if (root.region !== here.region || root.accountId !== here.accountId) {
    throw bad(
      `written for region ${shown(root.region)} and account ${shown(root.accountId)}, ` +
        `not ${here.region} and ${here.accountId}`,
    )
  }
  let state
  try {
    state = stateSchema.parse(doc)
  } catch (cause) {
    if (!(cause instanceof SchemaInvalidError)) throw cause
    const detail = cause.message.replace(/: Expected union value$/, ': not a supported value')
    throw bad(detail, cause)
  }
  const store = new KeyStore(here)
  for (const [i, key] of state.keys.entries()) {
    if (store.getKey(key.keyId)) throw bad(`duplicate key id ${shown(key.keyId)} at /keys/${i}`)
    store.addKey(readKey(key, `/keys/${i}`, bad))
  }
  for (const [i, alias] of state.aliases.entries()) {
    const where = `/aliases/${i}`
    if (!store.getKey(alias.targetKeyId)) {
      throw bad(`${where}: alias ${shown(alias.aliasName)} targets a missing key`)
    }
    if (store.getAlias(alias.aliasName)) {
      throw bad(`duplicate alias ${shown(alias.aliasName)} at ${where}`)
    }
    store.addAlias(readAlias(alias, where, bad))
  }
  return store
}

type Bad = (detail: string) => KmsStateError
type KeyDoc = Static<typeof KeyDocument>
type AliasDoc = Static<typeof AliasDocument>

function time(iso: string, where: string, bad: Bad): number {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw bad(`${where}: not a date`)
  return ms
}

function optionalTime(iso: string | undefined, where: string, bad: Bad): number | undefined {
  return iso === undefined ? undefined : time(iso, where, bad)
}

function readKey(doc: KeyDoc, where: string, bad: Bad): StoredKey {
  const spec = KEY_SPECS[doc.keySpec]
  if (!(spec.keyUsages as readonly string[]).includes(doc.keyUsage)) {
    throw bad(`${where}/keyUsage: ${doc.keyUsage} is not a usage of ${doc.keySpec}`)
  }
  let material
  if (doc.material !== null) {
    material = materialFromBytes(doc.keySpec, Buffer.from(doc.material, 'base64'))
    if (!material) throw bad(`${where}/material: does not fit ${doc.keySpec}`)
  }
  if (!material && doc.keyState !== 'PendingImport' && doc.keyState !== 'PendingDeletion') {
    throw bad(`${where}: no material but ${doc.keyState}`)
  }
  return {
    keyId: doc.keyId,
    creationDate: time(doc.creationDate, `${where}/creationDate`, bad),
    description: doc.description,
    keySpec: doc.keySpec,
    keyUsage: doc.keyUsage,
    origin: doc.origin,
    tags: doc.tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue })),
    state: doc.keyState,
    material,
    keyMaterialId: material ? keyMaterialId(material) : doc.keyMaterialId,
    expirationModel: doc.expirationModel,
    validTo: optionalTime(doc.validTo, `${where}/validTo`, bad),
    deletionDate: optionalTime(doc.deletionDate, `${where}/deletionDate`, bad),
    importParameters: doc.importParameters.map((p, i) =>
      readImportParameters(p, `${where}/importParameters/${i}`, bad),
    ),
  }
}

function readImportParameters(
  doc: KeyDoc['importParameters'][number],
  where: string,
  bad: Bad,
): ImportParameters {
  let privateKey
  try {
    privateKey = createPrivateKey({
      key: Buffer.from(doc.privateKey, 'base64'),
      format: 'der',
      type: 'pkcs8',
    })
  } catch {
    throw bad(`${where}/privateKey: not a PKCS #8 key`)
  }
  if (
    lookup(WRAPPING_KEY_SPECS, doc.wrappingKeySpec) !==
    privateKey.asymmetricKeyDetails?.modulusLength
  ) {
    throw bad(`${where}/privateKey: not a ${doc.wrappingKeySpec} key`)
  }
  return {
    tokenId: doc.tokenId,
    wrappingAlgorithm: doc.wrappingAlgorithm,
    wrappingKeySpec: doc.wrappingKeySpec,
    privateKey,
    validTo: time(doc.validTo, `${where}/validTo`, bad),
  }
}

function readAlias(doc: AliasDoc, where: string, bad: Bad): StoredAlias {
  return {
    aliasName: doc.aliasName,
    targetKeyId: doc.targetKeyId,
    creationDate: time(doc.creationDate, `${where}/creationDate`, bad),
    lastUpdatedDate: time(doc.lastUpdatedDate, `${where}/lastUpdatedDate`, bad),
  }
}
