/**
 * Member specs that several operations share, with the model's constraints (`KeyIdType`,
 * `GrantTokenList`, `EncryptionContextType`…).
 *
 * @example
 * ```ts
 * input: { KeyId: KEY_ID_REQUIRED, GrantTokens: GRANT_TOKENS }
 * ```
 */

/** `KeyIdType`, required. */
export const KEY_ID_REQUIRED = { type: 'string', required: true, min: 1, max: 2048 } as const

/** `KeyIdType`, optional. */
export const KEY_ID_OPTIONAL = { type: 'string', min: 1, max: 2048 } as const

/** `GrantTokenList` (accepted and ignored: kms-local has no grants). */
export const GRANT_TOKENS = {
  type: 'list',
  min: 0,
  max: 10,
  member: { type: 'string', min: 1, max: 8192 },
} as const

/** `EncryptionContextType`. */
export const ENCRYPTION_CONTEXT = { type: 'map' } as const

/** `LimitType`. */
export const LIMIT = { type: 'integer', min: 1, max: 1000 } as const

/** `MarkerType`. */
export const MARKER = { type: 'string', min: 1, max: 1024, pattern: /[\u0020-\u00FF]*/ } as const

/** `NullableBooleanType` of `DryRun`. */
export const DRY_RUN = { type: 'boolean' } as const

/** The message of `DryRunOperationException`. */
export const DRY_RUN_MESSAGE = 'The request would have succeeded, but the DryRun option is set.'
