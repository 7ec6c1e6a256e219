/**
 * Makes untrusted text safe to print on one log or error line: control characters and quotes
 * escaped as in JSON, long values cut with `…`. Device ids, file names, KMS messages and request
 * fields pass through it before they reach stderr or a log (STYLE §4.3). One rule for every
 * program: {@link SHOWN_MAX_CHARS} characters for values, {@link PLAIN_MAX_CHARS} for free text.
 *
 * @example
 * ```ts
 * `unknown device ${shown(id)}` // unknown device "dev\u0007…"
 * ```
 */

/** Characters of a quoted value kept by {@link shown} before the `…`. */
export const SHOWN_MAX_CHARS = 80
/** Characters of free text kept by {@link plain} before the `…`. */
export const PLAIN_MAX_CHARS = 200

/**
 * Quotes `value` for an error line, escaping control characters (C0, C1, U+2028/2029) and cutting
 * it at `max` chars.
 * Numbers, booleans, null and undefined are shown bare; objects by their type.
 *
 * @example
 * ```ts
 * shown('dev\u0007') // '"dev\\u0007"'
 * ```
 */
export function shown(value: unknown, max = SHOWN_MAX_CHARS): string {
  if (value === null || ['number', 'boolean', 'bigint', 'undefined'].includes(typeof value)) {
    return String(value)
  }
  const text =
    typeof value === 'string' ? value : `(${Array.isArray(value) ? 'array' : typeof value})`
  const cut = text.length > max ? `${text.slice(0, max)}…` : text
  // JSON escapes C0 controls and quotes; C1 controls (U+0080–U+009F, U+009B is a terminal's CSI)
  // and the line separators U+2028/U+2029 pass through it, so escape them too.
  return JSON.stringify(cut).replace(
    /[\u0080-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * Like {@link shown} without the quotes: for free text such as a service's error message.
 *
 * @example
 * ```ts
 * plain('line one\nline two') // 'line one\\nline two'
 * ```
 */
export function plain(value: unknown, max = PLAIN_MAX_CHARS): string {
  return shown(String(value), max).slice(1, -1)
}

/**
 * A URL with any userinfo (`user:password@`) removed, for anything stored or printed. A value
 * that does not parse as a URL is returned with everything up to the last `@` before the host
 * removed, so a password never survives either way.
 *
 * @example
 * ```ts
 * withoutUserinfo('http://user:pass@127.0.0.1:4599/') // 'http://127.0.0.1:4599/'
 * ```
 */
export function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url)
    if (u.username === '' && u.password === '') return url
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1')
  }
}
