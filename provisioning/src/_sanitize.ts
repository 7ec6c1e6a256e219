/**
 * Makes untrusted text safe to print on one log line (internal): control characters and quotes
 * escaped as in JSON, long values cut. Device ids from a CSV, KMS messages and file names pass
 * through it before they reach stderr (STYLE §4.3: sanitize user input before logging it).
 */

/**
 * Quotes `value` for an error line, escaping control characters and cutting it at `max` chars.
 * Numbers, booleans, null and undefined are shown bare; objects by their type.
 *
 * @example
 * ```ts
 * shown('dev\u0007') // '"dev\\u0007"'
 * ```
 */
export function shown(value: unknown, max = 80): string {
  if (value === null || ['number', 'boolean', 'bigint', 'undefined'].includes(typeof value)) {
    return String(value)
  }
  const text =
    typeof value === 'string' ? value : `(${Array.isArray(value) ? 'array' : typeof value})`
  const cut = text.length > max ? `${text.slice(0, max)}…` : text
  return JSON.stringify(cut)
}

/**
 * Like {@link shown} without the quotes: for free text such as a service's error message.
 *
 * @example
 * ```ts
 * plain('line one\nline two') // 'line one\\nline two'
 * ```
 */
export function plain(value: unknown, max = 200): string {
  return shown(String(value), max).slice(1, -1)
}
