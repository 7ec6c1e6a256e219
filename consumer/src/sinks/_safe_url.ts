/**
 * A service URL made safe to print: userinfo removed (platform's `withoutUserinfo`), and the query
 * and fragment dropped too, since `?password=` and `?sslpassword=` are credentials that pg and
 * ioredis both accept there. Shared by the sinks, the dead-letter stores and the Redis state.
 */
import { withoutUserinfo } from '../../../platform/src/index.ts'

/**
 * `url` without credentials, query or fragment.
 *
 * @example
 * ```ts
 * safeUrl('postgres://app:secret@db:5432/telemetry?sslmode=require') // 'postgres://db:5432/telemetry'
 * ```
 */
export function safeUrl(url: string): string {
  const bare = withoutUserinfo(url)
  const cut = bare.search(/[?#]/)
  return cut < 0 ? bare : bare.slice(0, cut)
}
