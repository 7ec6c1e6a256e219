/**
 * `DisableKey`: an `Enabled` key becomes `Disabled` (cryptographic operations then answer
 * `DisabledException`); disabling a disabled key is a no-op. A key pending deletion or import
 * cannot be disabled (`KMSInvalidStateException`).
 *
 * @example
 * ```ts
 * await kms.send(new DisableKeyCommand({ KeyId }))
 * ```
 */
import { checkNotPending } from '../key_checks.ts'
import { KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `DisableKey` handler. */
export const disableKey = defineOperation({
  name: 'DisableKey',
  family: 'management',
  mutating: true,
  input: { KeyId: KEY_ID_REQUIRED },
  output: [],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    checkNotPending(ctx.store, key, { allowPendingImport: false })
    key.state = 'Disabled'
    return {}
  },
})
