/**
 * `ListAliases`: the aliases of this endpoint (kms-local has no AWS managed aliases), sorted by
 * name, optionally only those of one key, in pages of `Limit` (default 50, at most 100).
 *
 * @example
 * ```ts
 * const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: keyId }))
 * ```
 */
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../defaults.ts'
import { aliasArn } from '../key_reference.ts'
import { KEY_ID_OPTIONAL, LIMIT, MARKER } from './_members.ts'
import { defineOperation } from './_operation.ts'
import { page } from './_paging.ts'

/** The `ListAliases` handler. */
export const listAliases = defineOperation({
  name: 'ListAliases',
  family: 'management',
  mutating: false,
  input: { KeyId: KEY_ID_OPTIONAL, Limit: LIMIT, Marker: MARKER },
  output: ['Aliases', 'NextMarker', 'Truncated'],
  handle(input, ctx) {
    const key = input.KeyId === undefined ? undefined : ctx.store.resolve(input.KeyId)
    if (key) ctx.touch(key)
    const aliases = ctx.store
      .aliases()
      .filter((a) => key === undefined || a.targetKeyId === key.keyId)
      .sort((a, b) => (a.aliasName < b.aliasName ? -1 : 1))
    const limit = Math.min(
      input.Limit ?? DEFAULT_LIST_LIMIT.ListAliases,
      MAX_LIST_LIMIT.ListAliases,
    )
    const { items, next } = page(
      aliases.map((a) => a.aliasName),
      input.Marker,
      limit,
    )
    return {
      Aliases: items.map((name) => {
        const a = ctx.store.getAlias(name)!
        return {
          AliasName: a.aliasName,
          AliasArn: aliasArn(ctx.store.here, a.aliasName),
          TargetKeyId: a.targetKeyId,
          CreationDate: new Date(a.creationDate),
          LastUpdatedDate: new Date(a.lastUpdatedDate),
        }
      }),
      Truncated: next !== undefined,
      NextMarker: next,
    }
  },
})
