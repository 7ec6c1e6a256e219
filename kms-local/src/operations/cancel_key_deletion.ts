/**
 * `CancelKeyDeletion`: a key pending deletion comes back `Disabled` (as on AWS), or
 * `PendingImport` when it has no key material.
 *
 * @example
 * ```ts
 * await kms.send(new CancelKeyDeletionCommand({ KeyId }))
 * ```
 */
import { KmsApiError } from '../errors.ts'
import { KEY_ID_REQUIRED } from './_members.ts'
import { defineOperation } from './_operation.ts'

/** The `CancelKeyDeletion` handler. */
export const cancelKeyDeletion = defineOperation({
  name: 'CancelKeyDeletion',
  family: 'management',
  mutating: true,
  input: { KeyId: KEY_ID_REQUIRED },
  output: ['KeyId'],
  handle(input, ctx) {
    const key = ctx.store.resolve(input.KeyId)
    ctx.touch(key)
    const arn = ctx.store.arnOf(key)
    if (key.state !== 'PendingDeletion') {
      throw new KmsApiError('KMSInvalidStateException', `${arn} is not pending deletion.`)
    }
    key.state = key.material ? 'Disabled' : 'PendingImport'
    key.deletionDate = undefined
    return { KeyId: arn }
  },
})
