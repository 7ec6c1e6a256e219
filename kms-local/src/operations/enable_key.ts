/**
 * `EnableKey`: a `Disabled` key becomes `Enabled`; enabling an enabled key is a no-op. A key
 * pending deletion or import cannot be enabled (`KMSInvalidStateException`).
 *
 * @example
 * ```ts
 * await kms.send(new EnableKeyCommand({ KeyId }))
 * ```
 */
import { checkNotPending } from '../key_checks.ts'
import { KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `EnableKey` handler. */
export const enableKey = defineOperation({
  name: 'EnableKey',
  family: 'management',
  mutating: true,
  input: { KeyId: KEY_ID_REQUIRED },
  output: [],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    checkNotPending(ctx.store, key, { allowPendingImport: false })
    key.state = 'Enabled'
    return {}
  },
})
