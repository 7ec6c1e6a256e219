/**
 * The errors of the dead-letter stores (`consumer/src/dead_letters/`): one class,
 * {@link DeadLetterError}, with a stable `code`. A letter of the wrong shape (an unknown reason,
 * U+0000 in its topic or detail, a time that is not a safe integer) is a caller bug
 * (`TypeError` / `RangeError`, STYLE §3.2).
 *
 * @example
 * ```ts
 * try {
 *   await letters.put(letter)
 * } catch (err) {
 *   if (err instanceof DeadLetterError && err.code === 'ERR_DEAD_LETTERS_UNAVAILABLE') holdAck()
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/** Every code this folder throws. */
export type DeadLetterErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_DEAD_LETTERS_UNAVAILABLE'
  | 'ERR_DEAD_LETTER_TOO_LARGE'
  | 'ERR_DEAD_LETTER_INVALID'
  | 'ERR_DEAD_LETTERS_CLOSED'

/**
 * A dead-letter store failed.
 *
 * | code | when | caller |
 * |---|---|---|
 * | `ERR_CONFIG` | `--dead-letters` is neither a folder nor `postgres://…`, a bad option, a folder that cannot be created | exit 78 |
 * | `ERR_DEAD_LETTERS_UNAVAILABLE` | the folder or database failed: nothing was changed | hold the acknowledgement, retry |
 * | `ERR_DEAD_LETTER_TOO_LARGE` | a letter over `maxLetterBytes` (16 MiB): not kept | count and drop |
 * | `ERR_DEAD_LETTER_INVALID` | a stored letter that does not decode (a file changed by hand, a reason this version does not know); the message names it | move it away |
 * | `ERR_DEAD_LETTERS_CLOSED` | a call after `close()` | a bug |
 *
 * @example
 * ```ts
 * // error ERR_DEAD_LETTER_INVALID: /var/lib/sealwire/dead/0001700000000000-00000001-a1b2c3d4.letter: bytes do not match their sha256
 * ```
 */
export class DeadLetterError extends CodedError<DeadLetterErrorCode> {}
