/**
 * The label (alias) rule of every HSM key sealwire names: 1 to 64 of `A-Z a-z 0-9 . _ -`, the
 * same for PKCS#11 `CKA_LABEL` and the HTTP API's `key_alias` / `wrap_key_alias`, so a label is
 * safe in a URL query, a log line and a file name.
 *
 * @example
 * ```ts
 * checkLabel('fleet-2026') // ok
 * checkLabel('a b') // RangeError
 * ```
 */
import { hsmDefaults } from './defaults.ts'

/**
 * Asserts `label` follows the rule.
 *
 * @throws {RangeError} otherwise (a caller bug: labels are checked where they are read).
 * @example
 * ```ts
 * checkLabel(alias)
 * ```
 */
export function checkLabel(label: string): void {
  if (typeof label !== 'string' || !hsmDefaults.labelPattern.test(label)) {
    throw new RangeError('HSM key label: use 1 to 64 of A-Z a-z 0-9 . _ -')
  }
}

/**
 * True when `label` follows the rule.
 *
 * @example
 * ```ts
 * isLabel('fleet') // true
 * ```
 */
export function isLabel(label: string): boolean {
  return typeof label === 'string' && hsmDefaults.labelPattern.test(label)
}
