/**
 * `DescribeKey`: the `KeyMetadata` of a key named by id, ARN, alias or alias ARN, in any state.
 *
 * @example
 * ```ts
 * const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/telemetry' }))
 * ```
 */
import { keyMetadata } from '../key_metadata.ts'
import { GRANT_TOKENS, KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `DescribeKey` handler. */
export const describeKey = defineOperation({
  name: 'DescribeKey',
  family: 'management',
  mutating: false,
  input: { KeyId: KEY_ID_REQUIRED, GrantTokens: GRANT_TOKENS },
  output: ['KeyMetadata'],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    return { KeyMetadata: keyMetadata(ctx.store, key) }
  },
})
