/**
 * The KMS keys this consumer serves, learnt once at start: for each `--key-id` (key id, ARN or
 * alias), `DescribeKey` + `GetPublicKey` through kms-client's `fetchPublicKey`, checked exactly as
 * the provisioning station checks a key before pinning it (RSA 2048/3072/4096, ENCRYPT_DECRYPT,
 * RSAES_OAEP_SHA_256, a usable SPKI). Its pin id (the first 8 bytes of the SPKI's SHA-256) is the
 * recipient `kid` devices put in full-form messages, so the ring maps kid → key ARN for `Decrypt`
 * and gives the `Opener` its `pinIds`: a message naming any other kid is refused before any KMS
 * call.
 *
 * @example
 * ```ts
 * const ring = await loadKeyRing(session, ['alias/fleet'])
 * ring.has(parsed.kid) // false → dead letter `unknown-kid`, no KMS call
 * kmsUnwrap({ session, keys: ring.table })
 * ```
 */
import { toHex } from '../../../envelope/src/index.ts'
import { fetchPublicKey } from '../../../kms-client/src/index.ts'
import type { CheckedPublicKey, KmsSession } from '../../../kms-client/src/index.ts'
import { UsageError } from '../../../platform/src/index.ts'

/** One served key. */
export interface ServedKey {
  /** As given on the command line. */
  readonly keyId: string
  readonly keyArn: string
  /** The recipient kid, 16 lower-case hex digits. */
  readonly pinId: string
  /** SHA-256 of the SPKI, 64 lower-case hex digits. */
  readonly pinSha256: string
  readonly keySpec: string
}

/** The keys a consumer serves. */
export interface KeyRing {
  readonly keys: readonly ServedKey[]
  /** kid hex → key ARN, as `kmsUnwrap` takes it. */
  readonly table: ReadonlyMap<string, string>
  /** The pin ids, as the `Opener` takes them. */
  readonly pinIds: readonly Uint8Array[]
  /** True when `kid` names a served key. */
  has(kid: Uint8Array): boolean
}

/**
 * A ring from checked keys (what {@link loadKeyRing} fetched, or test keys).
 *
 * @throws {UsageError} `ERR_USAGE` when two key ids name the same key.
 * @example
 * ```ts
 * const ring = keyRingOf([{ keyId: 'alias/fleet', checked }])
 * ```
 */
export function keyRingOf(
  entries: readonly { readonly keyId: string; readonly checked: CheckedPublicKey }[],
): KeyRing {
  const table = new Map<string, string>()
  const keys: ServedKey[] = []
  const pinIds: Uint8Array[] = []
  for (const { keyId, checked } of entries) {
    if (table.has(checked.pinId)) {
      throw new UsageError(`--key-id ${keyId} names a key already given (pin id ${checked.pinId})`)
    }
    table.set(checked.pinId, checked.keyArn)
    pinIds.push(Uint8Array.from(checked.key.pinId))
    keys.push(
      Object.freeze({
        keyId,
        keyArn: checked.keyArn,
        pinId: checked.pinId,
        pinSha256: checked.pinSha256,
        keySpec: checked.keySpec,
      }),
    )
  }
  if (keys.length === 0) throw new UsageError('at least one --key-id is required')
  return Object.freeze({
    keys: Object.freeze(keys),
    table,
    pinIds: Object.freeze(pinIds),
    has: (kid: Uint8Array) => kid.length === 8 && table.has(toHex(kid)),
  })
}

/**
 * Fetches and checks every key (one `DescribeKey` and one `GetPublicKey` each, in order).
 *
 * @throws {KeyRejectedError} `ERR_KEY_*` for a key that may not be a recipient.
 * @throws {KmsError} `ERR_KMS_*`.
 * @throws {UsageError} `ERR_USAGE` for no key, or two ids of one key.
 * @example
 * ```ts
 * const ring = await loadKeyRing(session, ['alias/fleet', 'alias/fleet-next'])
 * ```
 */
export async function loadKeyRing(
  session: KmsSession,
  keyIds: readonly string[],
  signal?: AbortSignal,
): Promise<KeyRing> {
  const entries: { keyId: string; checked: CheckedPublicKey }[] = []
  for (const keyId of keyIds) {
    const { checked } = await fetchPublicKey(session, keyId, { signal })
    entries.push({ keyId, checked })
  }
  return keyRingOf(entries)
}
