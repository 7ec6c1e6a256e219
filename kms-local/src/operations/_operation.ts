/**
 * The shape of one KMS operation handler: its name, rate-limit family, whether it changes state
 * (so the server persists after it), its input members (types and constraints of the model),
 * and the handler. One operation per file; `index.ts` is the registry.
 *
 * @example
 * ```ts
 * export const describeKey = defineOperation({
 *   name: 'DescribeKey',
 *   family: 'management',
 *   mutating: false,
 *   input: { KeyId: KEY_ID_REQUIRED, GrantTokens: GRANT_TOKENS },
 *   output: ['KeyMetadata'],
 *   handle: (input, ctx) => ({
 *     KeyMetadata: keyMetadata(ctx.store, ctx.store.resolve(input.KeyId)),
 *   }),
 * })
 * ```
 */
import type { InputOf, Members } from '../input_schema.ts'
import type { KeyStore, StoredKey } from '../key_store.ts'

/** Which rate limit an operation draws on (AWS quotas: cryptographic operations share one). */
export type OperationFamily = 'cryptographic' | 'management'

/** What a handler sees of the server for one request. */
export interface OperationContext {
  readonly store: KeyStore
  /** Request time, epoch milliseconds. */
  readonly now: number
  readonly requestId: string
  /** Records the key the request acted on, for the audit log. */
  touch(key: StoredKey): void
}

/**
 * The response members. `Buffer` values are written as base64, `Date` values as epoch seconds;
 * `undefined` members are left out.
 */
export type OperationOutput = Readonly<Record<string, unknown>>

/** One operation. */
export interface Operation<M extends Members = Members> {
  readonly name: string
  readonly family: OperationFamily
  readonly mutating: boolean
  readonly input: M
  /** The response shape members this handler can answer (checked against the model in tests). */
  readonly output: readonly string[]
  handle(input: InputOf<M>, ctx: OperationContext): OperationOutput | Promise<OperationOutput>
}

/**
 * Declares an operation, inferring the exact input member types.
 *
 * @example
 * ```ts
 * const op = defineOperation({
 *   name: 'X', family: 'management', mutating: false, input: {}, output: [], handle: () => ({}),
 * })
 * ```
 */
export function defineOperation<const M extends Members>(operation: Operation<M>): Operation<M> {
  return Object.freeze(operation)
}
