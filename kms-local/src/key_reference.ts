/**
 * Parses the four ways a request names a KMS key, as AWS accepts them: key id
 * (`1234abcd-12ab-34cd-56ef-1234567890ab`), key ARN
 * (`arn:aws:kms:us-east-1:111122223333:key/<key id>`), alias name (`alias/NAME`) and alias ARN
 * (`arn:aws:kms:us-east-1:111122223333:alias/NAME`).
 *
 * An ARN of another region or account names a key that does not exist here.
 *
 * @example
 * ```ts
 * parseKeyReference('alias/telemetry', here) // { kind: 'alias', aliasName: 'alias/telemetry' }
 * ```
 */
import { plain, SHOWN_MAX_CHARS } from '../../platform/src/index.ts'
import { KmsApiError } from './errors.ts'

/** The region and account the endpoint plays. */
export interface Locality {
  readonly region: string
  readonly accountId: string
}

/** A parsed key reference. `foreign` is true for an ARN of another region or account. */
export type KeyReference =
  | {
      readonly kind: 'key'
      readonly keyId: string
      readonly foreign: boolean
      readonly text: string
    }
  | {
      readonly kind: 'alias'
      readonly aliasName: string
      readonly foreign: boolean
      readonly text: string
    }

/** A key id: a lowercase UUID. */
export const KEY_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/

/**
 * The ARN of a key.
 *
 * @example
 * ```ts
 * keyArn(here, id) // 'arn:aws:kms:us-east-1:111122223333:key/' + id
 * ```
 */
export function keyArn(here: Locality, keyId: string): string {
  return `arn:aws:kms:${here.region}:${here.accountId}:key/${keyId}`
}

/**
 * The ARN of an alias (`aliasName` includes the `alias/` prefix).
 *
 * @example
 * ```ts
 * aliasArn(here, 'alias/x') // 'arn:aws:kms:us-east-1:111122223333:alias/x'
 * ```
 */
export function aliasArn(here: Locality, aliasName: string): string {
  return `arn:aws:kms:${here.region}:${here.accountId}:${aliasName}`
}

/**
 * Parses a `KeyId`-style member. Anything that is none of the four forms is a
 * `NotFoundException` (`Invalid keyId …` / `Invalid arn …`), which is what AWS answers.
 *
 * @example
 * ```ts
 * parseKeyReference('nope', here) // throws NotFoundException: Invalid keyId nope
 * ```
 */
export function parseKeyReference(text: string, here: Locality): KeyReference {
  if (KEY_ID_PATTERN.test(text)) return { kind: 'key', keyId: text, foreign: false, text }
  if (text.startsWith('alias/') && text.length > 'alias/'.length) {
    return { kind: 'alias', aliasName: text, foreign: false, text }
  }
  if (text.startsWith('arn:')) {
    const m = ARN.exec(text)
    if (!m)
      throw new KmsApiError('NotFoundException', `Invalid arn ${plain(text, SHOWN_MAX_CHARS)}`)
    const [, partition, region, account, kind, rest] = m as unknown as [string, ...string[]]
    const foreign = partition !== 'aws' || region !== here.region || account !== here.accountId
    if (kind === 'key') {
      if (!KEY_ID_PATTERN.test(rest!)) {
        throw new KmsApiError('NotFoundException', `Invalid arn ${plain(text, SHOWN_MAX_CHARS)}`)
      }
      return { kind: 'key', keyId: rest!, foreign, text }
    }
    return { kind: 'alias', aliasName: `alias/${rest!}`, foreign, text }
  }
  throw new KmsApiError('NotFoundException', `Invalid keyId ${plain(text, SHOWN_MAX_CHARS)}`)
}
