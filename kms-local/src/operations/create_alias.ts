/**
 * `CreateAlias`: names a key. The name starts with `alias/`, not `alias/aws/` (reserved for AWS
 * managed keys), and is unique; the target is a key id or key ARN (not an alias), of a key that
 * is not pending deletion.
 *
 * @example
 * ```ts
 * await kms.send(new CreateAliasCommand({ AliasName: 'alias/telemetry', TargetKeyId: keyId }))
 * ```
 */
import { KmsApiError } from '../errors.ts'
import { checkNotPending } from '../key_checks.ts'
import { aliasArn } from '../key_reference.ts'
import { defineOperation } from './_operation.ts'
import { KEY_ID_REQUIRED } from './_members.ts'

/** The `CreateAlias` handler. */
export const createAlias = defineOperation({
  name: 'CreateAlias',
  family: 'management',
  mutating: true,
  input: {
    AliasName: { type: 'string', required: true, min: 1, max: 256, pattern: /^[a-zA-Z0-9:/_-]+$/ },
    TargetKeyId: KEY_ID_REQUIRED,
  },
  output: [],
  handle(input, ctx) {
    const name = input.AliasName
    if (!name.startsWith('alias/') || name.length === 'alias/'.length) {
      throw new KmsApiError(
        'ValidationException',
        'Alias must start with the prefix "alias/" and have a name after it.',
      )
    }
    if (name.startsWith('alias/aws/')) {
      throw new KmsApiError(
        'InvalidAliasNameException',
        'Alias names that begin with "alias/aws/" are reserved for AWS managed keys.',
      )
    }
    const key = ctx.store.resolve(input.TargetKeyId, { allowAlias: false })
    ctx.touch(key)
    checkNotPending(ctx.store, key, { allowPendingImport: true })
    if (ctx.store.getAlias(name)) {
      throw new KmsApiError(
        'AlreadyExistsException',
        `An alias with the name ${aliasArn(ctx.store.here, name)} already exists`,
      )
    }
    ctx.store.addAlias({
      aliasName: name,
      targetKeyId: key.keyId,
      creationDate: ctx.now,
      lastUpdatedDate: ctx.now,
    })
    return {}
  },
})
