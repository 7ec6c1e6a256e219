/**
 * The KMS endpoint URL, as given (`--endpoint`, a config file) and as shown. A URL may carry
 * userinfo (`http://user:password@host`); KMS authenticates with SigV4, never with it, so it is
 * dropped before the URL reaches the SDK, and so never stored, sent, logged or printed.
 *
 * @example
 * ```ts
 * checkEndpoint('http://user:secret@127.0.0.1:4599') // 'http://127.0.0.1:4599'
 * ```
 */
import { UsageError, shown, withoutUserinfo } from '../../platform/src/index.ts'

/**
 * Checks an endpoint URL (absolute, http or https) and returns it without userinfo.
 *
 * @throws {UsageError} `ERR_USAGE`, quoting the URL without its userinfo.
 * @example
 * ```ts
 * checkEndpoint('http://127.0.0.1:4599') // 'http://127.0.0.1:4599'
 * checkEndpoint('ftp://host') // throws ERR_USAGE: endpoint "ftp://host" must be an http or https URL
 * ```
 */
export function checkEndpoint(endpoint: string): string {
  if (typeof endpoint !== 'string') throw new TypeError('endpoint: expected a string')
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new UsageError(`endpoint ${shown(refusedForDisplay(endpoint))} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `endpoint ${shown(refusedForDisplay(endpoint))} must be an http or https URL`,
    )
  }
  return stripUserinfo(endpoint, url)
}

/**
 * The URL as given, minus its userinfo: string surgery keeps the operator's spelling (no trailing
 * slash added), checked against the WHATWG parse; platform's `withoutUserinfo` when in doubt.
 */
function stripUserinfo(endpoint: string, url: URL): string {
  if (url.username === '' && url.password === '') return endpoint
  const cut = endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1')
  try {
    const again = new URL(cut)
    if (again.username === '' && again.password === '' && again.host === url.host) return cut
  } catch {
    // fall through
  }
  return withoutUserinfo(endpoint)
}

// A refused value is not a URL we understand, so a password may sit anywhere before an '@'
// ('user:pass@host' parses as scheme 'user:'): show only what follows the last '@'.
function refusedForDisplay(value: string): string {
  const text = redactUserinfo(withoutUserinfo(value))
  const at = text.lastIndexOf('@')
  return at < 0 ? text : `…@${text.slice(at + 1)}`
}

// scheme://userinfo@ anywhere in a text; userinfo stops at the first '/', '?', '#' or space.
const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]*@/gi

/**
 * `text` with the userinfo of every URL in it removed: the last guard on messages that come from
 * elsewhere (the SDK, the network stack) before they reach an error.
 *
 * @example
 * ```ts
 * redactUserinfo('connect to http://u:p@host failed') // 'connect to http://host failed'
 * ```
 */
export function redactUserinfo(text: string): string {
  return text.replace(USERINFO_IN_TEXT, '$1')
}
