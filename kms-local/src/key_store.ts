/**
 * The keys and aliases of one endpoint, in memory: key resolution by any of the four reference
 * forms, and the time-driven changes AWS makes on its own (a key whose waiting period ended is
 * deleted with its aliases; imported material past its `ValidTo` is removed).
 *
 * @example
 * ```ts
 * const store = new KeyStore({ region: 'us-east-1', accountId: '111122223333' })
 * store.addKey(key)
 * store.resolve('alias/telemetry').keyId
 * ```
 */
import type { AlgorithmSpec, ExpirationModelType, WrappingKeySpec } from '@aws-sdk/client-kms'
import { plain, SHOWN_MAX_CHARS } from '../../platform/src/index.ts'
import { KmsApiError } from './errors.ts'
import type { KeyMaterial } from './key_material.ts'
import { aliasArn, keyArn, parseKeyReference, type Locality } from './key_reference.ts'
import type { SupportedKeySpec, SupportedKeyUsage } from './key_specs.ts'
import type { KeyObject } from 'node:crypto'

/** The key states kms-local uses. */
export type StoredKeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport'

/** One `GetParametersForImport` answer still usable by `ImportKeyMaterial`. */
export interface ImportParameters {
  /** 32 hex digits, carried inside the import token. */
  readonly tokenId: string
  readonly wrappingAlgorithm: AlgorithmSpec
  readonly wrappingKeySpec: WrappingKeySpec
  readonly privateKey: KeyObject
  /** Epoch milliseconds. */
  readonly validTo: number
}

/** A key tag. */
export interface Tag {
  readonly TagKey: string
  readonly TagValue: string
}

/** A KMS key. Times are epoch milliseconds. */
export interface StoredKey {
  readonly keyId: string
  readonly creationDate: number
  readonly description: string
  readonly keySpec: SupportedKeySpec
  readonly keyUsage: SupportedKeyUsage
  readonly origin: 'AWS_KMS' | 'EXTERNAL'
  readonly tags: readonly Tag[]
  state: StoredKeyState
  /** Absent while an `EXTERNAL` key waits for (re-)import. */
  material: KeyMaterial | undefined
  /** Id of the material; kept after imported material expires, so only the same can come back. */
  keyMaterialId: string | undefined
  expirationModel: ExpirationModelType | undefined
  validTo: number | undefined
  deletionDate: number | undefined
  importParameters: ImportParameters[]
}

/** An alias. `aliasName` includes the `alias/` prefix. */
export interface StoredAlias {
  readonly aliasName: string
  readonly targetKeyId: string
  readonly creationDate: number
  readonly lastUpdatedDate: number
}

/**
 * Keys and aliases by id and name.
 *
 * @example
 * ```ts
 * store.resolve(`arn:aws:kms:us-east-1:111122223333:alias/x`)
 * ```
 */
export class KeyStore {
  readonly here: Locality
  readonly #keys = new Map<string, StoredKey>()
  readonly #aliases = new Map<string, StoredAlias>()

  constructor(here: Locality) {
    this.here = here
  }

  /**
   * A copy to change: the server applies a request to a copy and makes the copy the store only
   * once it is saved. Keys are copied (handlers change their fields); what they hold (material,
   * tags, import parameters, aliases) is never changed in place and is shared.
   */
  clone(): KeyStore {
    const copy = new KeyStore(this.here)
    for (const key of this.#keys.values()) {
      copy.#keys.set(key.keyId, { ...key, importParameters: [...key.importParameters] })
    }
    for (const alias of this.#aliases.values()) copy.#aliases.set(alias.aliasName, alias)
    return copy
  }

  /** All keys, in creation order. */
  keys(): StoredKey[] {
    return [...this.#keys.values()]
  }

  /** All aliases, in creation order. */
  aliases(): StoredAlias[] {
    return [...this.#aliases.values()]
  }

  /** The key's ARN. */
  arnOf(key: StoredKey): string {
    return keyArn(this.here, key.keyId)
  }

  /** Adds a key (a new one, or one read from the state file). */
  addKey(key: StoredKey): void {
    if (this.#keys.has(key.keyId)) throw new RangeError(`KeyStore: duplicate key id ${key.keyId}`)
    this.#keys.set(key.keyId, key)
  }

  /** A key by exact id, or `undefined`. */
  getKey(keyId: string): StoredKey | undefined {
    return this.#keys.get(keyId)
  }

  /** An alias by name (with `alias/`), or `undefined`. */
  getAlias(aliasName: string): StoredAlias | undefined {
    return this.#aliases.get(aliasName)
  }

  /** Adds an alias; the caller checked the name and that it is free. */
  addAlias(alias: StoredAlias): void {
    if (this.#aliases.has(alias.aliasName)) {
      throw new RangeError(`KeyStore: duplicate alias ${alias.aliasName}`)
    }
    this.#aliases.set(alias.aliasName, alias)
  }

  /**
   * Resolves a key id, key ARN, alias name or alias ARN. `NotFoundException` when the key or
   * alias does not exist here (AWS wording: `Key '<arn>' does not exist`,
   * `Alias <arn> is not found.`).
   */
  resolve(text: string, options: { allowAlias?: boolean } = {}): StoredKey {
    const ref = parseKeyReference(text, this.here)
    if (ref.kind === 'alias') {
      // The alias name and a foreign ARN are the caller's text: shown escaped and cut.
      const name = plain(ref.aliasName, SHOWN_MAX_CHARS)
      if (options.allowAlias === false) {
        throw new KmsApiError('NotFoundException', `Invalid keyId ${name}`)
      }
      const alias = ref.foreign ? undefined : this.#aliases.get(ref.aliasName)
      if (!alias) {
        const arn = ref.foreign ? plain(ref.text, SHOWN_MAX_CHARS) : aliasArn(this.here, name)
        throw new KmsApiError('NotFoundException', `Alias ${arn} is not found.`)
      }
      return this.#existing(alias.targetKeyId, keyArn(this.here, alias.targetKeyId))
    }
    const arn = ref.foreign ? plain(ref.text, SHOWN_MAX_CHARS) : keyArn(this.here, ref.keyId)
    return this.#existing(ref.foreign ? '' : ref.keyId, arn)
  }

  #existing(keyId: string, arn: string): StoredKey {
    const key = this.#keys.get(keyId)
    if (!key) throw new KmsApiError('NotFoundException', `Key '${arn}' does not exist`)
    return key
  }

  /** Whether {@link sweep} would change anything at `now` (it changes nothing itself). */
  hasDue(now: number): boolean {
    for (const key of this.#keys.values()) {
      if (deletionDue(key, now) || expiryDue(key, now)) return true
    }
    return false
  }

  /**
   * Applies what time does on its own: deletes keys whose waiting period is over (and their
   * aliases) and removes imported material past `ValidTo`. Expired import parameters stay (a
   * key keeps at most 10), so their token is answered `ExpiredImportTokenException`.
   * Returns whether anything changed (so the caller persists).
   */
  sweep(now: number): boolean {
    let changed = false
    for (const key of this.#keys.values()) {
      if (deletionDue(key, now)) {
        this.#keys.delete(key.keyId)
        for (const alias of this.#aliases.values()) {
          if (alias.targetKeyId === key.keyId) this.#aliases.delete(alias.aliasName)
        }
        changed = true
        continue
      }
      if (expiryDue(key, now)) {
        key.material = undefined
        key.validTo = undefined
        key.expirationModel = undefined
        if (key.state !== 'PendingDeletion') key.state = 'PendingImport'
        changed = true
      }
    }
    return changed
  }
}

function deletionDue(key: StoredKey, now: number): boolean {
  return (
    key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate <= now
  )
}

function expiryDue(key: StoredKey, now: number): boolean {
  return key.material !== undefined && key.validTo !== undefined && key.validTo <= now
}
