/**
 * What the PostgreSQL sink and the PostgreSQL dead-letter store share: URL and table-name checks,
 * a pool that has answered once, and failures described without credentials. Each caller passes
 * its own error constructor, so its errors stay its own class.
 */
import pg from 'pg'
import { plain, shown } from '../../../platform/src/index.ts'
import { safeUrl } from './_safe_url.ts'

/** Builds the caller's coded error. */
export type ErrorOf<E extends Error> = (
  code: 'ERR_CONFIG' | 'UNAVAILABLE',
  message: string,
  cause?: unknown,
) => E

/** Pool settings. */
export interface PoolSettings {
  readonly poolSize: number
  readonly connectTimeoutMs: number
  readonly statementTimeoutMs: number
  readonly onError?: ((err: Error) => void) | undefined
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** True for a `postgres://` or `postgresql://` spec. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(spec)
}

/**
 * `table` (`name` or `schema.name`, each an unquoted-style identifier) double-quoted for SQL.
 *
 * @throws the caller's `ERR_CONFIG` for any other spelling.
 */
export function quoteTable<E extends Error>(table: unknown, errorOf: ErrorOf<E>): string {
  const parts = typeof table === 'string' ? table.split('.') : []
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw errorOf(
      'ERR_CONFIG',
      `table: expected name or schema.name (letters, digits, _; up to 63 each), got ${shown(table)}`,
    )
  }
  return parts.map((p) => `"${p}"`).join('.')
}

/** A driver or server failure in one line: SQLSTATE when there is one, then the message. */
export function describePgError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? `${e.code} ` : ''
  return `${code}${plain(e?.message ?? err)}`
}

/** The SQLSTATE of a server error, if any. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * True when a `CREATE … IF NOT EXISTS` failed only because another client created the same
 * object at that moment (PostgreSQL checks existence before it inserts into the catalog, so the
 * loser of the race sees 23505 unique_violation, 42P07 duplicate_table or 42710 duplicate_object
 * for the table's row type): the object is there, which is what was asked.
 */
export function isConcurrentCreate(err: unknown): boolean {
  const state = sqlState(err)
  return state === '23505' || state === '42P07' || state === '42710'
}

/**
 * A pool for `url` that has answered `SELECT 1`.
 *
 * @throws the caller's `ERR_CONFIG` for a URL that does not parse, its `UNAVAILABLE` when the
 *   server does not answer.
 */
export async function openPool<E extends Error>(
  url: string,
  settings: PoolSettings,
  errorOf: ErrorOf<E>,
): Promise<pg.Pool> {
  try {
    const parsed = new URL(url)
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw new Error('no host')
  } catch {
    throw errorOf('ERR_CONFIG', `${shown(safeUrl(url))} is not a valid postgres:// URL`)
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    // The driver's own timer too, for a server that stops answering without closing the socket.
    query_timeout: settings.statementTimeoutMs + 5_000,
    idleTimeoutMillis: 30_000,
    allowExitOnIdle: true,
  })
  // An idle client's connection dropping is reported here; without a listener it would crash the
  // process. The next query gets a fresh connection or fails with its own error.
  pool.on('error', settings.onError ?? (() => undefined))
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw errorOf('UNAVAILABLE', `${safeUrl(url)}: ${describePgError(err)}`, err)
  }
  return pool
}

/**
 * True when a JSON text holds U+0000 (as the escape `\u0000` after an even number of
 * backslashes): PostgreSQL's `text` and `jsonb` cannot store it.
 */
export function jsonHasNul(json: string): boolean {
  return json.includes('\\u0000') && /(?:^|[^\\])(?:\\\\)*\\u0000/.test(json)
}
