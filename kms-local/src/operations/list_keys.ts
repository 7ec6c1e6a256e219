/**
 * `ListKeys`: every key of this endpoint (all states), sorted by key id, in pages of `Limit`
 * (default 100, at most 1000).
 *
 * @example
 * ```ts
 * const { Keys } = await kms.send(new ListKeysCommand({}))
 * ```
 */
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../defaults.ts'
import { keyArn } from '../key_reference.ts'
import { LIMIT, MARKER } from './_members.ts'
import { defineOperation } from './_operation.ts'
import { page } from './_paging.ts'

/** The `ListKeys` handler. */
export const listKeys = defineOperation({
  name: 'ListKeys',
  family: 'management',
  mutating: false,
  input: { Limit: LIMIT, Marker: MARKER },
  output: ['Keys', 'NextMarker', 'Truncated'],
  handle(input, ctx) {
    const ids = ctx.store
      .keys()
      .map((k) => k.keyId)
      .sort()
    const limit = Math.min(input.Limit ?? DEFAULT_LIST_LIMIT.ListKeys, MAX_LIST_LIMIT.ListKeys)
    const { items, next } = page(ids, input.Marker, limit)
    return {
      Keys: items.map((id) => ({ KeyId: id, KeyArn: keyArn(ctx.store.here, id) })),
      Truncated: next !== undefined,
      NextMarker: next,
    }
  },
})
